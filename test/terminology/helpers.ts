import { env } from "cloudflare:workers";
import type { AuthedCtx } from "../../src/context";
import type { Principal } from "../../src/features/auth/principal";
import { parseScopes } from "../../src/features/auth/scopes";
import { createServices } from "../../src/services";
import { BASE, type CallInit, callJson } from "../harness";

/** The seed's JSON answers of the terminology routes, through the real Worker entry point. */
export async function tcall<T = Record<string, unknown>>(
  path: string,
  init: CallInit = {},
): Promise<{ status: number; body: T }> {
  const { status, body } = await callJson<T>(path, init);
  return { status, body };
}

/** A verb context for a tenant, without going through HTTP. */
export function ctxFor(orgId: string): AuthedCtx {
  const principal: Principal = {
    orgId,
    credentialId: `key_${orgId}`,
    credentialKind: "api_key",
    clientId: null,
    scopes: parseScopes(["terminology:read", "terminology:write"]).scopes,
    storeId: null,
    patientId: null,
    consentRequired: false,
  };
  return { services: createServices(env), requestId: "test", origin: BASE, principal };
}

export const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

/** Async iterable over fixed chunks (exercises chunk boundaries in the streaming importers). */
export async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * The JOBS queue delivers batches after `max_batch_timeout` (1 s in wrangler.toml). A test file that
 * sent messages waits for that before it ends, so no delivery reaches a runtime being torn down.
 */
export const drainQueue = () => new Promise<void>((resolve) => setTimeout(resolve, 1500));
