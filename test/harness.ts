import { env, exports } from "cloudflare:workers";
import { AppError } from "../src/platform/errors";

/** Test harness: requests go through the real Worker (`exports.default.fetch`) inside workerd. */
export const BASE = "http://hearth.test";
export const ADMIN_TOKEN = env.HEARTH_ADMIN_TOKEN;

export interface CallInit extends Omit<RequestInit, "body"> {
  /** Sent as JSON with `Content-Type: application/json` unless a content type is given. */
  json?: unknown;
  body?: BodyInit | null;
  /** An API key or access token, sent as `Authorization: Bearer`. */
  auth?: string;
}

/** The Request a test call sends: JSON bodies and bearer credentials filled in. */
export function requestOf(path: string, init: CallInit = {}): Request {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  if (init.auth) headers.set("Authorization", `Bearer ${init.auth}`);
  return new Request(`${BASE}${path}`, { ...init, headers, body });
}

export async function call(path: string, init: CallInit = {}): Promise<Response> {
  return exports.default.fetch(requestOf(path, init));
}

export async function callJson<T = Record<string, unknown>>(
  path: string,
  init: CallInit = {},
): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(path, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, res };
}

export const admin = (path: string, init: CallInit = {}) => callJson(path, { ...init, auth: ADMIN_TOKEN });

export interface TestOrg {
  orgId: string;
  /** The organization's first API key: every platform scope. */
  key: string;
}

let counter = 0;
export async function createOrg(name = `org-${++counter}`): Promise<TestOrg> {
  const { status, body } = await admin("/admin/organizations", { method: "POST", json: { name } });
  if (status !== 201) throw new Error(`createOrg failed: ${status} ${JSON.stringify(body)}`);
  const data = body.data as { id: string; apiKey: { key: string } };
  return { orgId: data.id, key: data.apiKey.key };
}

export async function createKey(orgId: string, scopes: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await admin(`/admin/organizations/${orgId}/api-keys`, {
    method: "POST",
    json: { name: "test", scopes, ...extra },
  });
  if (status !== 201) throw new Error(`createKey failed: ${status} ${JSON.stringify(body)}`);
  return (body.data as { key: string }).key;
}

export async function createClient(orgId: string, scopes: string[], extra: Record<string, unknown> = {}) {
  const { status, body } = await admin(`/admin/organizations/${orgId}/oauth-clients`, {
    method: "POST",
    json: { name: "test-client", scopes, ...extra },
  });
  if (status !== 201) throw new Error(`createClient failed: ${status} ${JSON.stringify(body)}`);
  return body.data as { client_id: string; client_secret: string };
}

export async function tokenFor(client: { client_id: string; client_secret: string }, scope?: string): Promise<string> {
  const { status, body } = await callJson<{ access_token: string }>("/v2/auth/token", {
    method: "POST",
    json: { grant_type: "client_credentials", ...client, ...(scope ? { scope } : {}) },
  });
  if (status !== 200) throw new Error(`token failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The AppError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function failure(promise: Promise<unknown>): Promise<AppError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}
