/**
 * A store's custom SearchParameters (activated by $reindex) beyond plain filters: custom reference
 * params in _include / _revinclude (+ :iterate), custom params in SMART v2 query-constrained scopes
 * (search, includes, direct reads, $everything), in bulk export `_typeFilter`, and in /metadata's
 * searchInclude / searchRevInclude. Another store's custom params never apply.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findJob } from "../../../src/features/bulk-export/export-job-row";
import { runExportStep } from "../../../src/features/bulk-export/run-export-job";
import { drainExports } from "../../bulk-export/helpers";
import { call, createKey } from "../../harness";
import { fhir, newStore, type TestStore } from "../rest/fhir-helpers";
import { searchParameter } from "./fixtures";

type Entry = { resource: { id: string; resourceType: string }; search?: { mode: string } };
type Bundle = { total?: number; entry?: Entry[] };
type Outcome = { resourceType: string; issue: { severity: string; code: string; diagnostics: string }[] };
type Capability = {
  rest: { resource: { type: string; searchInclude?: string[]; searchRevInclude?: string[] }[] }[];
};

const EXT = "http://example.org/fhir/StructureDefinition";
const STRICT = { Prefer: "handling=strict" };

const sp = (code: string, type: string, expression: string, extra: Record<string, unknown> = {}) =>
  searchParameter("Observation", code, type, expression, extra);
const PARAMS = [
  sp("performing-lab", "reference", `Observation.extension('${EXT}/lab').value`, { target: ["Organization"] }),
  sp("tier", "token", `Observation.extension('${EXT}/tier').value`),
];

const obs = (patient: string, lab: string, tier: string) => ({
  resourceType: "Observation",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code: "2345-7" }] },
  subject: { reference: `Patient/${patient}` },
  extension: [
    { url: `${EXT}/lab`, valueReference: { reference: `Organization/${lab}` } },
    { url: `${EXT}/tier`, valueCode: tier },
  ],
});

interface Fixture {
  store: TestStore;
  ids: Record<string, string>;
}

async function create(store: TestStore, body: Record<string, unknown>): Promise<string> {
  const r = await fhir<{ id: string }>(`${store.base}/${body.resourceType as string}`, {
    method: "POST",
    auth: store.key,
    json: body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

/** Two labs, two patients; pA has a gold obs (lab 1) and a silver one (lab 2), pB a silver one (lab 1). */
async function populate(store: TestStore): Promise<Fixture> {
  const ids: Record<string, string> = {};
  ids.lab1 = await create(store, { resourceType: "Organization", name: "Lab One" });
  ids.lab2 = await create(store, { resourceType: "Organization", name: "Lab Two" });
  ids.pA = await create(store, { resourceType: "Patient", name: [{ family: "Alpha" }] });
  ids.pB = await create(store, { resourceType: "Patient", name: [{ family: "Beta" }] });
  ids.goldA = await create(store, obs(ids.pA, ids.lab1, "gold"));
  ids.silverA = await create(store, obs(ids.pA, ids.lab2, "silver"));
  ids.silverB = await create(store, obs(ids.pB, ids.lab1, "silver"));
  for (const p of PARAMS) await create(store, p);
  return { store, ids };
}

let a: Fixture;
/** Another organization's store with the same data and SearchParameters, never reindexed. */
let b: Fixture;

beforeAll(async () => {
  a = await populate(await newStore());
  b = await populate(await newStore("other"));
  const r = await fhir(`${a.store.base}/$reindex`, { method: "POST", auth: a.store.key });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
});
// Export kick-offs put messages on the real JOBS queue: let its consumer finish before the file ends.
afterAll(() => drainExports());

async function search(f: Fixture, query: string, auth = f.store.key, headers: Record<string, string> = STRICT) {
  const r = await fhir<Bundle & Outcome>(`${f.store.base}/${query}`, { auth, headers });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const ids = (mode: string) =>
    (r.body.entry ?? [])
      .filter((e) => e.search?.mode === mode)
      .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();
  return { match: ids("match"), include: ids("include"), body: r.body };
}

