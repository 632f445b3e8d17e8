import { beforeAll, describe, expect, it } from "vitest";
import { BASE, call, callJson, createKey } from "../../harness";
import { fhir, newStore, patient, type TestStore } from "./fhir-helpers";

type Bundle = { total?: number; entry?: { resource: { id: string; resourceType: string } }[] };
type Outcome = { resourceType: string; issue: { code: string }[] };

let s: TestStore;
let patA: string;
let patB: string;
let labA: string;
let vitalA: string;
let obsB: string;

const obs = (subject: string, category: string) => ({
  resourceType: "Observation",
  status: "final",
  category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: category }] }],
  code: { text: category },
  subject: { reference: `Patient/${subject}` },
});

beforeAll(async () => {
  s = await newStore();
  const mk = async (body: unknown) =>
    (
      await fhir<{ id: string }>(`${s.base}/${(body as { resourceType: string }).resourceType}`, {
        method: "POST",
        auth: s.key,
        json: body,
      })
    ).body.id;
  patA = await mk(patient("A"));
  patB = await mk(patient("B"));
  labA = await mk(obs(patA, "laboratory"));
  vitalA = await mk(obs(patA, "vital-signs"));
  obsB = await mk(obs(patB, "laboratory"));
});

const as = (key: string, path: string, init: { method?: string; json?: unknown } = {}) =>
  fhir<Outcome & Bundle>(`${s.base}/${path}`, { ...init, auth: key });

describe("authorisation", () => {
  it("401 without a credential, in OperationOutcome form", async () => {
    const r = await fhir<Outcome>(`${s.base}/Patient/${patA}`);
    expect(r.status).toBe(401);
    expect(r.body.resourceType).toBe("OperationOutcome");
    expect((await fhir(`${s.base}/Patient/${patA}`, { auth: "hk_not-a-real-key" })).status).toBe(401);
  });

  it("platform scopes: no FHIR scope → 403; fhir:read reads but cannot write", async () => {
    const none = await createKey(s.orgId, ["terminology:read"]);
    expect((await as(none, `Patient/${patA}`)).status).toBe(403);
    const ro = await createKey(s.orgId, ["fhir:read"]);
    expect((await as(ro, `Patient/${patA}`)).status).toBe(200);
    expect((await as(ro, "Patient?family=A")).status).toBe(200);
    expect((await as(ro, "Patient", { method: "POST", json: patient() })).status).toBe(403);
    expect((await as(ro, `Patient/${patA}`, { method: "DELETE" })).status).toBe(403);
    const tx = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: patient(), request: { method: "POST", url: "Patient" } }],
    };
    expect((await fhir(s.base, { method: "POST", auth: ro, json: tx })).status).toBe(403);
    expect((await as(ro, `Patient/${patA}/_history`)).status).toBe(200);
  });

  it("SMART system scopes per type, and v2 query-constrained scopes", async () => {
    const patOnly = await createKey(s.orgId, ["system/Patient.rs"]);
    expect((await as(patOnly, `Patient/${patA}`)).status).toBe(200);
    expect((await as(patOnly, `Observation/${labA}`)).status).toBe(403);
    expect((await as(patOnly, "Patient", { method: "POST", json: patient() })).status).toBe(403);
    expect((await as(patOnly, "_history")).status).toBe(403);

    const labs = await createKey(s.orgId, ["system/Observation.rs?category=laboratory"]);
    expect((await as(labs, `Observation/${labA}`)).status).toBe(200);
    expect((await as(labs, `Observation/${vitalA}`)).status).toBe(403);
    const found = await as(labs, "Observation");
    expect(found.status).toBe(200);
    expect(found.body.entry!.map((e) => e.resource.id).sort()).toEqual([labA, obsB].sort());
    const write = await createKey(s.orgId, ["system/Observation.c?category=laboratory"]);
    expect((await as(write, "Observation", { method: "POST", json: obs(patA, "laboratory") })).status).toBe(403);
  });

  it("patient context: only that patient's compartment, for reads and writes", async () => {
    const key = await createKey(s.orgId, ["patient/*.cruds"], { patientId: patA });
    expect((await as(key, `Patient/${patA}`)).status).toBe(200);
    expect((await as(key, `Patient/${patB}`)).status).toBe(403);
    expect((await as(key, `Observation/${labA}`)).status).toBe(200);
    expect((await as(key, `Observation/${obsB}`)).status).toBe(403);
    const search = await as(key, "Observation");
    expect(search.body.entry!.map((e) => e.resource.id).sort()).toEqual([labA, vitalA].sort());
    expect((await as(key, "Observation", { method: "POST", json: obs(patA, "vital-signs") })).status).toBe(201);
    expect((await as(key, "Observation", { method: "POST", json: obs(patB, "vital-signs") })).status).toBe(403);
    expect((await as(key, `Observation/${obsB}`, { method: "DELETE" })).status).toBe(403);
    expect((await as(key, "Observation/_history")).status).toBe(403);
    // Without a patient context, patient/ scopes grant nothing.
    const noContext = await createKey(s.orgId, ["patient/*.rs"]);
    expect((await as(noContext, `Patient/${patA}`)).status).toBe(403);
  });
});

