import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RATE_POLICIES } from "../../src/middleware/rate-limit";
import { durableObjectRateLimiter, type RatePolicy } from "../../src/ports/rate-limiter";
import { call, createOrg } from "../harness";

const limiter = (name: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

describe("RateLimiter Durable Object", () => {
  it("is exact under concurrency: 30 simultaneous takes on a bucket of 10 let exactly 10 through", async () => {
    const stub = limiter("exact-30");
    const bucket = [{ capacity: 10, refillPerSecond: 0.0001 }];
    const results = await Promise.all(Array.from({ length: 30 }, () => stub.take(bucket)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    const refused = results.filter((r) => !r.allowed);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it("enforces the ingestion policy: bursts of 10/s and 100/min (seed 003)", async () => {
    const stub = limiter("ingestion-sim");
    const buckets = RATE_POLICIES.ingestion.buckets;
    const t0 = 1_000_000;
    let allowed = 0;
    for (let i = 0; i < 15; i++) if ((await stub.take(buckets, t0)).allowed) allowed++;
    expect(allowed).toBe(10); // the per-second burst
    // Spread requests over the next minute at 20/s: the minute budget (100, refilling 100/60 per s) caps them.
    let minuteAllowed = allowed;
    for (let ms = 50; ms < 60_000; ms += 50) if ((await stub.take(buckets, t0 + ms)).allowed) minuteAllowed++;
    // 100 to start with, plus what refilled during the minute (≈ 100), never more.
    expect(minuteAllowed).toBeGreaterThan(150);
    expect(minuteAllowed).toBeLessThanOrEqual(201);
    const blocked = await stub.take(buckets, t0 + 60_000);
    if (!blocked.allowed) expect(blocked.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it("refills over time and reports limit, remaining and reset", async () => {
    const stub = limiter("refill");
    const bucket = [{ capacity: 5, refillPerSecond: 1 }];
    const t0 = 5_000_000;
    for (let i = 0; i < 5; i++) expect((await stub.take(bucket, t0)).allowed).toBe(true);
    const refused = await stub.take(bucket, t0);
    expect(refused).toMatchObject({ allowed: false, limit: 5, remaining: 0, retryAfterSeconds: 1 });
    const later = await stub.take(bucket, t0 + 2000);
    expect(later).toMatchObject({ allowed: true, limit: 5, remaining: 1 });
    expect(later.resetSeconds).toBe(4);
  });
});

describe("leased tokens (RatePolicy.lease)", () => {
  it("the DO grants up to the tokens it has, and refuses when it has none", async () => {
    const stub = limiter("lease-do");
    const bucket = [{ capacity: 3, refillPerSecond: 0.0001 }];
    const t0 = Date.now();
    expect(await stub.lease(bucket, 5, t0)).toMatchObject({ allowed: true, granted: 3, remaining: 0 });
    expect(await stub.lease(bucket, 5, t0)).toMatchObject({ allowed: false, granted: 0 });
  });

  it("spends leased tokens locally, one DO call per lease, and never lets more through than the bucket", async () => {
    const policy: RatePolicy = {
      name: `lease-port-${Date.now()}`,
      buckets: [{ capacity: 25, refillPerSecond: 0.0001 }],
      lease: { size: 10, ttlMs: 60_000 },
    };
    const port = durableObjectRateLimiter(env.RATE_LIMITER);
    const stub = limiter(`${policy.name}:cred-1`);
    const doRemaining = async () => (await stub.lease(policy.buckets, 0)).remaining;

    const first = await port.take("cred-1", policy);
    expect(first).toMatchObject({ allowed: true, remaining: 24 });
    expect(await doRemaining()).toBe(15); // 10 leased at once
    for (let i = 0; i < 9; i++) expect((await port.take("cred-1", policy)).allowed).toBe(true);
    expect(await doRemaining()).toBe(15); // the other 9 were local
    let allowed = 10;
    for (let i = 0; i < 30; i++) if ((await port.take("cred-1", policy)).allowed) allowed++;
    expect(allowed).toBe(25);
    const refused = await port.take("cred-1", policy);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Another credential has its own bucket and lease.
    expect((await port.take("cred-2", policy)).allowed).toBe(true);
  });
});

describe("rate-limit middleware", () => {
  it("sets RateLimit headers and answers 429 with Retry-After once the bucket is empty", async () => {
    const org = await createOrg();
    const first = await call("/auth/me", { auth: org.key });
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit-Limit")).toBe(String(RATE_POLICIES.platform.buckets[0]!.capacity));
    const remaining = Number(first.headers.get("RateLimit-Remaining"));
    expect(remaining).toBe(RATE_POLICIES.platform.buckets[0]!.capacity - 1);

    // Drain this credential's bucket through its Durable Object, stamped slightly in the future so no
    // refill happens before the next request (refill time never runs backwards); a burst over HTTP would
    // race the 50/s refill on a loaded machine.
    const me = (await (await call("/auth/me", { auth: org.key })).json()) as { data: { credentialId: string } };
    const stub = limiter(`${RATE_POLICIES.platform.name}:${me.data.credentialId}`);
    const future = Date.now() + 5_000;
    while ((await stub.take(RATE_POLICIES.platform.buckets, future)).allowed) {}
    const r = await call("/auth/me", { auth: org.key });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(r.headers.get("RateLimit-Remaining")).toBe("0");
    expect(await r.json()).toMatchObject({ success: false, error: { code: "rate_limited" } });
  });

  it("limits per credential: another tenant's key is unaffected", async () => {
    const other = await createOrg();
    expect((await call("/auth/me", { auth: other.key })).status).toBe(200);
  });
});
