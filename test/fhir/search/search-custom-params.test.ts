/**
 * Custom SearchParameters and $reindex: SearchParameter resources posted to a store become searchable
 * after POST [base]/$reindex (and stay indexed on later writes), bad ones are refused with 400, and
 * neither definitions nor jobs cross tenants.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseScopes } from "../../../src/features/auth/scopes";
import { findStoreJob } from "../../../src/features/fhir/reindex/reindex-job-row";
import { handleReindexJob, runReindexStep } from "../../../src/features/fhir/reindex/run-reindex-job";
import { startReindex } from "../../../src/features/fhir/reindex/start-reindex";
import { customParamsOf } from "../../../src/features/fhir/search/custom-params";
import { requireOrgStore } from "../../../src/features/stores/store-row";
import { createServices } from "../../../src/services";
import { BASE, createKey } from "../../harness";
import { fhir, newStore, type TestStore } from "../rest/fhir-helpers";
import { searchParameter } from "./fixtures";

type Bundle = {
  total?: number;
  entry?: { resource: { id: string; resourceType: string }; search: { mode: string } }[];
};
type Issue = { severity: string; code: string; diagnostics: string; expression?: string[] };
type Outcome = { resourceType: string; issue: Issue[] };
type Parameters = {
  resourceType: string;
  parameter: { name: string; valueCode?: string; valueInteger?: number; valueString?: string; resource?: Outcome }[];
};

const EXT = "http://example.org/fhir/StructureDefinition";
const UCUM = "http://unitsofmeasure.org";
const STRICT = { Prefer: "handling=strict" };

const sp = (code: string, type: string, expression: string, extra: Record<string, unknown> = {}) =>
  searchParameter("Patient", code, type, expression, extra);
const ext = (name: string) => `Patient.extension('${EXT}/${name}').value`;

const PARAMS = [
  sp("eye-color", "token", ext("eye-color")),
  sp("nickname", "string", ext("nickname")),
  sp("enrolled", "date", ext("enrolled")),
  sp("siblings", "number", ext("siblings")),
  sp("height", "quantity", ext("height")),
  sp("sponsor", "reference", ext("sponsor"), { target: ["Organization"] }),
  sp("homepage", "uri", ext("homepage")),
  sp("comp-code-value", "composite", "Observation.component", {
    base: ["Observation"],
    component: [
      { definition: "http://hl7.org/fhir/SearchParameter/Observation-component-code", expression: "code" },
      {
        definition: "http://hl7.org/fhir/SearchParameter/Observation-component-value-quantity",
        expression: "value.ofType(Quantity)",
      },
    ],
  }),
];

function patientWith(family: string, v: Record<string, unknown>) {
  const extension = [
    v.eye && {
      url: `${EXT}/eye-color`,
      valueCodeableConcept: { coding: [{ system: "http://example.org/colors", code: v.eye }] },
    },
    v.nick && { url: `${EXT}/nickname`, valueString: v.nick },
    v.enrolled && { url: `${EXT}/enrolled`, valueDate: v.enrolled },
    v.siblings !== undefined && { url: `${EXT}/siblings`, valueInteger: v.siblings },
    v.height && { url: `${EXT}/height`, valueQuantity: { value: v.height, unit: "cm", system: UCUM, code: "cm" } },
    v.sponsor && { url: `${EXT}/sponsor`, valueReference: { reference: v.sponsor } },
    v.homepage && { url: `${EXT}/homepage`, valueUri: v.homepage },
  ].filter(Boolean);
  return { resourceType: "Patient", name: [{ family }], ...(extension.length ? { extension } : {}) };
}

const bp = (systolic: number) => ({
  resourceType: "Observation",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code: "85354-9" }] },
  component: [
    {
      code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] },
      valueQuantity: { value: systolic, unit: "mmHg", system: UCUM, code: "mm[Hg]" },
    },
  ],
});

let s: TestStore;
const ids: Record<string, string> = {};

async function create(store: TestStore, body: Record<string, unknown>, auth = store.key): Promise<string> {
  const r = await fhir<{ id: string }>(`${store.base}/${body.resourceType as string}`, {
    method: "POST",
    auth,
    json: body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

async function found(query: string, store = s, headers: Record<string, string> = STRICT): Promise<string[]> {
  const r = await fhir<Bundle & Outcome>(`${store.base}/${query}`, { auth: store.key, headers });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.entry ?? [])
    .filter((e) => e.search.mode === "match")
    .map((e) => e.resource.id)
    .sort();
}

/**
 * Stores a resource without the REST validation (as if imported before a rule existed): lets the tests
 * reach $reindex's own checks with SearchParameters that the FHIR validator would refuse on create.
 */
