/**
 * $everything streaming (issue 4: "a client that reads slowly must not make the Worker hold the whole
 * record in memory"): the body stream reads bodies from D1 only as the reader takes chunks.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { EverythingPlan } from "../../src/features/fhir/everything/plan-everything";
import { everythingStream } from "../../src/features/fhir/everything/stream-everything";
import { call } from "../harness";
import { type BundleLike, link, newTenant, observation, put, type Tenant } from "./fixtures";

const N = 1200;
let t: Tenant;
beforeAll(async () => {
  t = await newTenant();
  const obs = Array.from({ length: N }, (_, i) =>
    observation(`o${String(i).padStart(4, "0")}`, "big", "8867-4", "2024-01-01T00:00:00Z"),
  );
  await put(t, [{ resourceType: "Patient", id: "big" }]);
  for (let i = 0; i < obs.length; i += 300) await put(t, obs.slice(i, i + 300));
});

/** A D1Database that counts the statements prepared through it. */
function countingDb(): { db: D1Database; reads: () => number } {
  let n = 0;
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare")
        return (q: string) => {
          n++;
          return target.prepare(q);
        };
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { db, reads: () => n };
}

describe("$everything stream", () => {
  it("pulls bodies page by page as the reader asks, never ahead of it", async () => {
    const plan: EverythingPlan = {
      storeId: t.storeId,
      page: [
        { type: "Patient", id: "big" },
        ...Array.from({ length: N }, (_, i) => ({ type: "Observation", id: `o${String(i).padStart(4, "0")}` })),
      ],
      total: N + 1,
      links: [{ relation: "self", url: "http://x/Patient/big/$everything" }],
      params: { types: null, since: null, window: null, count: null, offset: 0, linkParams: [] },
      patients: ["big"],
    };
    const { db, reads } = countingDb();
    const reader = everythingStream(plan, { db, base: "http://x", pretty: false, requestId: "t" }).getReader();
    const header = new TextDecoder().decode((await reader.read()).value);
    // The first chunk is the Bundle header alone, opening the entry array.
    expect(header.startsWith('{"resourceType":"Bundle"')).toBe(true);
    expect(header.endsWith('"entry":[')).toBe(true);
    expect(header).toContain(`"total":${N + 1}`);
    // Nothing is read while the reader holds back: at most the one chunk the queue may prefetch.
    await new Promise((r) => setTimeout(r, 50));
    expect(reads()).toBeLessThanOrEqual(1);
    let text = header;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      text += new TextDecoder().decode(value);
      // The stream runs at most a chunk or two ahead of what the reader took (bounded lookahead).
      expect(reads()).toBeLessThanOrEqual(chunks + 2);
      // A reader that pauses does not make the stream read on.
      const paused = reads();
      await new Promise((r) => setTimeout(r, 5));
      expect(reads()).toBeLessThanOrEqual(Math.max(paused, chunks + 1));
    }
    expect(chunks).toBeGreaterThan(3);
    expect(reads()).toBe(chunks);
    const bundle = JSON.parse(text) as BundleLike;
    expect(bundle.entry).toHaveLength(N + 1);
    expect(bundle.entry?.[N]?.resource.id).toBe(`o${N - 1}`);
  });

  it("over HTTP: a valid searchset with the seed's total and paging links, page after page", async () => {
    const res = await call(`${t.base}/Patient/big/$everything?_count=500`, { auth: t.key });
    expect(res.status).toBe(200);
    const first = (await res.json()) as BundleLike;
    expect(first.total).toBe(N + 1);
    expect(first.entry).toHaveLength(500);
    const base = `http://hearth.test${t.base}/Patient/big/$everything`;
    expect(first.link).toEqual([
      { relation: "self", url: `${base}?_count=500&_offset=0` },
      { relation: "first", url: `${base}?_count=500&_offset=0` },
      { relation: "next", url: `${base}?_count=500&_offset=500` },
      { relation: "last", url: `${base}?_count=500&_offset=1000` },
    ]);
    const last = (await (
      await call(`${t.base}/Patient/big/$everything?_count=500&_offset=1000`, { auth: t.key })
    ).json()) as BundleLike;
    expect(last.entry).toHaveLength(N + 1 - 1000);
    expect(link(last, "next")).toBeUndefined();
    expect(link(last, "previous")).toBe(`${base}?_count=500&_offset=500`);
    // Unpaged: the whole record in one streamed body, pretty-printed on request, still valid JSON.
    const pretty = await call(`${t.base}/Patient/big/$everything?_pretty=true`, { auth: t.key });
    const whole = JSON.parse(await pretty.text()) as BundleLike;
    expect(whole.entry).toHaveLength(N + 1);
    expect(whole.entry?.[0]?.resource.resourceType).toBe("Patient");
  });
});