describe("tenancy", () => {
  it("another org's store is 404 on every route; so is another store for a store key", async () => {
    const other = await newStore("other");
    const routes: [string, string, unknown?][] = [
      ["GET", `Patient/${patA}`],
      ["GET", `Patient/${patA}/_history/1`],
      ["GET", `Patient/${patA}/_history`],
      ["GET", "Patient/_history"],
      ["GET", "_history"],
      ["GET", "Patient?family=A"],
      ["GET", "?_type=Patient"],
      ["POST", "Patient/_search"],
      ["POST", "Patient", patient()],
      ["PUT", `Patient/${patA}`, { ...patient(), id: patA }],
      ["PUT", "Patient?family=A", patient()],
      ["PATCH", `Patient/${patA}`, []],
      ["PATCH", "Patient?family=A", []],
      ["DELETE", `Patient/${patA}`],
      ["DELETE", "Patient?family=A"],
      ["POST", "", { resourceType: "Bundle", type: "batch", entry: [] }],
      ["POST", "Patient/$validate", patient()],
      ["POST", `Patient/${patA}/$validate`, patient()],
    ];
    for (const base of [`/fhir/${s.storeId}`, `/datastore/${s.storeId}/r4`]) {
      const sibling = await callJson<{ data: { apiKey: string } }>("/api/fhirserver/create", {
        method: "POST",
        auth: s.key,
        json: { name: "sibling", region: "global", fhirVersion: "R4" },
      });
      // Another org's key and store key, and the store key of a sibling store of the same org.
      for (const key of [other.key, other.storeKey, sibling.body.data.apiKey]) {
        for (const [method, path, body] of routes) {
          const headers: Record<string, string> = {};
          let payload: string | undefined;
          if (body !== undefined) {
            payload = JSON.stringify(body);
            headers["Content-Type"] = method === "PATCH" ? "application/json-patch+json" : "application/fhir+json";
          }
          if (path.endsWith("_search")) {
            headers["Content-Type"] = "application/x-www-form-urlencoded";
            payload = "family=A";
          }
          const url = path === "" || path.startsWith("?") ? `${base}${path}` : `${base}/${path}`;
          const r = await call(url, { method, auth: key, headers, body: payload });
          expect(`${method} ${path} → ${r.status}`).toBe(`${method} ${path} → 404`);
        }
      }
    }
    // The data is untouched.
    expect((await fhir(`${s.base}/Patient/${patA}`, { auth: s.key })).status).toBe(200);
  });
});

describe("aliases", () => {
  it("/datastore/{id}/r4 is the same store with its own base in Location and fullUrls", async () => {
    const base = `/datastore/${s.storeId}/r4`;
    const c = await fhir<{ id: string }>(`${base}/Patient`, { method: "POST", auth: s.storeKey, json: patient("DS") });
    expect(c.status).toBe(201);
    expect(c.res.headers.get("Location")).toBe(`${BASE}${base}/Patient/${c.body.id}/_history/1`);
    expect((await fhir(`${s.base}/Patient/${c.body.id}`, { auth: s.key })).status).toBe(200);
    const search = await fhir<{ entry: { fullUrl: string }[] }>(`${base}/Patient?family=DS`, { auth: s.key });
    expect(search.body.entry[0]!.fullUrl).toBe(`${BASE}${base}/Patient/${c.body.id}`);
    const meta = await fhir<{ implementation: { url: string } }>(`${base}/metadata`);
    expect(meta.body.implementation.url).toBe(`${BASE}${base}`);
  });
});