async function putRaw(store: TestStore, id: string, body: Record<string, unknown>): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO fhir_resources (store_id, resource_type, id, version_id, last_updated, deleted, body)
     VALUES (?1, ?2, ?3, 1, '2024-01-01T00:00:00.000Z', 0, ?4)`,
  )
    .bind(store.storeId, body.resourceType as string, id, JSON.stringify({ ...body, id }))
    .run();
}

/**
 * A job exactly as `Prefer: respond-async` makes it, but that no queue message points at (the original is
 * marked cancelled): only the test runs it, even while the JOBS consumer is active.
 */
async function detachedJob(store: TestStore): Promise<{ jobId: string; statusPath: string }> {
  const r = await reindex(store, "$reindex", store.key, { Prefer: "respond-async" });
  expect(r.status).toBe(202);
  const statusPath = new URL(r.res.headers.get("Content-Location") ?? "").pathname;
  const original = statusPath.split("/").pop() as string;
  const jobId = `${original}d`;
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO fhir_reindex_jobs (id, org_id, store_id, resource_type, status, total, params, issues, created_at, updated_at)
       SELECT ?2, org_id, store_id, resource_type, 'in-progress', total, params, issues, created_at, updated_at
       FROM fhir_reindex_jobs WHERE id = ?1`,
    ).bind(original, jobId),
    env.DB.prepare("UPDATE fhir_reindex_jobs SET status = 'cancelled' WHERE id = ?1").bind(original),
  ]);
  return { jobId, statusPath: statusPath.replace(original, jobId) };
}

const reindex = (store: TestStore, path = "$reindex", auth = store.key, headers: Record<string, string> = {}) =>
  fhir<Parameters & Outcome>(`${store.base}/${path}`, { method: "POST", auth, headers });

const param = (p: Parameters, name: string) => p.parameter.find((x) => x.name === name);

beforeAll(async () => {
  s = await newStore();
  ids.org = await create(s, { resourceType: "Organization", name: "Acme Trust" });
  ids.other = await create(s, { resourceType: "Organization", name: "Other Fund" });
  ids.ann = await create(
    s,
    patientWith("Ann", {
      eye: "blue",
      nick: "Annie",
      enrolled: "2021-03-04",
      siblings: 3,
      height: 180,
      sponsor: `Organization/${ids.org}`,
      homepage: "http://a.example/people/ann",
    }),
  );
  ids.bob = await create(
    s,
    patientWith("Bob", {
      eye: "brown",
      nick: "Bobby",
      enrolled: "2023-07-01",
      siblings: 0,
      height: 165,
      sponsor: `Organization/${ids.other}`,
      homepage: "http://b.example/bob",
    }),
  );
  ids.cy = await create(s, patientWith("Cy", {}));
  ids.bpHigh = await create(s, bp(150));
  ids.bpLow = await create(s, bp(110));
  for (const p of PARAMS) await create(s, p);
});

describe("before $reindex", () => {
  it("custom parameters are unknown: 400 in strict mode, ignored and reported otherwise", async () => {
    const strict = await fhir<Outcome>(`${s.base}/Patient?eye-color=blue`, { auth: s.key, headers: STRICT });
    expect(strict.status).toBe(400);
    expect(strict.body.issue[0]?.diagnostics).toContain("eye-color");
    const lenient = await fhir<Bundle>(`${s.base}/Patient?eye-color=blue`, { auth: s.key });
    expect(lenient.status).toBe(200);
    expect(lenient.body.total).toBe(3);
  });
});

