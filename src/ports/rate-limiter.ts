import type { RateLimiter } from "../durable-objects/rate-limiter";

/** One token bucket: holds at most `capacity` tokens and refills `refillPerSecond` tokens a second. */
export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export interface RatePolicy {
  name: string;
  /** A request passes only when every bucket has a token (e.g. 100/min AND bursts of 10/s). */
  buckets: BucketSpec[];
  /**
   * Tokens an isolate takes from the Durable Object at once and spends locally for up to `ttlMs`, so
   * most requests skip the DO round trip. Never lets more through than the buckets allow (leased tokens
   * are spent in the DO; unused ones lapse). Unset = one DO call per request (exact per request:
   * seed 003's ingestion policy and anything whose remaining count must be exact).
   */
  lease?: { size: number; ttlMs: number };
}

export interface RateDecision {
  allowed: boolean;
  /** Capacity of the tightest bucket (for RateLimit-Limit). */
  limit: number;
  remaining: number;
  /** Seconds until the tightest bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Whole seconds to wait before a retry can pass (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiterPort {
  take(key: string, policy: RatePolicy): Promise<RateDecision>;
}

interface Lease {
  tokens: number;
  expiresAt: number;
  decision: RateDecision;
}

/** Leased tokens per (policy × credential) in this isolate. */
const leases = new Map<string, Lease>();
const MAX_LEASES = 10_000;

/**
 * One Durable Object instance per (credential × policy): requests to it are serialised, so counts are
 * exact. Policies with a `lease` spend tokens leased to this isolate first (see RatePolicy.lease).
 */
export function durableObjectRateLimiter(ns: DurableObjectNamespace<RateLimiter>): RateLimiterPort {
  const stubOf = (name: string) => ns.get(ns.idFromName(name));
  return {
    async take(key, policy) {
      const name = `${policy.name}:${key}`;
      if (!policy.lease) return stubOf(name).take(policy.buckets);
      const now = Date.now();
      const held = leases.get(name);
      if (held && held.tokens > 0 && now < held.expiresAt) {
        held.tokens -= 1;
        return { ...held.decision, remaining: held.decision.remaining + held.tokens };
      }
      const { granted, ...decision } = await stubOf(name).lease(policy.buckets, policy.lease.size);
      if (!decision.allowed) return decision;
      if (leases.size >= MAX_LEASES) leases.clear();
      leases.set(name, { tokens: granted - 1, expiresAt: now + policy.lease.ttlMs, decision });
      return { ...decision, remaining: decision.remaining + granted - 1 };
    },
  };
}
