import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { verbCtx } from "../context";
import type { AppEnv } from "../env";
import { type ResolvedCredential, resolvePrincipal } from "../features/auth/resolve-principal";
import { hasPlatformScope } from "../features/auth/scopes";
import { sha256Hex } from "../platform/crypto";
import { errors } from "../platform/errors";
import type { RateDecision, RatePolicy } from "../ports/rate-limiter";
import { enforce, takeToken } from "./rate-limit";

/** Reads the credential from `X-API-KEY` or `Authorization: Bearer` (both accepted everywhere). */
export function presentedCredential(headers: { header(name: string): string | undefined }): string | null {
  const apiKey = headers.header("X-API-KEY")?.trim();
  if (apiKey) return apiKey;
  const auth = headers.header("Authorization");
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m ? m[1]! : null;
}

/**
 * A statement that rides in the credential check's D1 round trip (set by route middleware placed
 * before authentication, e.g. fhir/read-prefetch.ts). `deliver` gets its result once the credential
 * is valid; it is never called for a refused request.
 */
export interface CredentialRider {
  statement: D1PreparedStatement;
  deliver(result: D1Result): void;
}

/**
 * Resolves the credential (every request reads its row: revocation takes effect at once) and, on
 * routes with a `{storeId}`, the store in the same D1 query, with the riders in the same batch; sets
 * `principal` and `routeStore`.
 */
async function resolve(c: Context<AppEnv>, credential: string): Promise<ResolvedCredential> {
  const storeId = c.req.param("storeId");
  const riders = c.var.credentialRiders ?? [];
  const resolved = await c.var.timing.measure("auth", () =>
    resolvePrincipal(verbCtx(c), credential, { storeId, riders: riders.map((r) => r.statement) }),
  );
  c.set("principal", resolved.principal);
  if (storeId !== undefined) c.set("routeStore", { id: storeId, row: resolved.store ?? null });
  riders.forEach((r, i) => {
    const result = resolved.riderResults[i];
    if (result) r.deliver(result);
  });
  return resolved;
}

function requireCredential(c: Context<AppEnv>): string {
  const credential = presentedCredential(c.req);
  if (!credential) throw errors.unauthorized("Invalid or missing API key");
  return credential;
}

export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  await resolve(c, requireCredential(c));
  await next();
});

/**
 * Which credential id a presented credential had last time, keyed by the credential's SHA-256 (no
 * secrets kept). A key's or client's id never changes, so this is not an authorisation cache: it only
 * lets the rate-limit round trip start before the credential check has answered.
 */
const knownIds = new Map<string, string>();
const KNOWN_IDS_MAX = 10_000;

/**
 * `authenticate` + `rateLimit(policy)` with their round trips (D1, Durable Object) overlapped: for a
 * credential seen before in this isolate, the token is taken while the credential row is read. The
 * answer is the same as running the two in sequence: a failed check is a 401 whatever the limiter
 * said (it only costs the dead credential one token of its own bucket); the limiter's decision and
 * headers are the ones for this credential.
 */
export function authenticateAndLimit(policy: RatePolicy) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const credential = requireCredential(c);
    const fingerprint = await sha256Hex(credential);
    const guess = knownIds.get(fingerprint);
    const early: Promise<RateDecision> | null = guess ? takeToken(c, guess, policy) : null;
    // Settled on every path so a refused or failed early take is never an unhandled rejection.
    early?.catch(() => {});
    const { principal } = await resolve(c, credential);
    const id = principal.credentialId;
    if (guess !== id) {
      if (knownIds.size >= KNOWN_IDS_MAX) knownIds.clear();
      knownIds.set(fingerprint, id);
    }
    const decision = early && guess === id ? await early : await takeToken(c, id, policy);
    await enforce(c, decision, next);
  });
}

/**
 * Platform scope check. A store's own key (seed 000) carries only FHIR scopes for its store, so it
 * fails here on every non-FHIR route.
 */
export function requireScope(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const p = c.var.principal;
    if (!p) throw errors.unauthorized();
    if (p.storeId !== null || !hasPlatformScope(p.scopes, scope)) {
      throw errors.forbidden(`This credential lacks the '${scope}' scope`, { details: { required: scope } });
    }
    await next();
  });
}