describe("$reindex", () => {
  let result: Parameters;
  beforeAll(async () => {
    const r = await reindex(s);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    result = r.body;
  });

  it("answers Parameters with how many resources were reindexed", () => {
    expect(result.resourceType).toBe("Parameters");
    expect(param(result, "status")?.valueCode).toBe("completed");
    // 2 Organizations, 3 Patients, 2 Observations, 8 SearchParameters.
    expect(param(result, "reindexed")?.valueInteger).toBe(15);
    expect(param(result, "total")?.valueInteger).toBe(15);
    expect(param(result, "searchParameters")?.valueInteger).toBe(8);
    expect(param(result, "outcome")?.resource?.issue[0]?.diagnostics).toContain("Reindexed 15 resources");
  });

  it.each([
    ["Patient?eye-color=blue", ["ann"]],
    ["Patient?eye-color=http://example.org/colors|brown", ["bob"]],
    ["Patient?eye-color:not=blue", ["bob", "cy"]],
    ["Patient?eye-color:missing=true", ["cy"]],
    ["Patient?nickname=ann", ["ann"]],
    ["Patient?nickname:exact=Bobby", ["bob"]],
    ["Patient?enrolled=2021-03", ["ann"]],
    ["Patient?enrolled=gt2022-01-01", ["bob"]],
    ["Patient?siblings=3", ["ann"]],
    ["Patient?siblings=lt1", ["bob"]],
    ["Patient?height=180|http://unitsofmeasure.org|cm", ["ann"]],
    ["Patient?height=gt1.7|http://unitsofmeasure.org|m", ["ann"]],
    ["Patient?sponsor=Organization/ORG", ["ann"]],
    ["Patient?sponsor.name=other", ["bob"]],
    ["Patient?homepage=http://a.example/people/ann", ["ann"]],
    ["Patient?homepage:below=http://b.example", ["bob"]],
    ["Observation?comp-code-value=http://loinc.org|8480-6$gt140", ["bpHigh"]],
    ["Observation?comp-code-value=http://loinc.org|8480-6$lt120", ["bpLow"]],
  ])("%s", async (query, expected) => {
    expect(await found(query.replace("ORG", ids.org as string))).toEqual(expected.map((k) => ids[k]).sort());
  });

  it("sorts by a custom parameter", async () => {
    const r = await fhir<Bundle>(`${s.base}/Patient?_sort=-siblings&siblings:missing=false`, { auth: s.key });
    expect(r.body.entry?.map((e) => e.resource.id)).toEqual([ids.ann, ids.bob]);
  });

  it("writes after $reindex index the custom parameters: create, update, transaction", async () => {
    const dee = await create(s, patientWith("Dee", { eye: "green" }));
    expect(await found("Patient?eye-color=green")).toEqual([dee]);
    const put = await fhir(`${s.base}/Patient/${ids.bob}`, {
      method: "PUT",
      auth: s.key,
      json: { ...patientWith("Bob", { eye: "green", siblings: 7 }), id: ids.bob },
    });
    expect(put.status).toBe(200);
    expect(await found("Patient?eye-color=green")).toEqual([dee, ids.bob].sort());
    expect(await found("Patient?eye-color=brown")).toEqual([]);
    expect(await found("Patient?siblings=7")).toEqual([ids.bob]);
    const tx = await fhir<{ entry: { response: { location: string } }[] }>(s.base, {
      method: "POST",
      auth: s.key,
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ resource: patientWith("Eve", { eye: "grey" }), request: { method: "POST", url: "Patient" } }],
      },
    });
    expect(tx.status).toBe(200);
    const eve = tx.body.entry[0]?.response.location.split("/")[1];
    expect(await found("Patient?eye-color=grey")).toEqual([eve]);
  });

  it("the CapabilityStatement of the store lists its custom parameters", async () => {
    const r = await fhir<{ rest: { resource: { type: string; searchParam: { name: string; type: string }[] }[] }[] }>(
      `${s.base}/metadata`,
    );
    const patient = r.body.rest[0]?.resource.find((x) => x.type === "Patient");
    expect(patient?.searchParam).toContainEqual(expect.objectContaining({ name: "eye-color", type: "token" }));
    expect(patient?.searchParam).toContainEqual(expect.objectContaining({ name: "sponsor", type: "reference" }));
    const other = await newStore();
    const plain = await fhir<{ rest: { resource: { type: string; searchParam: { name: string }[] }[] }[] }>(
      `${other.base}/metadata`,
    );
    const names = plain.body.rest[0]?.resource.find((x) => x.type === "Patient")?.searchParam.map((p) => p.name);
    expect(names).toContain("family");
    expect(names).not.toContain("eye-color");
  });
});

