import type { Context } from "hono";
import type { AppEnv } from "../env";
import { errors } from "../platform/errors";
import type { RateDecision, RatePolicy } from "../ports/rate-limiter";

/** Policies per route group. Ingestion's is seed 003's: 100 requests/minute, bursts of at most 10/second. */
export const RATE_POLICIES = {
  ingestion: {
    name: "ingestion",
    buckets: [
      { capacity: 100, refillPerSecond: 100 / 60 },
      { capacity: 10, refillPerSecond: 10 },
    ],
  },
  platform: { name: "platform", buckets: [{ capacity: 200, refillPerSecond: 50 }] },
  // Leased 10 at a time: a FHIR read then usually costs one D1 round trip and no Durable Object call.
  fhir: { name: "fhir", buckets: [{ capacity: 1000, refillPerSecond: 500 }], lease: { size: 10, ttlMs: 1000 } },
  ai: { name: "ai", buckets: [{ capacity: 60, refillPerSecond: 2 }] },
} satisfies Record<string, RatePolicy>;

/** One token from the credential's bucket (a Durable Object round trip), timed as `rate`. */
export function takeToken(c: Context<AppEnv>, credentialId: string, policy: RatePolicy): Promise<RateDecision> {
  return c.var.timing.measure("rate", () => c.var.services.rateLimiter.take(credentialId, policy));
}

/**
 * Applies a decision: 429 with `Retry-After` when refused; otherwise runs the rest of the request and
 * sets the IETF RateLimit headers on its answer.
 */
export async function enforce(c: Context<AppEnv>, d: RateDecision, next: () => Promise<void>): Promise<void> {
  const headers = {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(d.resetSeconds),
  };
  if (!d.allowed) {
    throw errors.rateLimited("Rate limit exceeded. Please try again later.", d.retryAfterSeconds, { headers });
  }
  await next();
  for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
}
