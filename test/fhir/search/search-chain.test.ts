/**
 * Conformance: chaining, reverse chaining (_has), compartments, system search and access filters.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { idSet, outcome, search } from "./fixtures";
import { loadPopulation, OTHER, STORE } from "./population";

beforeAll(loadPopulation);

type Case = [resourceType: string, query: string, expected: string[]];

const run = (cases: Case[]) =>
  it.each(cases)("%s?%s", async (type, query, expected) => {
    const bundle = await search(STORE, type, query, { strict: true });
    expect(idSet(bundle)).toEqual([...expected].sort());
  });

describe("chaining", () => {
  run([
    ["Observation", "subject:Patient.name=smith", ["obs-1", "obs-2", "obs-3", "obs-6"]],
    ["Observation", "subject.name=muller", ["obs-4", "obs-5"]],
    ["Observation", "patient.gender=female", ["obs-4", "obs-5", "obs-6"]],
    ["Observation", "patient.identifier=http://hospital/mrn|MRN-1", ["obs-1", "obs-2", "obs-3"]],
    // two levels: Observation -> Encounter -> Organization
    ["Observation", "encounter.service-provider.name=general", ["obs-1"]],
    ["Observation", "patient.general-practitioner.name=jones", ["obs-1", "obs-2", "obs-3"]],
    // three levels: Observation -> Patient -> Organization -> Organization
    ["Observation", "patient.organization.partof.name=health", ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "subject:Patient.name=smith&code=29463-7", ["obs-3"]],
    ["Observation", "patient.name:exact=Smithson", ["obs-6"]],
    ["Observation", "subject:Group.actual=true", ["obs-7"]],
    ["Encounter", "service-provider.partof=org-2", ["enc-1"]],
  ]);

  it("rejects chains through non-reference parameters", async () => {
    const b = await search(STORE, "Observation", "code.name=x");
    expect(outcome(b)[0].diagnostics).toMatch(/not a reference parameter/);
    await expect(search(STORE, "Observation", "code.name=x", { strict: true })).rejects.toMatchObject({ status: 400 });
  });
});

describe("reverse chaining (_has)", () => {
  run([
    ["Patient", "_has:Observation:patient:code=8310-5", ["pat-1"]],
    ["Patient", "_has:Observation:patient:code=29463-7", ["pat-1", "pat-2"]],
    ["Patient", "_has:Observation:subject:code=29463-7&gender=female", ["pat-2"]],
    // nested: patients with an observation that a Provenance by pr-1 targets
    ["Patient", "_has:Observation:patient:_has:Provenance:target:agent=pr-1", ["pat-1"]],
    ["Practitioner", "_has:Encounter:practitioner:patient=pat-1", ["pr-1"]],
    ["Patient", "_has:Observation:patient:date=2023-08-20", ["pat-3"]],
    ["Encounter", "_has:Observation:encounter:patient.name=smith", ["enc-1"]],
  ]);

  it("reports malformed _has", async () => {
    const b = await search(STORE, "Patient", "_has:Foo:bar:baz=1");
    expect(outcome(b)[0].diagnostics).toMatch(/unknown resource type 'Foo'/);
    const c = await search(STORE, "Patient", "_has:Observation:code:code=1");
    expect(outcome(c)[0].diagnostics).toMatch(/not a reference parameter/);
  });
});

describe("compartment search", () => {
  it("Patient/pat-1/Observation", async () => {
    const b = await search(STORE, "Observation", "", { compartment: { type: "Patient", id: "pat-1" } });
    expect(idSet(b)).toEqual(["obs-1", "obs-2", "obs-3"]);
    expect(b.link[0].url).toBe(`https://hearth.test/fhir/${STORE}/Patient/pat-1/Observation`);
  });

  it("combines with other parameters", async () => {
    const b = await search(STORE, "Observation", "code=8310-5", { compartment: { type: "Patient", id: "pat-1" } });
    expect(idSet(b)).toEqual(["obs-1", "obs-2"]);
  });

  it("covers the patient itself and every compartment type", async () => {
    expect(idSet(await search(STORE, "Patient", "", { compartment: { type: "Patient", id: "pat-1" } }))).toEqual([
      "pat-1",
    ]);
    expect(idSet(await search(STORE, "Encounter", "", { compartment: { type: "Patient", id: "pat-1" } }))).toEqual([
      "enc-1",
    ]);
    expect(idSet(await search(STORE, "Practitioner", "", { compartment: { type: "Patient", id: "pat-1" } }))).toEqual(
      [],
    );
    const all = await search(STORE, null, "_count=100", { compartment: { type: "Patient", id: "pat-1" } });
    expect(idSet(all)).toEqual(
      ["cond-1", "dr-1", "enc-1", "grp-1", "list-1", "obs-1", "obs-2", "obs-3", "pat-1", "ra-1", "ra-2"].sort(),
    );
  });
});

describe("system search", () => {
  it("_type with a parameter shared by the types", async () => {
    const b = await search(STORE, null, "_type=Patient,Practitioner&name=jones", { strict: true });
    expect(idSet(b)).toEqual(["pr-1"]);
    expect(b.link[0].url).toBe(`https://hearth.test/fhir/${STORE}?_type=Patient,Practitioner&name=jones`);
  });

  it("_type with params whose definitions differ per type", async () => {
    const b = await search(STORE, null, "_type=Observation,Condition&patient=pat-1", { strict: true });
    expect(idSet(b)).toEqual(["cond-1", "obs-1", "obs-2", "obs-3"]);
    const c = await search(STORE, null, "_type=Observation,Condition&code=http://snomed.info/sct|44054006", {
      strict: true,
    });
    expect(idSet(c)).toEqual(["cond-1"]);
  });

  it("without _type only common parameters apply", async () => {
    expect(idSet(await search(STORE, null, "_id=pat-1,obs-1", { strict: true }))).toEqual(["obs-1", "pat-1"]);
    await expect(search(STORE, null, "name=smith", { strict: true })).rejects.toMatchObject({ status: 400 });
    expect(idSet(await search(OTHER, null, "_id=pat-1,obs-1"))).toEqual(["obs-1", "pat-1"]);
  });

  it("unknown _type values are reported", async () => {
    const b = await search(STORE, null, "_type=Patient,Nope");
    expect(outcome(b)[0].diagnostics).toMatch(/unknown resource type 'Nope'/);
  });
});

describe("access filters", () => {
  it("extraFilters are OR-ed and AND-ed with the query", async () => {
    const f = (q: string) => [new URLSearchParams(q)];
    expect(
      idSet(await search(STORE, "Observation", "patient=pat-1", { extraFilters: f("category=laboratory") })),
    ).toEqual([]);
    expect(
      idSet(await search(STORE, "Observation", "patient=pat-1", { extraFilters: f("category=vital-signs") })),
    ).toEqual(["obs-1", "obs-2", "obs-3"]);
    const two = [new URLSearchParams("status=preliminary"), new URLSearchParams("code=29463-7")];
    expect(idSet(await search(STORE, "Observation", "", { extraFilters: two }))).toEqual(["obs-3", "obs-4", "obs-6"]);
  });

  it("an unparseable filter denies everything (fail closed)", async () => {
    expect(idSet(await search(STORE, "Observation", "", { extraFilters: [new URLSearchParams("nope=1")] }))).toEqual(
      [],
    );
  });

  it("applies to every type of a system search", async () => {
    const b = await search(STORE, null, "_type=Observation,Condition&patient=pat-1", {
      extraFilters: [new URLSearchParams("code=http://snomed.info/sct|44054006")],
    });
    expect(idSet(b)).toEqual(["cond-1"]);
  });
});