describe("validation", () => {
  it("a bad expression is a 400 naming the SearchParameter; the active definitions stay", async () => {
    const t = await newStore();
    await create(t, patientWith("Ann", { eye: "blue" }));
    await create(t, sp("eye-color", "token", ext("eye-color")));
    expect((await reindex(t)).status).toBe(200);
    const bad = await create(t, sp("broken", "token", "Patient.extension.where(url = 'x'"));
    const r = await reindex(t);
    expect(r.status).toBe(400);
    expect(r.body.resourceType).toBe("OperationOutcome");
    expect(r.body.issue[0]?.diagnostics).toContain(`SearchParameter/${bad}`);
    expect(r.body.issue[0]?.diagnostics).toContain("not valid FHIRPath");
    expect(r.body.issue[0]?.expression).toEqual(["SearchParameter.expression"]);
    expect(await found("Patient?eye-color=blue", t)).toHaveLength(1);
  });

  it.each([
    ["an unknown function", sp("fn", "token", "Patient.name.nosuchfunction()"), "nosuchfunction"],
    ["a missing expression", sp("noexpr", "token", "x", { expression: undefined }), "expression is required"],
    ["a bad code", sp("1bad", "token", "Patient.gender"), "code '1bad'"],
    ["an unknown base", sp("b", "token", "Patient.gender", { base: ["Nope"] }), "unknown base type 'Nope'"],
    ["an unknown type", sp("t", "fancy", "Patient.gender"), "type 'fancy'"],
    ["an unknown target", sp("r", "reference", "Patient.link.other", { target: ["Nope"] }), "target"],
    [
      "an unresolvable composite",
      sp("c", "composite", "Patient", { component: [{ definition: "http://x/none", expression: "gender" }] }),
      "composite",
    ],
  ])("%s is refused", async (_what, body, message) => {
    const t = await newStore();
    await putRaw(t, "sp1", JSON.parse(JSON.stringify(body)));
    const r = await reindex(t);
    expect(r.status).toBe(400);
    expect(r.body.issue.map((i) => i.diagnostics).join(" ")).toContain(message);
  });

  it("two parameters with one code on a type are refused; a standard code is kept and reported", async () => {
    const t = await newStore();
    await create(t, sp("dup", "token", "Patient.gender"));
    await create(t, sp("dup", "string", "Patient.name.family"));
    const dup = await reindex(t);
    expect(dup.status).toBe(400);
    expect(dup.body.issue[0]?.diagnostics).toContain("already has a custom parameter 'dup'");

    const u = await newStore();
    await create(u, sp("gender", "string", "Patient.name.family"));
    await create(u, sp("retired-one", "token", "Patient.gender", { status: "retired" }));
    const ok = await reindex(u);
    expect(ok.status).toBe(200);
    const warnings = param(ok.body, "outcome")?.resource?.issue.filter((i) => i.severity === "warning") ?? [];
    expect(warnings.map((w) => w.diagnostics).join(" ")).toContain("already a standard search parameter");
    expect(warnings.map((w) => w.diagnostics).join(" ")).toContain("retired");
    expect(param(ok.body, "searchParameters")?.valueInteger).toBe(0);
  });

  it("an unknown type in a type-level $reindex is a 400", async () => {
    expect((await reindex(s, "Nope/$reindex")).status).toBe(400);
  });
});

