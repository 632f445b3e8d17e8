import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { fhir, newStore, patient, type TestStore } from "./fhir-helpers";

type Entry = {
  fullUrl?: string;
  resource?: Record<string, unknown>;
  response: {
    status: string;
    location?: string;
    etag?: string;
    lastModified?: string;
    outcome?: { issue: { code: string; diagnostics: string }[] };
  };
};
type ResponseBundle = { resourceType: string; type: string; entry: Entry[] };
type Outcome = { issue: { code: string; diagnostics: string; expression?: string[] }[] };

let s: TestStore;
beforeAll(async () => {
  s = await newStore();
});

const post = <T = ResponseBundle>(bundle: unknown, headers: Record<string, string> = {}) =>
  fhir<T>(s.base, { method: "POST", auth: s.key, json: bundle, headers });
const get = (path: string) => fhir<Record<string, unknown>>(`${s.base}/${path}`, { auth: s.key });
const tx = (entry: unknown[]) => ({ resourceType: "Bundle", type: "transaction", entry });
const batch = (entry: unknown[]) => ({ resourceType: "Bundle", type: "batch", entry });

async function storedCount(store = s.storeId): Promise<number> {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM fhir_resources WHERE store_id = ?1")
    .bind(store)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

const U = (n: number) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe("transaction", () => {
  it("resolves urn:uuid fullUrls in every reference (nested, contained, extensions, narrative) and answers transaction-response", async () => {
    const bundle = tx([
      {
        fullUrl: U(2),
        resource: {
          resourceType: "Observation",
          status: "final",
          code: { text: "hr" },
          subject: { reference: U(1) },
          performer: [{ reference: "#p1" }],
          contained: [
            {
              resourceType: "Practitioner",
              id: "p1",
              extension: [{ url: "http://x/ref", valueReference: { reference: U(1) } }],
            },
          ],
          component: [
            {
              code: { text: "c" },
              valueString: "v",
              extension: [{ url: "http://x/e", valueReference: { reference: U(1) } }],
            },
          ],
          text: {
            status: "generated",
            div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${U(1)}">patient</a></div>`,
          },
        },
        request: { method: "POST", url: "Observation" },
      },
      { fullUrl: U(1), resource: patient("Tx"), request: { method: "POST", url: "Patient" } },
    ]);
    const r = await post(bundle);
    expect(r.status).toBe(200);
    expect(r.body.type).toBe("transaction-response");
    expect(r.body.entry).toHaveLength(2);
    for (const e of r.body.entry) {
      expect(e.response.status).toBe("201 Created");
      expect(e.response.etag).toBe('W/"1"');
      expect(e.response.lastModified).toBeTruthy();
      expect(e.resource).toBeUndefined();
    }
    const obsLoc = r.body.entry[0]!.response.location!;
    const patLoc = r.body.entry[1]!.response.location!;
    expect(obsLoc).toMatch(/^Observation\/[A-Za-z0-9]+\/_history\/1$/);
    const patRef = patLoc.replace(/\/_history\/1$/, "");
    const obs = await get(obsLoc.replace(/\/_history\/1$/, ""));
    const text = JSON.stringify(obs.body);
    expect(text).not.toContain("urn:uuid");
    expect((obs.body.subject as { reference: string }).reference).toBe(patRef);
    const contained = (obs.body.contained as { extension: { valueReference: { reference: string } }[] }[])[0]!;
    expect(contained.extension[0]!.valueReference.reference).toBe(patRef);
    expect((obs.body.performer as { reference: string }[])[0]!.reference).toBe("#p1");
    expect((obs.body.text as { div: string }).div).toContain(`href="${patRef}"`);
  });

  it("resolves urn:oid fullUrls and absolute fullUrls' relative references", async () => {
    const r = await post(
      tx([
        {
          fullUrl: "urn:oid:1.2.840.113619.6.1",
          resource: patient("Oid"),
          request: { method: "POST", url: "Patient" },
        },
        {
          fullUrl: "http://other.example/fhir/Patient/abc",
          resource: patient("Abs"),
          request: { method: "POST", url: "Patient" },
        },
        {
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { text: "x" },
            subject: { reference: "urn:oid:1.2.840.113619.6.1" },
            performer: [{ reference: "Patient/abc" }, { reference: "http://other.example/fhir/Patient/abc" }],
          },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );
    expect(r.status).toBe(200);
    const [oid, abs, o] = r.body.entry.map((e) => e.response.location!.replace(/\/_history\/1$/, ""));
    const stored = await get(o!);
    expect((stored.body.subject as { reference: string }).reference).toBe(oid);
    expect((stored.body.performer as { reference: string }[]).map((p) => p.reference)).toEqual([abs, abs]);
  });

  it("resolves conditional references by search: one match → Type/id, none → 404, several → 412, nothing written", async () => {
    const prac = await fhir<{ id: string }>(`${s.base}/Practitioner`, {
      method: "POST",
      auth: s.key,
      json: { resourceType: "Practitioner", identifier: [{ system: "http://hl7.org/fhir/sid/us-npi", value: "111" }] },
    });
    const enc = (ref: string) =>
      tx([
        {
          fullUrl: U(11),
          resource: {
            resourceType: "Encounter",
            status: "finished",
            class: { code: "AMB" },
            participant: [{ individual: { reference: ref } }],
          },
          request: { method: "POST", url: "Encounter" },
        },
      ]);
    const ok = await post(enc("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|111"));
    expect(ok.status).toBe(200);
    const e = await get(ok.body.entry[0]!.response.location!.replace(/\/_history\/\d+$/, ""));
    expect((e.body.participant as { individual: { reference: string } }[])[0]!.individual.reference).toBe(
      `Practitioner/${prac.body.id}`,
    );
    const before = await storedCount();
    const none = await post<Outcome>(enc("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999"));
    expect(none.status).toBe(404);
    await fhir(`${s.base}/Practitioner`, {
      method: "POST",
      auth: s.key,
      json: { resourceType: "Practitioner", identifier: [{ system: "http://hl7.org/fhir/sid/us-npi", value: "111" }] },
    });
    const many = await post<Outcome>(enc("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|111"));
    expect(many.status).toBe(412);
    expect(await storedCount()).toBe(before + 1);
  });

  it("conditional references see the transaction's own writes (R4 http.html#trules: resolved last)", async () => {
    const own = await newStore();
    const postTo = <T = ResponseBundle>(bundle: unknown) =>
      fhir<T>(own.base, { method: "POST", auth: own.key, json: bundle });
    const MRN = "http://hospital.example.org/mrn";
    const obs = (n: number, ref: string) => ({
      fullUrl: U(n),
      resource: { resourceType: "Observation", status: "final", code: { text: "hr" }, subject: { reference: ref } },
      request: { method: "POST", url: "Observation" },
    });
    // The Synthea pattern: the Patient is created by the bundle, the Observation finds it by identifier.
    const created = await postTo(
      tx([
        obs(31, `Patient?identifier=${MRN}|X-1`),
        {
          fullUrl: U(30),
          resource: patient("Inbundle", { identifier: [{ system: MRN, value: "X-1" }] }),
          request: { method: "POST", url: "Patient" },
        },
      ]),
    );
    expect(created.status).toBe(200);
    const patientId = created.body.entry[1]!.response.location!.split("/")[1];
    const o = await fhir<{ subject: { reference: string } }>(
      `${own.base}/${created.body.entry[0]!.response.location!.replace(/\/_history\/\d+$/, "")}`,
      { auth: own.key },
    );
    expect(o.body.subject.reference).toBe(`Patient/${patientId}`);

    // Code only (any system), and a PUT whose new content carries the identifier.
    const put = await postTo(
      tx([
        obs(33, "Patient?identifier=X-2"),
        {
          resource: patient("Put", { id: "put-pat", identifier: [{ system: MRN, value: "X-2" }] }),
          request: { method: "PUT", url: "Patient/put-pat" },
        },
      ]),
    );
    expect(put.status).toBe(200);
    const o2 = await fhir<{ subject: { reference: string } }>(
      `${own.base}/${put.body.entry[0]!.response.location!.replace(/\/_history\/\d+$/, "")}`,
      { auth: own.key },
    );
    expect(o2.body.subject.reference).toBe("Patient/put-pat");

    // Stored and in-bundle matches add up: X-1 is stored now, a second X-1 in the bundle makes two → 412.
    const before = await storedCount(own.storeId);
    const twice = await postTo<Outcome>(
      tx([
        obs(35, `Patient?identifier=${MRN}|X-1`),
        {
          resource: patient("Dup", { identifier: [{ system: MRN, value: "X-1" }] }),
          request: { method: "POST", url: "Patient" },
        },
      ]),
    );
    expect(twice.status).toBe(412);
    // A resource the bundle deletes no longer matches; an update that drops the identifier neither.
    const gone = await postTo<Outcome>(
      tx([obs(36, "Patient?identifier=X-2"), { request: { method: "DELETE", url: "Patient/put-pat" } }]),
    );
    expect(gone.status).toBe(404);
    const dropped = await postTo<Outcome>(
      tx([
        obs(37, "Patient?identifier=X-2"),
        { resource: patient("Put", { id: "put-pat" }), request: { method: "PUT", url: "Patient/put-pat" } },
      ]),
    );
    expect(dropped.status).toBe(404);
    expect(await storedCount(own.storeId)).toBe(before);

    // Criteria the bundle cannot be searched for in memory still find the create with the same ifNoneExist.
    const byName = await postTo(
      tx([
        obs(39, "Patient?family=Namesake&birthdate=1980-02-03"),
        {
          fullUrl: U(38),
          resource: patient("Namesake"),
          request: { method: "POST", url: "Patient", ifNoneExist: "family=Namesake&birthdate=1980-02-03" },
        },
      ]),
    );
    expect(byName.status).toBe(200);
    const namesake = byName.body.entry[1]!.response.location!.split("/")[1];
    const o3 = await fhir<{ subject: { reference: string } }>(
      `${own.base}/${byName.body.entry[0]!.response.location!.replace(/\/_history\/\d+$/, "")}`,
      { auth: own.key },
    );
    expect(o3.body.subject.reference).toBe(`Patient/${namesake}`);

    // A batch has no dependencies between entries: its references see the stored resources only.
    const b = await postTo(
      batch([
        obs(41, `Patient?identifier=${MRN}|X-9`),
        {
          resource: patient("B", { identifier: [{ system: MRN, value: "X-9" }] }),
          request: { method: "POST", url: "Patient" },
        },
      ]),
    );
    expect(b.status).toBe(200);
    expect(b.body.entry[0]!.response.status).toMatch(/^404/);
    expect(b.body.entry[1]!.response.status).toMatch(/^201/);
  });

  it("processes DELETE, POST, PUT/PATCH, then GET; GETs see the writes", async () => {
    const a = await fhir<{ id: string }>(`${s.base}/Patient`, { method: "POST", auth: s.key, json: patient("Old") });
    const b = await fhir<{ id: string }>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient("Patchme"),
    });
    const patch = btoa(JSON.stringify([{ op: "replace", path: "/gender", value: "other" }]));
    const r = await post(
      tx([
        { request: { method: "GET", url: `Patient/${b.body.id}` } },
        { resource: { ...patient("Put"), id: "tx-put" }, request: { method: "PUT", url: "Patient/tx-put" } },
        { request: { method: "DELETE", url: `Patient/${a.body.id}` } },
        {
          resource: { resourceType: "Binary", contentType: "application/json-patch+json", data: patch },
          request: { method: "PATCH", url: `Patient/${b.body.id}` },
        },
        { fullUrl: U(21), resource: patient("New"), request: { method: "POST", url: "Patient" } },
      ]),
    );
    expect(r.status).toBe(200);
    expect(r.body.entry.map((e) => e.response.status)).toEqual([
      "200 OK",
      "201 Created",
      "204 No Content",
      "200 OK",
      "201 Created",
    ]);
    expect(r.body.entry[0]!.resource).toMatchObject({ gender: "other", meta: { versionId: "2" } });
    expect((await get(`Patient/${a.body.id}`)).status).toBe(410);
    expect((await get("Patient/tx-put")).status).toBe(200);
  });

  it("entry ifNoneExist, ifMatch, ifNoneMatch and duplicate targets", async () => {
    const ident = { identifier: [{ system: "urn:x", value: "inx-1" }] };
    const first = await post(
      tx([
        {
          fullUrl: U(31),
          resource: patient("I", ident),
          request: { method: "POST", url: "Patient", ifNoneExist: "identifier=urn:x|inx-1" },
        },
      ]),
    );
    expect(first.body.entry[0]!.response.status).toBe("201 Created");
    const id = first.body.entry[0]!.response.location!.split("/")[1];
    const second = await post(
      tx([
        {
          fullUrl: U(32),
          resource: patient("I", ident),
          request: { method: "POST", url: "Patient", ifNoneExist: "identifier=urn:x|inx-1" },
        },
        {
          fullUrl: U(33),
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { text: "x" },
            subject: { reference: U(32) },
          },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );
    expect(second.status).toBe(200);
    expect(second.body.entry[0]!.response.status).toBe("200 OK");
    expect(second.body.entry[0]!.response.location).toBe(`Patient/${id}/_history/1`);
    const obs = await get(second.body.entry[1]!.response.location!.replace(/\/_history\/1$/, ""));
    expect((obs.body.subject as { reference: string }).reference).toBe(`Patient/${id}`);

    const stale = await post<Outcome>(
      tx([{ resource: { ...patient("M"), id }, request: { method: "PUT", url: `Patient/${id}`, ifMatch: 'W/"7"' } }]),
    );
    expect(stale.status).toBe(412);
    const exists = await post<Outcome>(
      tx([{ resource: { ...patient("M"), id }, request: { method: "PUT", url: `Patient/${id}`, ifNoneMatch: "*" } }]),
    );
    expect(exists.status).toBe(412);
    const twice = await post<Outcome>(
      tx([
        { resource: { ...patient("A"), id }, request: { method: "PUT", url: `Patient/${id}` } },
        { request: { method: "DELETE", url: `Patient/${id}` } },
      ]),
    );
    expect(twice.status).toBe(400);
    expect(twice.body.issue[0]!.expression).toEqual(["Bundle.entry[1]"]);
    // Two conditional updates that land on the same resource.
    const sameTarget = await post<Outcome>(
      tx(
        [1, 2].map((n) => ({
          resource: patient(`C${n}`, ident),
          request: { method: "PUT", url: "Patient?identifier=urn:x|inx-1" },
        })),
      ),
    );
    expect(sameTarget.status).toBe(400);
    expect(sameTarget.body.issue[0]!.diagnostics).toContain("may appear only once");
  });

  it("is all-or-nothing: a large bundle whose last entry is invalid leaves the store unchanged", async () => {
    const other = await newStore();
    const entries: unknown[] = [];
    for (let i = 0; i < 999; i++) {
      entries.push({
        fullUrl: U(1000 + i),
        resource: patient(`Bulk${i}`),
        request: { method: "POST", url: "Patient" },
      });
    }
    entries.push({
      fullUrl: U(5000),
      resource: patient("Bad", { birthDate: "yesterday" }),
      request: { method: "POST", url: "Patient" },
    });
    const r = await fhir<Outcome>(other.base, { method: "POST", auth: other.key, json: tx(entries) });
    expect(r.status).toBe(400);
    expect(r.body.issue[0]!.expression).toEqual(["Bundle.entry[999].resource.birthDate"]);
    expect(await storedCount(other.storeId)).toBe(0);
    const h = await env.DB.prepare("SELECT count(*) AS n FROM fhir_history WHERE store_id = ?1")
      .bind(other.storeId)
      .first<{ n: number }>();
    expect(h?.n).toBe(0);
    const search = await fhir<{ total: number }>(`${other.base}/Patient?_summary=count`, { auth: other.key });
    expect(search.body.total).toBe(0);
  });

  it("commits 5,000 entries atomically and reports 413 with the limit beyond the configured maximum", async () => {
    const other = await newStore();
    const entries: unknown[] = Array.from({ length: 5000 }, (_, i) => ({
      fullUrl: U(10_000 + i),
      resource: {
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
        subject: { reference: U(10_000) },
        valueQuantity: { value: i, unit: "/min" },
      },
      request: { method: "POST", url: "Observation" },
    }));
    entries[0] = { fullUrl: U(10_000), resource: patient("Big"), request: { method: "POST", url: "Patient" } };
    const r = await fhir<ResponseBundle>(other.base, { method: "POST", auth: other.key, json: tx(entries) });
    expect(r.status).toBe(200);
    // D1 allows 1,000 queries per Worker invocation (Workers Paid): even counting every statement of
    // every batch, a 5,000-entry transaction stays far below (Server-Timing reports both counts).
    const d1 = /d1;dur=[\d.]+;desc="(\d+) round trips?, (\d+) statements?"/.exec(
      r.res.headers.get("Server-Timing") ?? "",
    );
    console.log(`5,000-entry transaction: ${r.res.headers.get("Server-Timing")}`);
    expect(Number(d1?.[1])).toBeLessThanOrEqual(10);
    expect(Number(d1?.[2])).toBeLessThan(200);
    expect(r.body.entry).toHaveLength(5000);
    expect(r.body.entry.every((e) => e.response.status === "201 Created")).toBe(true);
    expect(await storedCount(other.storeId)).toBe(5000);
    const count = await fhir<{ total: number }>(`${other.base}/Observation?_summary=count`, { auth: other.key });
    expect(count.body.total).toBe(4999);

    const tooMany = { resourceType: "Bundle", type: "transaction", entry: Array.from({ length: 10_001 }, () => ({})) };
    const big = await fhir<Outcome>(other.base, { method: "POST", auth: other.key, json: tooMany });
    expect(big.status).toBe(413);
    expect(big.body.issue[0]!.diagnostics).toContain("at most 10000 entries");
  });

  it("refuses with 413 a bundle whose conditional criteria would need more searches than one invocation may run", async () => {
    const before = await storedCount();
    // Criteria other than identifier=system|value take one search each; 401 of them exceed the cap (400).
    const entries = Array.from({ length: 401 }, (_, i) => ({
      resource: {
        resourceType: "Observation",
        status: "final",
        code: { text: "x" },
        subject: { reference: `Patient?family=F${i}` },
      },
      request: { method: "POST", url: "Observation" },
    }));
    const r = await post<Outcome>(tx(entries));
    expect(r.status).toBe(413);
    expect(r.body.issue[0]!.diagnostics).toContain("the limit is 400");
    expect(await storedCount()).toBe(before);
  });

  it("rejects what is not a batch or transaction Bundle", async () => {
    expect((await post<Outcome>({ resourceType: "Patient" })).status).toBe(400);
    expect((await post<Outcome>({ resourceType: "Bundle", type: "searchset", entry: [] })).status).toBe(400);
    expect((await post<Outcome>({ resourceType: "Bundle", type: "transaction", entry: {} })).status).toBe(400);
    expect((await post<Outcome>(tx([{ resource: patient() }]))).status).toBe(400);
    expect(
      (await post<Outcome>(tx([{ resource: patient(), request: { method: "POST", url: "Patient/123" } }]))).status,
    ).toBe(400);
    expect(
      (await post<Outcome>(tx([{ resource: patient(), request: { method: "TRACE", url: "Patient" } }]))).status,
    ).toBe(400);
    expect((await post<Outcome>(tx([{ resource: patient(), request: { method: "POST", url: "Nope" } }]))).status).toBe(
      400,
    );
    const unresolved = await post<Outcome>(
      tx([
        {
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { text: "x" },
            subject: { reference: U(404) },
          },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );
    expect(unresolved.status).toBe(400);
    expect(unresolved.body.issue[0]!.diagnostics).toContain("does not match the fullUrl");
    // An empty transaction is fine.
    const empty = await post(tx([]));
    expect(empty.status).toBe(200);
    expect(empty.body.entry).toEqual([]);
  });

  it("Prefer: return=representation includes the resources", async () => {
    const r = await post(
      tx([{ fullUrl: U(41), resource: patient("Rep"), request: { method: "POST", url: "Patient" } }]),
      {
        Prefer: "return=representation",
      },
    );
    expect(r.body.entry[0]!.resource).toMatchObject({ resourceType: "Patient", meta: { versionId: "1" } });
    expect(r.body.entry[0]!.fullUrl).toContain(`${s.base}/Patient/`);
  });
});

describe("grouped conditional lookups", () => {
  it("many identifier criteria in one bundle: exact attribution, several matches → 412 per entry", async () => {
    const store = await newStore();
    const mk = (value: string) =>
      fhir(`${store.base}/Practitioner`, {
        method: "POST",
        auth: store.key,
        json: { resourceType: "Practitioner", identifier: [{ system: "urn:npi", value }] },
      });
    for (const v of ["p1", "p2", "p3", "p3"]) await mk(v);
    const entry = (value: string, n: number) => ({
      fullUrl: U(300 + n),
      resource: { resourceType: "Practitioner", identifier: [{ system: "urn:npi", value }] },
      request: { method: "POST", url: "Practitioner", ifNoneExist: `identifier=urn:npi|${value}` },
    });
    const r = await fhir<ResponseBundle>(store.base, {
      method: "POST",
      auth: store.key,
      json: batch([entry("p1", 1), entry("p2", 2), entry("p3", 3), entry("P1", 4), entry("new", 5)]),
    });
    expect(r.body.entry.map((e) => e.response.status)).toEqual([
      "200 OK",
      "200 OK",
      "412 Precondition Failed",
      "201 Created",
      "201 Created",
    ]);
    const refs = (value: string) => ({
      resourceType: "Encounter",
      status: "finished",
      class: { code: "AMB" },
      participant: [{ individual: { reference: `Practitioner?identifier=urn:npi|${value}` } }],
    });
    const ok = await fhir<ResponseBundle>(store.base, {
      method: "POST",
      auth: store.key,
      json: tx([
        { resource: refs("p1"), request: { method: "POST", url: "Encounter" } },
        { resource: refs("p2"), request: { method: "POST", url: "Encounter" } },
      ]),
    });
    expect(ok.status).toBe(200);
    const several = await fhir<Outcome>(store.base, {
      method: "POST",
      auth: store.key,
      json: tx([
        { resource: refs("p1"), request: { method: "POST", url: "Encounter" } },
        { resource: refs("p3"), request: { method: "POST", url: "Encounter" } },
      ]),
    });
    expect(several.status).toBe(412);
  });
});

describe("batch", () => {
  it("runs entries independently: failures get an OperationOutcome, the rest is stored", async () => {
    const existing = await fhir<{ id: string }>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient("B"),
    });
    const r = await post(
      batch([
        { resource: patient("Good"), request: { method: "POST", url: "Patient" } },
        { resource: patient("Bad", { gender: "robot" }), request: { method: "POST", url: "Patient" } },
        { request: { method: "GET", url: `Patient/${existing.body.id}` } },
        { request: { method: "GET", url: "Patient/does-not-exist" } },
        { request: { method: "GET", url: `Patient/${existing.body.id}`, ifNoneMatch: 'W/"1"' } },
        { request: { method: "GET", url: "Patient?family=Good" } },
        { resource: patient(), request: { method: "POST", url: "Unicorn" } },
        { resource: { ...patient("Up"), id: "batch-up" }, request: { method: "PUT", url: "Patient/batch-up" } },
      ]),
    );
    expect(r.status).toBe(200);
    expect(r.body.type).toBe("batch-response");
    expect(r.body.entry.map((e) => e.response.status)).toEqual([
      "201 Created",
      "400 Bad Request",
      "200 OK",
      "404 Not Found",
      "304 Not Modified",
      "200 OK",
      "400 Bad Request",
      "201 Created",
    ]);
    expect(r.body.entry[1]!.response.outcome!.issue[0]!.code).toBeTruthy();
    expect(r.body.entry[2]!.resource).toMatchObject({ id: existing.body.id });
    expect(r.body.entry[5]!.resource).toMatchObject({ resourceType: "Bundle", type: "searchset", total: 1 });
    expect((await get("Patient/batch-up")).status).toBe(200);
  });

  it("conditional creates (ifNoneExist), as in the Synthea batch bundles, are idempotent", async () => {
    const entries = [1, 2, 3].map((n) => ({
      fullUrl: U(100 + n),
      resource: {
        resourceType: "Organization",
        name: `Org ${n}`,
        identifier: [{ system: "https://example.org/orgs", value: `o${n}` }],
      },
      request: { method: "POST", url: "Organization", ifNoneExist: `identifier=https://example.org/orgs|o${n}` },
    }));
    const first = await post(batch(entries));
    expect(first.body.entry.map((e) => e.response.status)).toEqual(["201 Created", "201 Created", "201 Created"]);
    const again = await post(batch(entries));
    expect(again.body.entry.map((e) => e.response.status)).toEqual(["200 OK", "200 OK", "200 OK"]);
    expect(again.body.entry.map((e) => e.response.location)).toEqual(first.body.entry.map((e) => e.response.location));
    // Two entries with the same criteria in one bundle: the second finds the first.
    const twin = (fullUrl: string) => ({
      fullUrl,
      resource: {
        resourceType: "Organization",
        name: "Twin",
        identifier: [{ system: "https://example.org/orgs", value: "o9" }],
      },
      request: { method: "POST", url: "Organization", ifNoneExist: "identifier=https://example.org/orgs|o9" },
    });
    const twins = await post(batch([twin(U(198)), twin(U(199))]));
    expect(twins.body.entry.map((e) => e.response.status)).toEqual(["201 Created", "200 OK"]);
    expect(twins.body.entry[1]!.response.location).toBe(
      twins.body.entry[0]!.response.location!.replace(/\/_history\/1$/, ""),
    );
    const count = await fhir<{ total: number }>(
      `${s.base}/Organization?identifier=https://example.org/orgs|&_summary=count`,
      { auth: s.key },
    );
    expect(count.body.total).toBe(4);
  });
});
