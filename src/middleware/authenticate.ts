import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { verbCtx } from "../context";
import type { AppEnv } from "../env";
import { type ResolvedCredential, resolvePrincipal, type WantedStore } from "../features/auth/resolve-principal";
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

export interface AuthOptions {
  /**
   * Also read the caller's default store with the credential (routes without a `{storeId}` that work
   * on it: `/FHIR/R4`, ingestion); openDefaultStore then needs no query of its own.
   */
  defaultStore?: boolean;
}

/**
 * Resolves the credential (every request reads its row: revocation takes effect at once) and, on
 * routes with a `{storeId}` (or `defaultStore`), the store in the same D1 query, with the riders in
 * the same batch; sets `principal` and `routeStore`.
 */
async function resolve(c: Context<AppEnv>, credential: string, opts: AuthOptions): Promise<ResolvedCredential> {
  const storeId = c.req.param("storeId");
  const store: WantedStore | undefined =
    storeId !== undefined ? { id: storeId } : opts.defaultStore ? "default" : undefined;
  const riders = c.var.credentialRiders ?? [];
  const resolved = await c.var.timing.measure("auth", () =>
    resolvePrincipal(verbCtx(c), credential, { store, riders: riders.map((r) => r.statement) }),
  );
  c.set("principal", resolved.principal);
  if (store !== undefined) c.set("routeStore", { id: storeId ?? null, row: resolved.store ?? null });
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

/** What a credential was last time this isolate checked it (neither ever changes for a credential). */
export interface KnownCredential {
  credentialId: string;
  orgId: string;
}

/**
 * Known credentials, keyed by the credential's SHA-256 (no secrets kept). A key's or client's id and
 * organization never change, so this is not an authorisation cache: it only lets work that needs them
 * start before the credential check has answered (the rate-limit round trip, riders such as
 * terminology/code-prefetch.ts), and that work is used only once the check confirms the guess.
 */
const known = new Map<string, KnownCredential>();
const KNOWN_MAX = 10_000;

/** The credential's SHA-256, once per request (route middleware and authentication both ask). */
const fingerprints = new WeakMap<Request, Promise<string>>();
function fingerprintOf(c: Context<AppEnv>, credential: string): Promise<string> {
  let f = fingerprints.get(c.req.raw);
  if (!f) {
    f = sha256Hex(credential);
    fingerprints.set(c.req.raw, f);
  }
  return f;
}

/** The presented credential's id and organization as last checked in this isolate, if it was. */
export async function knownCredential(c: Context<AppEnv>): Promise<KnownCredential | undefined> {
  const credential = presentedCredential(c.req);
  return credential ? known.get(await fingerprintOf(c, credential)) : undefined;
}

/** A route's rate policy: fixed, or chosen per request (extract: `ai` only when a model takes part). */
export type PolicyChoice = RatePolicy | ((c: Context<AppEnv>) => RatePolicy);

/**
 * Credential check + token-bucket rate limit with their round trips (D1, Durable Object) overlapped: for a
 * credential seen before in this isolate, the token is taken while the credential row is read. The
 * answer is the same as running the two in sequence: a failed check is a 401 whatever the limiter
 * said (it only costs the dead credential one token of its own bucket); the limiter's decision and
 * headers are the ones for this credential.
 */
export function authenticateAndLimit(choice: PolicyChoice, opts: AuthOptions = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const credential = requireCredential(c);
    const policy = typeof choice === "function" ? choice(c) : choice;
    const fingerprint = await fingerprintOf(c, credential);
    const guess = known.get(fingerprint)?.credentialId;
    const early: Promise<RateDecision> | null = guess ? takeToken(c, guess, policy) : null;
    // Settled on every path so a refused or failed early take is never an unhandled rejection.
    early?.catch(() => {});
    const { principal } = await resolve(c, credential, opts);
    const id = principal.credentialId;
    if (guess !== id) {
      if (known.size >= KNOWN_MAX) known.clear();
      known.set(fingerprint, { credentialId: id, orgId: principal.orgId });
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
