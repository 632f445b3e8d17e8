import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../harness";
import {
  type BundleLike,
  fhir,
  keyFor,
  keysOf,
  link,
  newTenant,
  pathOf,
  population,
  put,
  type Tenant,
} from "./fixtures";

const P1_RECORD = [
  "Patient/p1",
  "Encounter/enc1",
  "Encounter/enc2",
  "Observation/obs1",
  "Observation/obs2",
  "Observation/obs3",
  "Observation/obs4",
  "Observation/obs5",
  "Condition/cond1",
  "MedicationRequest/mr1",
  "AllergyIntolerance/al1",
  "Person/person1",
  // referenced shared resources (one level)
  "Organization/org1",
  "Practitioner/dr1",
  "Location/loc1",
  "Medication/med1",
];

let t: Tenant;
beforeAll(async () => {
  t = await newTenant();
  await population(t);
});

const everything = (path: string, auth = t.key, headers: Record<string, string> = {}) =>
  fhir<BundleLike>(path, { auth, headers });

describe("Patient/$everything", () => {
  it("returns the patient, the compartment and what it references, as a searchset", async () => {
    const { status, body, res } = await everything(`${t.base}/Patient/p1/$everything`);
    expect(status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
    expect(body.resourceType).toBe("Bundle");
    expect(body.type).toBe("searchset");
    expect(body.total).toBe(P1_RECORD.length);
    expect(keysOf(body).sort()).toEqual([...P1_RECORD].sort());
    expect(keysOf(body)[0]).toBe("Patient/p1");
    // Another patient's data and unreferenced shared resources stay out.
    expect(keysOf(body)).not.toContain("Patient/p2");
    expect(keysOf(body)).not.toContain("Observation/obs-p2");
    expect(keysOf(body)).not.toContain("Organization/org-unused");
    for (const e of body.entry ?? []) {
      expect(e.search?.mode).toBe("match");
      expect(e.fullUrl).toBe(`http://hearth.test${t.base}/${e.resource.resourceType}/${e.resource.id}`);
    }
    expect(body.link).toEqual([{ relation: "self", url: `http://hearth.test${t.base}/Patient/p1/$everything` }]);
  });

  it("is served on all three bases", async () => {
    const ds = await everything(`/datastore/${t.storeId}/r4/Patient/p1/$everything?_type=Patient`);
    expect(ds.status).toBe(200);
    expect(keysOf(ds.body)).toEqual(["Patient/p1"]);
    expect(ds.body.entry?.[0]?.fullUrl).toBe(`http://hearth.test/datastore/${t.storeId}/r4/Patient/p1`);
    // /FHIR/R4 is the caller's default store: the organization's first store is its default.
    const def = await everything("/FHIR/R4/Patient/p1/$everything?_type=Patient,Observation&_count=2");
    expect(def.status).toBe(200);
    expect(def.body.entry?.[0]?.fullUrl).toBe("http://hearth.test/FHIR/R4/Patient/p1");
    expect(link(def.body, "next")).toBe(
      "http://hearth.test/FHIR/R4/Patient/p1/$everything?_type=Patient,Observation&_count=2&_offset=2",
    );
  });

  it("pages with _count/_offset links exactly as seed 001 shows, round-tripping without gaps or repeats", async () => {
    const first = await everything(`${t.base}/Patient/p1/$everything?_count=5`);
    expect(first.status).toBe(200);
    const base = `http://hearth.test${t.base}/Patient/p1/$everything`;
    expect(first.body.link).toEqual([
      { relation: "self", url: `${base}?_count=5&_offset=0` },
      { relation: "first", url: `${base}?_count=5&_offset=0` },
      { relation: "next", url: `${base}?_count=5&_offset=5` },
      { relation: "last", url: `${base}?_count=5&_offset=15` },
    ]);
    expect(first.body.total).toBe(P1_RECORD.length);
    const seen: string[] = [...keysOf(first.body)];
    let next = link(first.body, "next");
    let pages = 1;
    while (next) {
      const page = await everything(pathOf(next));
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(P1_RECORD.length);
      expect(link(page.body, "self")).toBe(next);
      expect(link(page.body, "previous")).toBeDefined();
      seen.push(...keysOf(page.body));
      next = link(page.body, "next");
      pages++;
    }
    expect(pages).toBe(4);
    expect(seen).toHaveLength(P1_RECORD.length);
    expect(new Set(seen).size).toBe(P1_RECORD.length);
    expect([...seen].sort()).toEqual([...P1_RECORD].sort());
    // The full (unpaged) order is the paged order concatenated.
    const all = await everything(`${t.base}/Patient/p1/$everything`);
    expect(keysOf(all.body)).toEqual(seen);
  });

  it("keeps _type and _since in the paging links", async () => {
    const r = await everything(
      `${t.base}/Patient/p1/$everything?_type=Observation&_since=2000-01-01T00:00:00Z&_count=2&_offset=2`,
    );
    expect(r.status).toBe(200);
    const base = `http://hearth.test${t.base}/Patient/p1/$everything?_type=Observation&_since=2000-01-01T00:00:00Z`;
    expect(link(r.body, "self")).toBe(`${base}&_count=2&_offset=2`);
    expect(link(r.body, "previous")).toBe(`${base}&_count=2&_offset=0`);
    expect(link(r.body, "next")).toBe(`${base}&_count=2&_offset=4`);
    expect(link(r.body, "last")).toBe(`${base}&_count=2&_offset=4`);
    expect(keysOf(r.body)).toHaveLength(2);
    expect(r.body.total).toBe(5);
  });

  it("_count=0 returns the total only", async () => {
    const r = await everything(`${t.base}/Patient/p1/$everything?_count=0`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(P1_RECORD.length);
    expect(r.body.entry).toBeUndefined();
  });

  it("_type limits the types (comma list, repeatable)", async () => {
    const r = await everything(`${t.base}/Patient/p1/$everything?_type=AllergyIntolerance,Condition&_type=Medication`);
    expect(r.status).toBe(200);
    expect(keysOf(r.body).sort()).toEqual(["AllergyIntolerance/al1", "Condition/cond1", "Medication/med1"]);
  });

  it("_since returns only what changed at or after the instant", async () => {
    const before = await everything(`${t.base}/Patient/p1/$everything?_count=0`);
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await put(t, [
      {
        resourceType: "Observation",
        id: "obs4",
        status: "amended",
        code: { text: "changed" },
        subject: { reference: "Patient/p1" },
        effectiveDateTime: "2022-03-01T09:30:00Z",
      },
    ]);
    const r = await everything(`${t.base}/Patient/p1/$everything?_since=${encodeURIComponent(since)}`);
    expect(r.status).toBe(200);
    expect(keysOf(r.body)).toEqual(["Observation/obs4"]);
    expect(before.body.total).toBe(P1_RECORD.length);
    const future = await everything(`${t.base}/Patient/p1/$everything?_since=2999-01-01T00:00:00Z`);
    expect(future.body.total).toBe(0);
    expect(future.body.entry).toBeUndefined();
  });

  it("start/end filter by care date; types without a care date are kept", async () => {
    const r = await everything(`${t.base}/Patient/p1/$everything?start=2022-01-01&end=2022-12-31`);
    expect(r.status).toBe(200);
    const keys = keysOf(r.body);
    expect(keys).toEqual(
      expect.arrayContaining(["Patient/p1", "Encounter/enc2", "Observation/obs4", "Observation/obs5"]),
    );
    for (const k of [
      "Encounter/enc1",
      "Observation/obs1",
      "Observation/obs3",
      "Condition/cond1",
      "MedicationRequest/mr1",
      "AllergyIntolerance/al1",
    ])
      expect(keys).not.toContain(k);
    const onlyEnd = await everything(
      `${t.base}/Patient/p1/$everything?end=2019-12-31&_type=Condition,AllergyIntolerance,Observation`,
    );
    expect(keysOf(onlyEnd.body).sort()).toEqual(["AllergyIntolerance/al1", "Condition/cond1"]);
  });

  it("answers 400 for malformed parameters", async () => {
    for (const q of [
      "_since=yesterday",
      "_since=2026-02-27",
      "_count=-1",
      "_count=abc",
      "_offset=x",
      "_type=Nope",
      "start=2020-13-01",
      "start=2021-01-01&end=2020-01-01",
      "_count=1&_count=2",
    ]) {
      const r = await everything(`${t.base}/Patient/p1/$everything?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.resourceType, q).toBe("OperationOutcome");
    }
  });

  it("ignores unknown parameters, but not under Prefer: handling=strict", async () => {
    expect((await everything(`${t.base}/Patient/p1/$everything?foo=bar&_type=Patient`)).status).toBe(200);
    const strict = await everything(`${t.base}/Patient/p1/$everything?foo=bar`, t.key, { Prefer: "handling=strict" });
    expect(strict.status).toBe(400);
  });

  it("401 without credentials, 404 for an unknown patient, 410 for a deleted one", async () => {
    const anon = await call(`${t.base}/Patient/p1/$everything`);
    expect(anon.status).toBe(401);
    expect((await everything(`${t.base}/Patient/nobody/$everything`)).status).toBe(404);
    await put(t, [{ resourceType: "Patient", id: "gone1" }]);
    expect((await fhir(`${t.base}/Patient/gone1`, { method: "DELETE", auth: t.key })).status).toBe(204);
    expect((await everything(`${t.base}/Patient/gone1/$everything`)).status).toBe(410);
  });

  it("another organization's store and patients are not found", async () => {
    const other = await newTenant();
    const r = await everything(`${t.base}/Patient/p1/$everything`, other.key);
    expect(r.status).toBe(404);
    const own = await everything(`${other.base}/Patient/p1/$everything`, other.key);
    expect(own.status).toBe(404);
  });

  it("streams: the Bundle header arrives before the body is complete", async () => {
    const res = await call(`${t.base}/Patient/p1/$everything`, { auth: t.key });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const text = new TextDecoder().decode(first.value);
    expect(text.startsWith('{"resourceType":"Bundle"')).toBe(true);
    // The first chunk is the header alone: entries follow in later reads.
    expect(text).toContain(`"total":${P1_RECORD.length}`);
    expect(text).not.toContain("Observation/obs5");
    let rest = text;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    const bundle = JSON.parse(rest) as BundleLike;
    expect(bundle.entry).toHaveLength(P1_RECORD.length);
  });

  it("is audited (read events are written in coalesced batches shortly after the answer)", async () => {
    const res = await fhir(`${t.base}/Patient/p1/$everything?_type=Patient`, { auth: t.key });
    expect(res.status).toBe(200);
    const requestId = res.res.headers.get("X-Request-Id");
    const { env } = await import("cloudflare:workers");
    const query = env.DB.prepare(
      "SELECT action, entity_type, entity_id, outcome FROM audit_events WHERE org_id = ? AND request_id = ?",
    ).bind(t.orgId, requestId);
    let row = await query.first();
    for (let i = 0; i < 50 && !row; i++) {
      await new Promise((r) => setTimeout(r, 20));
      row = await query.first();
    }
    expect(row).toMatchObject({ action: "fhir.everything", entity_type: "Patient", entity_id: "p1", outcome: 200 });
  });
});

describe("Person/$everything", () => {
  it("returns the Person first, then its linked patients' records", async () => {
    const r = await everything(`${t.base}/Person/person1/$everything?_count=30`);
    expect(r.status).toBe(200);
    expect(keysOf(r.body)[0]).toBe("Person/person1");
    expect(keysOf(r.body)[1]).toBe("Patient/p1");
    expect(keysOf(r.body).sort()).toEqual([...P1_RECORD].sort());
    expect(link(r.body, "self")).toBe(`http://hearth.test${t.base}/Person/person1/$everything?_count=30&_offset=0`);
    const alias = await everything(`/datastore/${t.storeId}/r4/Person/person1/$everything?_type=Person,Patient`);
    expect(keysOf(alias.body)).toEqual(["Person/person1", "Patient/p1"]);
    expect((await everything(`${t.base}/Person/nobody/$everything`)).status).toBe(404);
  });
});

describe("scopes", () => {
  it("returns only the types the scopes allow; without Patient read it is a 403", async () => {
    const k = await keyFor(t, ["system/Patient.read", "system/Observation.rs"]);
    const r = await everything(`${t.base}/Patient/p1/$everything`, k);
    expect(r.status).toBe(200);
    expect(new Set(keysOf(r.body).map((x) => x.split("/")[0]))).toEqual(new Set(["Patient", "Observation"]));
    expect(r.body.total).toBe(6);
    const noPatient = await keyFor(t, ["system/Observation.rs"]);
    expect((await everything(`${t.base}/Patient/p1/$everything`, noPatient)).status).toBe(403);
  });

  it("applies v2 query constraints per resource", async () => {
    const k = await keyFor(t, ["system/Patient.rs", "system/Observation.rs?category=laboratory"]);
    const r = await everything(`${t.base}/Patient/p1/$everything`, k);
    expect(r.status).toBe(200);
    expect(keysOf(r.body).sort()).toEqual(["Observation/obs3", "Patient/p1"]);
    expect(r.body.total).toBe(2);
  });

  it("a patient-context credential sees its own patient's compartment only", async () => {
    const k = await keyFor(t, ["patient/*.read"], { patientId: "p1" });
    const own = await everything(`${t.base}/Patient/p1/$everything`, k);
    expect(own.status).toBe(200);
    const keys = keysOf(own.body);
    expect(keys).toContain("Observation/obs1");
    // Shared resources are outside the compartment, as for direct reads with patient/ scopes.
    expect(keys.some((x) => x.startsWith("Practitioner/") || x.startsWith("Organization/"))).toBe(false);
    for (const key of keys) expect(P1_RECORD).toContain(key);
    expect((await everything(`${t.base}/Patient/p2/$everything`, k)).status).toBe(403);
    // Not even existence leaks: an unknown patient is also a 403 for it.
    expect((await everything(`${t.base}/Patient/nobody/$everything`, k)).status).toBe(403);
    const viaPerson = await everything(`${t.base}/Person/person1/$everything`, k);
    expect(viaPerson.status).toBe(200);
    const otherCtx = await keyFor(t, ["patient/*.read"], { patientId: "p2" });
    expect((await everything(`${t.base}/Person/person1/$everything`, otherCtx)).status).toBe(403);
  });
});
