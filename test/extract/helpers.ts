import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import type { ExtractedCode } from "../../src/features/nlp/engine";
import { handleTerminologyJob } from "../../src/features/terminology";
import { type CallInit, requestOf, type TestOrg } from "../harness";

/**
 * The app built in the test's own module graph, so that tests share module state with it (the
 * isolate's dictionary cache, which `clearDictionaryMemory` empties to act like a cold isolate).
 * `envOverrides` configures a model for one call (LLM_PROVIDER and friends).
 */
const app = createApp();

export interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

export async function xcall<T = Record<string, unknown>>(
  path: string,
  init: CallInit = {},
  envOverrides: Record<string, unknown> = {},
): Promise<Reply<T>> {
  const res = await app.fetch(requestOf(path, init), { ...env, ...envOverrides }, {
    waitUntil: () => {},
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

export interface ExtractBody {
  system: { name: string; version: string };
  codes: ExtractedCode[];
}

export interface ErrorBody {
  success: false;
  message: string;
  error: { code: string; details: unknown };
}

export const extract = <T = ExtractBody>(org: TestOrg, json: unknown, envOverrides: Record<string, unknown> = {}) =>
  xcall<T>("/construe/extract", { method: "POST", auth: org.key, json }, envOverrides);

export const codesOf = (r: Reply<ExtractBody>) => r.body.codes.map((c) => c.code);

/** `input[begin:end]` over UTF-8 bytes, as the seed defines citation offsets. */
export function utf8Slice(text: string, begin: number, end: number): string {
  return new TextDecoder().decode(new TextEncoder().encode(text).slice(begin, end));
}

/** Uploads a custom JSON system and runs the queue consumer until it is ready. */
export async function uploadSystem(
  org: TestOrg,
  name: string,
  version: string,
  codes: Array<{ code: string; description: string }>,
): Promise<void> {
  const up = await xcall("/construe/upload", {
    method: "POST",
    auth: org.key,
    json: { name, version, format: "json", codes, replace: true },
  });
  if (up.status !== 202) throw new Error(`upload failed: ${up.status} ${JSON.stringify(up.body)}`);
  for (let i = 0; i < 50; i++) {
    const { results } = await env.DB.prepare("SELECT id FROM code_sets WHERE state = 'loading'").all<{ id: number }>();
    for (const r of results) await handleTerminologyJob(env, { type: "terminology.process", setId: r.id });
    const s = await xcall<{ status: string }>(`/construe/codes/systems/${name}?version=${version}`, { auth: org.key });
    if (s.body.status === "ready") return;
    if (s.body.status === "failed") throw new Error(`${name} failed: ${JSON.stringify(s.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} ${version} is still processing`);
}

/** Queue deliveries land after max_batch_timeout; let them finish before the file's runtime goes. */
export const drainQueue = () => new Promise<void>((resolve) => setTimeout(resolve, 1500));