describe("_include / _revinclude with a custom reference param", () => {
  it("_include=Observation:performing-lab adds the referenced labs", async () => {
    const { ids } = a;
    const r = await search(a, `Observation?tier=gold&_include=Observation:performing-lab`);
    expect(r.match).toEqual([`Observation/${ids.goldA}`]);
    expect(r.include).toEqual([`Organization/${ids.lab1}`]);
    const typed = await search(a, `Observation?tier=silver&_include=Observation:performing-lab:Organization`);
    expect(typed.include).toEqual([`Organization/${ids.lab1}`, `Organization/${ids.lab2}`].sort());
  });

  it("_revinclude=Observation:performing-lab adds the observations that name the lab", async () => {
    const { ids } = a;
    const r = await search(a, `Organization?_id=${ids.lab1}&_revinclude=Observation:performing-lab`);
    expect(r.match).toEqual([`Organization/${ids.lab1}`]);
    expect(r.include).toEqual([`Observation/${ids.goldA}`, `Observation/${ids.silverB}`].sort());
  });

  it(":iterate follows custom reference params in both directions", async () => {
    const { ids } = a;
    // pA -> its observations -> their labs (include:iterate) -> the labs' other observations (revinclude:iterate).
    const r = await search(
      a,
      `Patient?_id=${ids.pA}&_revinclude=Observation:subject&_include:iterate=Observation:performing-lab&_revinclude:iterate=Observation:performing-lab`,
    );
    expect(r.match).toEqual([`Patient/${ids.pA}`]);
    expect(r.include).toEqual(
      [
        `Observation/${ids.goldA}`,
        `Observation/${ids.silverA}`,
        `Observation/${ids.silverB}`,
        `Organization/${ids.lab1}`,
        `Organization/${ids.lab2}`,
      ].sort(),
    );
  });

  it("a target the custom param cannot refer to, or a non-reference custom param, is refused like a standard one", async () => {
    for (const q of [
      "_include=Observation:performing-lab:Patient",
      "_include=Observation:tier",
      "_include=Observation:nope",
    ]) {
      const strict = await fhir<Outcome>(`${a.store.base}/Observation?${q}`, { auth: a.store.key, headers: STRICT });
      expect(strict.status, q).toBe(400);
      const lenient = await search(a, `Observation?${q}`, a.store.key, {});
      expect(lenient.include, q).toEqual([]);
      expect(JSON.stringify(lenient.body), q).toContain("OperationOutcome");
    }
  });

  it("another store's custom params do not apply: unknown there (strict 400, lenient ignored)", async () => {
    const strict = await fhir<Outcome>(`${b.store.base}/Observation?_include=Observation:performing-lab`, {
      auth: b.store.key,
      headers: STRICT,
    });
    expect(strict.status).toBe(400);
    expect(strict.body.issue[0]?.diagnostics).toContain("performing-lab");
    const lenient = await search(
      b,
      `Organization?_id=${b.ids.lab1}&_revinclude=Observation:performing-lab`,
      b.store.key,
      {},
    );
    expect(lenient.match).toEqual([`Organization/${b.ids.lab1}`]);
    expect(lenient.include).toEqual([]);
  });
});