describe("type level, asynchronous runs and jobs", () => {
  it("POST [type]/$reindex activates that type's parameters and reindexes only that type", async () => {
    const t = await newStore();
    await create(t, patientWith("Ann", { eye: "blue" }));
    await create(t, { resourceType: "Organization", name: "Acme", alias: ["ACME-1"] });
    await create(t, sp("eye-color", "token", ext("eye-color")));
    await create(t, sp("org-alias", "string", "Organization.alias", { base: ["Organization"] }));
    const r = await reindex(t, "Patient/$reindex");
    expect(r.status).toBe(200);
    expect(param(r.body, "reindexed")?.valueInteger).toBe(1);
    expect(param(r.body, "searchParameters")?.valueInteger).toBe(1);
    expect(await found("Patient?eye-color=blue", t)).toHaveLength(1);
    const org = await fhir<Outcome>(`${t.base}/Organization?org-alias=acme`, { auth: t.key, headers: STRICT });
    expect(org.status).toBe(400);
    expect((await reindex(t, "Organization/$reindex")).status).toBe(200);
    expect(await found("Organization?org-alias=acme", t)).toHaveLength(1);
    // The Patient parameter stayed active.
    expect(await found("Patient?eye-color=blue", t)).toHaveLength(1);
  });

  it("Prefer: respond-async answers 202 + Content-Location; the queue job completes in pages", async () => {
    const t = await newStore();
    for (const eye of ["blue", "blue", "brown", "green", "blue"]) await create(t, patientWith("P", { eye }));
    await create(t, sp("eye-color", "token", ext("eye-color")));
    const r = await reindex(t, "$reindex", t.key, { Prefer: "respond-async" });
    expect(r.status).toBe(202);
    expect(r.body.resourceType).toBe("OperationOutcome");
    expect(r.res.headers.get("Content-Location")).toMatch(new RegExp(`/fhir/${t.storeId}/\\$reindex-status/rix_`));
    const { jobId, statusPath } = await detachedJob(t);

    const running = await fhir(statusPath, { auth: t.key });
    expect(running.status).toBe(202);
    expect(running.res.headers.get("X-Progress")).toBe("0 of 6 resources reindexed");

    // Two resources per invocation: continuation after continuation until the end.
    const limits = { pageSize: 2, budgetMs: 60_000, maxResources: 2, leaseMs: 60_000 };
    const steps: string[] = [];
    for (let i = 0; i < 10; i++) {
      const step = await runReindexStep(env.DB, jobId, limits);
      steps.push(step);
      if (step !== "continue") break;
    }
    expect(steps).toEqual(["continue", "continue", "continue", "completed"]);
    const done = await fhir<Parameters>(statusPath, { auth: t.key });
    expect(done.status).toBe(200);
    expect(param(done.body, "status")?.valueCode).toBe("completed");
    expect(param(done.body, "reindexed")?.valueInteger).toBe(6);
    expect(await found("Patient?eye-color=blue", t)).toHaveLength(3);
    // A finished job is not run again.
    expect(await runReindexStep(env.DB, jobId, limits)).toBe("idle");
  });

  it("a store beyond the in-request budget answers 202 and finishes in the background", async () => {
    const t = await newStore();
    for (const eye of ["blue", "brown", "blue"]) await create(t, patientWith("P", { eye }));
    // A body beyond the page's inline size is read on its own.
    const big = await create(t, patientWith("Big", { eye: "violet", nick: "x".repeat(100_000) }));
    await create(t, sp("eye-color", "token", ext("eye-color")));
    const principal = {
      orgId: t.orgId,
      credentialId: "key_test",
      credentialKind: "api_key" as const,
      clientId: null,
      scopes: parseScopes(["fhir:write"]).scopes,
      storeId: null,
      patientId: null,
      consentRequired: false,
    };
    const base = { services: createServices(env), requestId: "test", origin: BASE, principal };
    const ctx = { ...base, store: await requireOrgStore(base, t.storeId), base: `${BASE}${t.base}` };
    const limits = { pageSize: 2, budgetMs: 60_000, maxResources: 2, leaseMs: 60_000 };
    const started = await startReindex({ ctx, input: { resourceType: null, respondAsync: false } }, limits);
    expect(started.state).toBe("accepted");
    expect(started.job.processed).toBe(2);
    expect(started.state === "accepted" && started.statusUrl).toBe(
      `${BASE}${t.base}/$reindex-status/${started.job.id}`,
    );
    // The continuation message is on the queue; finish here if the consumer has not already.
    for (let i = 0; i < 50; i++) {
      const job = await findStoreJob(env.DB, t.storeId, started.job.id);
      if (job?.status === "completed") break;
      if ((await runReindexStep(env.DB, started.job.id, limits)) === "idle")
        await new Promise((res) => setTimeout(res, 50));
    }
    const job = await findStoreJob(env.DB, t.storeId, started.job.id);
    expect(job?.status).toBe("completed");
    expect(job?.processed).toBe(5);
    expect(await found("Patient?eye-color=blue", t)).toHaveLength(2);
    expect(await found("Patient?eye-color=violet", t)).toEqual([big]);
  });

  it("the JOBS queue handler runs a job to the end", async () => {
    const t = await newStore();
    await create(t, patientWith("P", { eye: "blue" }));
    await create(t, sp("eye-color", "token", ext("eye-color")));
    const { jobId, statusPath } = await detachedJob(t);
    await handleReindexJob(env, { type: "fhir-reindex", jobId });
    const done = await fhir<Parameters>(statusPath, { auth: t.key });
    expect(done.status).toBe(200);
    expect(param(done.body, "reindexed")?.valueInteger).toBe(2);
  });

  it("a newer $reindex supersedes a running one", async () => {
    const t = await newStore();
    await create(t, patientWith("P", { eye: "blue" }));
    const first = await reindex(t, "$reindex", t.key, { Prefer: "respond-async" });
    const firstPath = new URL(first.res.headers.get("Content-Location") ?? "").pathname;
    expect((await reindex(t)).status).toBe(200);
    const st = await fhir<Parameters>(firstPath, { auth: t.key });
    expect(st.status).toBe(200);
    expect(param(st.body, "status")?.valueCode).toBe("cancelled");
    expect(
      await runReindexStep(env.DB, firstPath.split("/").pop() as string, {
        pageSize: 10,
        budgetMs: 1000,
        maxResources: 10,
        leaseMs: 1000,
      }),
    ).toBe("idle");
  });
});

