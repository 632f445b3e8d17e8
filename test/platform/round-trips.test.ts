/**
 * Sequential D1 round trips of representative requests, read from `Server-Timing`
 * (`d1;desc="N round trips, M statements"`): a count, so a change that adds a round trip to a hot
 * route fails here. Read audit rows are not counted: they are written in coalesced batches after the
 * answer (src/features/audit/record-audit.ts).
 */
import { describe, expect, it } from "vitest";
import { FHIR_JSON, newStore, patient } from "../fhir/rest/fhir-helpers";
import { admin, type CallInit, call, createClient, createKey, tokenFor } from "../harness";

interface D1Use {
  status: number;
  trips: number;
  statements: number;
  timing: string;
  body: Record<string, unknown>;
}

/** The request's status, body and D1 use (0 round trips when the header has no `d1` metric). */
async function measure(path: string, init: CallInit = {}): Promise<D1Use> {
  const res = await call(path, init);
  const timing = res.headers.get("Server-Timing") ?? "";
  const m = /d1;dur=[\d.]+;desc="(\d+) round trips?, (\d+) statements?"/.exec(timing);
  const text = await res.text();
  return {
    status: res.status,
    trips: m ? Number(m[1]) : 0,
    statements: m ? Number(m[2]) : 0,
    timing,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const post = (auth: string, body: unknown): CallInit => ({
  method: "POST",
  auth,
  headers: { "Content-Type": FHIR_JSON },
  body: JSON.stringify(body),
});

describe("D1 round trips per request", () => {
  it("FHIR read: credential, store and resource in one batch (the audit row is written later)", async () => {
    const s = await newStore();
    const created = await measure(`${s.base}/Patient`, post(s.key, patient("Trips")));
    expect(created.status).toBe(201);
    // Credential + store (one query), then the write batch with its audit row.
    expect(created.trips).toBe(2);
    const read = await measure(`${s.base}/Patient/${created.body.id}`, { auth: s.key });
    expect(read.status).toBe(200);
    // One batch of 2: credential+store and the resource.
    expect(read.trips).toBe(1);
    expect(read.statements).toBe(2);
  });

  it("FHIR update and patch: the current row comes with the credential, then the write batch", async () => {
    const s = await newStore();
    const created = await measure(`${s.base}/Patient`, post(s.key, patient("Before")));
    const id = String(created.body.id);
    const put = await measure(`${s.base}/Patient/${id}`, {
      method: "PUT",
      auth: s.key,
      headers: { "Content-Type": FHIR_JSON, "If-Match": 'W/"1"' },
      body: JSON.stringify({ ...patient("After"), id }),
    });
    expect(put.status).toBe(200);
    expect((put.body.meta as { versionId: string }).versionId).toBe("2");
    expect(put.trips).toBe(2);
    const patch = await measure(`${s.base}/Patient/${id}`, {
      method: "PATCH",
      auth: s.key,
      headers: { "Content-Type": "application/json-patch+json", "If-Match": 'W/"2"' },
      body: JSON.stringify([{ op: "add", path: "/active", value: true }]),
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ active: true, meta: { versionId: "3" } });
    expect(patch.trips).toBe(2);
    // The prefetched row is the current one: a stale If-Match is still refused.
    const stale = await measure(`${s.base}/Patient/${id}`, {
      method: "PUT",
      auth: s.key,
      headers: { "Content-Type": FHIR_JSON, "If-Match": 'W/"2"' },
      body: JSON.stringify({ ...patient("Stale"), id }),
    });
    expect(stale.status).toBe(412);
  });

  it("FHIR search, vread and history: the credential query carries the store, then one batch", async () => {
    const s = await newStore();
    const created = await measure(`${s.base}/Patient`, post(s.key, patient("Searchable")));
    const id = String(created.body.id);
    const search = await measure(`${s.base}/Patient?name=searchable`, { auth: s.key });
    expect(search.status).toBe(200);
    expect((search.body.entry as unknown[]).length).toBe(1);
    // Credential + store, then the search batch.
    expect(search.trips).toBe(2);
    const vread = await measure(`${s.base}/Patient/${id}/_history/1`, { auth: s.key });
    expect(vread.status).toBe(200);
    expect(vread.trips).toBe(2);
    // Instance history: the existence check rides in the page's batch.
    const history = await measure(`${s.base}/Patient/${id}/_history`, { auth: s.key });
    expect(history.status).toBe(200);
    expect(history.body.total).toBe(1);
    expect(history.trips).toBe(2);
    const unknown = await measure(`${s.base}/Patient/nobody/_history`, { auth: s.key });
    expect(unknown.status).toBe(404);
    expect(unknown.trips).toBe(2);
    // An unknown instance stays a 404 when a parameter is bad too (existence is checked first).
    const unknownBad = await measure(`${s.base}/Patient/nobody/_history?_count=x`, { auth: s.key });
    expect(unknownBad.status).toBe(404);
    const knownBad = await measure(`${s.base}/Patient/${id}/_history?_count=x`, { auth: s.key });
    expect(knownBad.status).toBe(400);
  });

  it("/FHIR/R4: the default store comes with the credential, for keys, store keys and tokens", async () => {
    const s = await newStore();
    const created = await measure("/FHIR/R4/Patient", post(s.key, patient("Alias")));
    expect(created.status).toBe(201);
    expect(created.trips).toBe(2);
    const id = String(created.body.id);
    // The org's first store is its default: the alias and the store's own base see the same resource.
    expect((await measure(`${s.base}/Patient/${id}`, { auth: s.key })).status).toBe(200);
    const read = await measure(`/FHIR/R4/Patient/${id}`, { auth: s.key });
    expect(read.status).toBe(200);
    // Credential + default store, then the read.
    expect(read.trips).toBe(2);
    const bySearch = await measure("/FHIR/R4/Patient?name=alias", { auth: s.storeKey });
    expect(bySearch.status).toBe(200);
    expect((bySearch.body.entry as unknown[]).length).toBe(1);
    expect(bySearch.trips).toBe(2);
    const client = await createClient(s.orgId, ["fhir:read"]);
    const token = await tokenFor(client);
    const viaToken = await measure(`/FHIR/R4/Patient/${id}`, { auth: token });
    expect(viaToken.status).toBe(200);
    expect(viaToken.trips).toBe(2);
    // Another organization's default store is its own.
    const other = await newStore();
    expect((await measure(`/FHIR/R4/Patient/${id}`, { auth: other.key })).status).toBe(404);
  });

  it("stores API: the store list and one store with their key prefixes in one query", async () => {
    const s = await newStore();
    const list = await measure("/api/fhirserver/list", { auth: s.key });
    expect(list.status).toBe(200);
    expect(list.trips).toBe(2);
    const one = await measure(`/api/fhirserver/${s.storeId}`, { auth: s.key });
    expect(one.status).toBe(200);
    // The store's own key, shown as its visible prefix.
    const shown = (one.body.data as { apiKey: string }).apiKey;
    expect(shown).toMatch(/^fhir_key_\w+\.\.\.$/);
    expect(s.storeKey.startsWith(shown.slice(0, -3))).toBe(true);
    const listed = (list.body.data as { id: string; apiKey: string | null }[]).find((x) => x.id === s.storeId);
    expect(listed?.apiKey).toBe(shown);
    expect(one.trips).toBe(2);
  });

  it("terminology lookup: one round trip once the isolate knows the credential; revocation still immediate", async () => {
    const s = await newStore();
    const key = await createKey(s.orgId, ["terminology:read"]);
    // A credential this isolate has not checked yet: its organization is unknown before the check.
    const cold = await measure("/construe/codes/ICD-10-CM/E1165", { auth: key });
    expect(cold.status).toBe(200);
    expect(cold.trips).toBe(2);
    const warm = await measure("/construe/codes/ICD-10-CM/e11.65", { auth: key });
    expect(warm.status).toBe(200);
    expect(warm.body).toMatchObject({ code: "E11.65", system: { name: "ICD-10-CM", version: "2025" } });
    // Credential + system + code in one batch.
    expect(warm.trips).toBe(1);
    expect(warm.statements).toBe(3);
    // The same answers as without the prefetch: unknown code, unknown version, no scope.
    expect((await measure("/construe/codes/ICD-10-CM/ZZZ999", { auth: key })).status).toBe(404);
    expect((await measure("/construe/codes/ICD-10-CM/E1165?version=1999", { auth: key })).status).toBe(404);
    const fhirOnly = await createKey(s.orgId, ["fhir:read"]);
    await measure("/auth/me", { auth: fhirOnly });
    expect((await measure("/construe/codes/ICD-10-CM/E1165", { auth: fhirOnly })).status).toBe(403);
    // A revoked key is refused on the next request, prefetch or not.
    const keys = (await admin(`/admin/organizations/${s.orgId}/api-keys`)).body.data as {
      id: string;
      prefix: string;
    }[];
    const row = keys.find((k) => key.startsWith(k.prefix))!;
    expect((await admin(`/admin/organizations/${s.orgId}/api-keys/${row.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await measure("/construe/codes/ICD-10-CM/E1165", { auth: key })).status).toBe(401);
  });

  it("terminology text search and extract: the credential, then one batch", async () => {
    const s = await newStore();
    // The first search of a system in an isolate plans against the system it reads; later ones
    // send the plan with the system lookup.
    await measure("/construe/codes/ICD-10-CM/search/text?q=diabetes", { auth: s.key });
    const search = await measure("/construe/codes/ICD-10-CM/search/text?q=diabetes", { auth: s.key });
    expect(search.status).toBe(200);
    expect((search.body.results as unknown[]).length).toBeGreaterThan(0);
    expect(search.trips).toBe(2);
    const extract = { method: "POST", auth: s.key, json: { text: "Type 2 diabetes mellitus with hyperglycemia." } };
    await measure("/construe/extract", extract);
    const extracted = await measure("/construe/extract", extract);
    expect(extracted.status).toBe(200);
    expect(extracted.trips).toBe(2);
  });

  it("each route group keeps its rate policy (RateLimit-Limit) under the combined middleware", async () => {
    const s = await newStore();
    const cases: [string, CallInit, string][] = [
      ["/auth/me", {}, "200"],
      ["/api/fhirserver/list", {}, "200"],
      ["/construe/codes/systems", {}, "200"],
      ["/construe/extract", { method: "POST", json: { text: "Asthma." } }, "200"],
      [`${s.base}/Patient`, {}, "1000"],
      ["/FHIR/R4/Patient", {}, "1000"],
      [`/api/g/${s.orgId}/ingestion/transactions/none`, {}, "200"],
    ];
    for (const [path, init, limit] of cases) {
      // Twice: the second request is the one whose token is taken during the credential check.
      for (let i = 0; i < 2; i++) {
        const res = await call(path, { ...init, auth: s.key });
        expect(res.headers.get("RateLimit-Limit"), path).toBe(limit);
        await res.arrayBuffer();
      }
    }
  });
});