describe("SMART v2 query-constrained scopes on a custom token param", () => {
  it("search sees only matching resources; direct reads of others are refused", async () => {
    const { ids } = a;
    const key = await createKey(a.store.orgId, ["system/Observation.rs?tier=gold"]);
    const r = await search(a, "Observation", key);
    expect(r.match).toEqual([`Observation/${ids.goldA}`]);
    expect(r.body.total).toBe(1);
    expect((await fhir(`${a.store.base}/Observation/${ids.goldA}`, { auth: key })).status).toBe(200);
    const denied = await fhir(`${a.store.base}/Observation/${ids.silverA}`, { auth: key });
    expect([403, 404]).toContain(denied.status);
  });

  it("included resources obey the custom-param constraint of their type", async () => {
    const { ids } = a;
    const key = await createKey(a.store.orgId, ["system/Patient.rs", "system/Observation.rs?tier=gold"]);
    const r = await search(a, `Patient?_id=${ids.pA}&_revinclude=Observation:subject`, key);
    expect(r.match).toEqual([`Patient/${ids.pA}`]);
    expect(r.include).toEqual([`Observation/${ids.goldA}`]);
  });

  it("$everything leaves out resources outside the custom-param constraint", async () => {
    const { ids } = a;
    const key = await createKey(a.store.orgId, ["system/Patient.rs", "system/Observation.rs?tier=gold"]);
    const r = await fhir<Bundle>(`${a.store.base}/Patient/${ids.pA}/$everything`, { auth: key });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const got = (r.body.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    expect(got).toContain(`Observation/${ids.goldA}`);
    expect(got).not.toContain(`Observation/${ids.silverA}`);
  });

  it("another store's custom params do not apply: the constraint matches nothing there (fail closed)", async () => {
    const key = await createKey(b.store.orgId, ["system/Observation.rs?tier=gold"]);
    const r = await search(b, "Observation", key, {});
    expect(r.match).toEqual([]);
    const read = await fhir(`${b.store.base}/Observation/${b.ids.goldA}`, { auth: key });
    expect(read.status).toBeGreaterThanOrEqual(400);
    expect(read.status).toBeLessThan(500);
  });
});

describe("bulk export _typeFilter with a custom param", () => {
  const ASYNC = { Prefer: "respond-async", Accept: "application/fhir+json" };

  async function exportIds(f: Fixture, query: string): Promise<string[]> {
    const k = await fhir(`${f.store.base}/$export?${query}`, { auth: f.store.key, headers: ASYNC });
    expect(k.status, JSON.stringify(k.body)).toBe(202);
    const statusUrl = new URL(k.res.headers.get("Content-Location") as string).pathname;
    const jobId = statusUrl.split("/").pop() as string;
    for (let i = 0; i < 200; i++) {
      const step = await runExportStep(env, jobId);
      if (step === "completed" || step === "failed" || step === "cancelled") break;
      const job = await findJob(env.DB, jobId);
      if (job && job.status !== "accepted" && job.status !== "in-progress") break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const manifest = await fhir<{ output: { type: string; url: string }[] }>(statusUrl, { auth: f.store.key });
    expect(manifest.status, JSON.stringify(manifest.body)).toBe(200);
    const out: string[] = [];
    for (const o of manifest.body.output) {
      const res = await call(new URL(o.url).pathname, { auth: f.store.key });
      expect(res.status).toBe(200);
      const text = new TextDecoder().decode(await res.arrayBuffer());
      for (const line of text.trim().split("\n").filter(Boolean)) {
        const r = JSON.parse(line) as { resourceType: string; id: string };
        out.push(`${r.resourceType}/${r.id}`);
      }
    }
    return out.sort();
  }

  it("exports only the resources the custom-param filter matches", async () => {
    const { ids } = a;
    const got = await exportIds(a, "_type=Observation&_typeFilter=Observation%3Ftier%3Dgold");
    expect(got).toEqual([`Observation/${ids.goldA}`]);
    const byLab = await exportIds(
      a,
      `_type=Observation&_typeFilter=Observation%3Fperforming-lab%3DOrganization/${ids.lab1}`,
    );
    expect(byLab).toEqual([`Observation/${ids.goldA}`, `Observation/${ids.silverB}`].sort());
  });

  it("another store's custom params do not apply: the filter is a 400 there", async () => {
    const r = await fhir<Outcome>(`${b.store.base}/$export?_type=Observation&_typeFilter=Observation%3Ftier%3Dgold`, {
      auth: b.store.key,
      headers: ASYNC,
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain("tier");
  });
});

describe("/metadata", () => {
  const entry = (cap: Capability, type: string) => cap.rest[0].resource.find((r) => r.type === type);

  it("lists the custom reference param in searchInclude and its target's searchRevInclude", async () => {
    const r = await fhir<Capability>(`${a.store.base}/metadata`, { auth: a.store.key });
    expect(r.status).toBe(200);
    expect(entry(r.body, "Observation")?.searchInclude).toContain("Observation:performing-lab");
    expect(entry(r.body, "Observation")?.searchInclude).toContain("Observation:subject");
    expect(entry(r.body, "Observation")?.searchInclude).not.toContain("Observation:tier");
    expect(entry(r.body, "Organization")?.searchRevInclude).toContain("Observation:performing-lab");
    expect(entry(r.body, "Patient")?.searchRevInclude).not.toContain("Observation:performing-lab");
  });

  it("another store's metadata does not list it", async () => {
    const r = await fhir<Capability>(`${b.store.base}/metadata`, { auth: b.store.key });
    expect(r.status).toBe(200);
    expect(entry(r.body, "Observation")?.searchInclude).not.toContain("Observation:performing-lab");
    expect(entry(r.body, "Organization")?.searchRevInclude).not.toContain("Observation:performing-lab");
  });
});