describe("definition cache", () => {
  it("is keyed by the store's version: a caller with the row's version always gets the current set", async () => {
    const t = await newStore();
    await create(t, sp("eye-color", "token", ext("eye-color")));
    expect(await customParamsOf(env.DB, t.storeId, 0)).toBeUndefined();
    expect((await reindex(t)).status).toBe(200);
    const row = await env.DB.prepare("SELECT search_params_version AS v FROM fhir_stores WHERE id = ?1")
      .bind(t.storeId)
      .first<{ v: number }>();
    const v = Number(row?.v);
    expect(v).toBeGreaterThan(0);
    expect([...((await customParamsOf(env.DB, t.storeId, v))?.get("Patient")?.keys() ?? [])]).toEqual(["eye-color"]);
    // Another isolate's $reindex (simulated): the definitions go and the version moves on.
    await env.DB.batch([
      env.DB.prepare("DELETE FROM fhir_search_custom_params WHERE store_id = ?1").bind(t.storeId),
      env.DB.prepare("UPDATE fhir_stores SET search_params_version = ?2 WHERE id = ?1").bind(t.storeId, v + 1),
    ]);
    // Searches without the row trust what they saw for a few seconds; the row's version is exact.
    expect((await customParamsOf(env.DB, t.storeId))?.get("Patient")?.has("eye-color")).toBe(true);
    expect(await customParamsOf(env.DB, t.storeId, v + 1)).toBeUndefined();
    expect(await customParamsOf(env.DB, t.storeId)).toBeUndefined();
  });
});

describe("access and tenant isolation", () => {
  it("needs write access: read-only and single-type keys cannot reindex the store", async () => {
    const ro = await createKey(s.orgId, ["fhir:read"]);
    expect((await reindex(s, "$reindex", ro)).status).toBe(403);
    const patientWrite = await createKey(s.orgId, ["system/Patient.u"]);
    expect((await reindex(s, "$reindex", patientWrite)).status).toBe(403);
    expect((await reindex(s, "Observation/$reindex", patientWrite)).status).toBe(403);
    expect((await reindex(s, "Patient/$reindex", patientWrite)).status).toBe(200);
    const wildcard = await createKey(s.orgId, ["system/*.cruds"]);
    expect((await reindex(s, "$reindex", wildcard)).status).toBe(200);
    const patientContext = await createKey(s.orgId, ["patient/*.cruds"], { patientId: ids.ann as string });
    expect((await reindex(s, "Patient/$reindex", patientContext)).status).toBe(403);
  });

  it("another organization can neither reindex the store nor read its jobs; its own store has no custom params", async () => {
    const other = await newStore();
    await create(other, patientWith("Zed", { eye: "blue" }));
    // Another org's key on this store: not found, as for an unknown store.
    const cross = await reindex(s, "$reindex", other.key);
    expect(cross.status).toBe(404);
    const async = await reindex(s, "$reindex", s.key, { Prefer: "respond-async" });
    const statusPath = new URL(async.res.headers.get("Content-Location") ?? "").pathname;
    expect((await fhir(statusPath, { auth: other.key })).status).toBe(404);
    // The job id under the other org's own store: unknown there.
    expect((await fhir(statusPath.replace(s.storeId, other.storeId), { auth: other.key })).status).toBe(404);
    // Another store's own key cannot reach this store either.
    expect((await reindex(s, "$reindex", other.storeKey)).status).toBe(404);
    // The other org's $reindex activates nothing of ours: its Patient search does not know eye-color.
    expect((await reindex(other)).status).toBe(200);
    const r = await fhir<Outcome>(`${other.base}/Patient?eye-color=blue`, { auth: other.key, headers: STRICT });
    expect(r.status).toBe(400);
    expect(await found("Patient?eye-color=blue")).toEqual([ids.ann]);
  });
});
