import { DurableObject } from "cloudflare:workers";
import type { BucketSpec, RateDecision } from "../ports/rate-limiter";

interface BucketState {
  tokens: number;
  updatedAt: number;
}

const STATE_KEY = "buckets";

/**
 * Exact token buckets for one (credential × policy). `take` runs without awaiting anything between
 * reading and writing state, and a Durable Object runs one such call at a time, so concurrent requests
 * can never both spend the same token. State is kept in the synchronous SQLite-backed KV so a restart
 * of the object does not hand out a fresh burst.
 */
export class RateLimiter extends DurableObject<Env> {
  take(buckets: BucketSpec[], now = Date.now()): RateDecision {
    return this.lease(buckets, 1, now);
  }

  /**
   * Up to `want` tokens at once (every bucket pays each): `granted` of them, 0 when refused. A leased
   * token is spent here whether or not the caller uses it, so leasing can only under-use a limit.
   */
  lease(buckets: BucketSpec[], want: number, now = Date.now()): RateDecision & { granted: number } {
    const stored = this.ctx.storage.kv.get<BucketState[]>(STATE_KEY);
    const states = buckets.map((b, i) => refill(b, stored?.[i], now));
    const available = Math.min(...states.map((s) => Math.floor(s.tokens)));
    const granted = Math.max(0, Math.min(Math.floor(want), available));
    const allowed = granted >= 1;
    if (allowed) for (const s of states) s.tokens -= granted;
    this.ctx.storage.kv.put(STATE_KEY, states);

    // Report the bucket closest to empty; on refusal, wait for the slowest bucket that is short.
    let tightest = 0;
    let retryAfter = 0;
    buckets.forEach((b, i) => {
      const s = states[i]!;
      if (s.tokens / b.capacity < states[tightest]!.tokens / buckets[tightest]!.capacity) tightest = i;
      if (!allowed && s.tokens < 1) retryAfter = Math.max(retryAfter, (1 - s.tokens) / b.refillPerSecond);
    });
    const t = buckets[tightest]!;
    const st = states[tightest]!;
    return {
      allowed,
      granted,
      limit: t.capacity,
      remaining: Math.max(0, Math.floor(st.tokens)),
      resetSeconds: Math.ceil((t.capacity - st.tokens) / t.refillPerSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfter)),
    };
  }
}

function refill(b: BucketSpec, prev: BucketState | undefined, now: number): BucketState {
  if (!prev) return { tokens: b.capacity, updatedAt: now };
  const elapsed = Math.max(0, now - prev.updatedAt) / 1000;
  return { tokens: Math.min(b.capacity, prev.tokens + elapsed * b.refillPerSecond), updatedAt: now };
}
