import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import type { AuthedCtx } from "../../src/context";
import type { Principal } from "../../src/features/auth/principal";
import { parseScopes } from "../../src/features/auth/scopes";
import { terminologyRouter } from "../../src/features/terminology";
import { createServices } from "../../src/services";
import { BASE, type CallInit } from "../harness";

/**
 * The app with the terminology router mounted (src/app.ts mounts it once the lead wires it in;
 * mounting it again here is harmless: the first matching route answers).
 */
const app = createApp();
app.route("/", terminologyRouter);

export async function tcall<T = Record<string, unknown>>(
  path: string,
  init: CallInit = {},
): Promise<{ status: number; body: T }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  if (init.auth) headers.set("Authorization", `Bearer ${init.auth}`);
  const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers, body }), env, {
    waitUntil: () => {},
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
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
