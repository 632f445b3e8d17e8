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

/** One Durable Object instance per (credential × policy): requests to it are serialised, so counts are exact. */
export function durableObjectRateLimiter(ns: DurableObjectNamespace<RateLimiter>): RateLimiterPort {
  return {
    take(key, policy) {
      const stub = ns.get(ns.idFromName(`${policy.name}:${key}`));
      return stub.take(policy.buckets);
    },
  };
}
