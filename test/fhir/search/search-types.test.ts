/**
 * Conformance: each search parameter type with its modifiers and prefixes (FHIR R4 search.html).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, idSet, ids, outcome, search } from "./fixtures";
import { loadPopulation, STORE } from "./population";

beforeAll(loadPopulation);

type Case = [resourceType: string, query: string, expected: string[]];

const run = (cases: Case[]) =>
  it.each(cases)("%s?%s", async (type, query, expected) => {
    const bundle = await search(STORE, type, query, { strict: true });
    expect(idSet(bundle)).toEqual([...expected].sort());
    expect(bundle.total).toBe(expected.length);
  });

describe("seed 002 query", () => {
  it("works exactly as written", async () => {
    await search(STORE, "Observation", "patient=pat-1"); // warm
    const bundle = await search(
      STORE,
      "Observation",
      "patient=pat-1&category=vital-signs&code=http://loinc.org|8310-5&date=ge2023-01-01&date=le2023-12-31",
      { strict: true },
    );
    expect(bundle.resourceType).toBe("Bundle");
    expect(bundle.type).toBe("searchset");
    expect(idSet(bundle)).toEqual(["obs-1", "obs-2"]);
    expect(bundle.total).toBe(2);
    expect(bundle.entry?.[0].fullUrl).toMatch(new RegExp(`^${BASE}/${STORE}/Observation/obs-[12]$`));
  });
});

describe("string", () => {
  run([
    ["Patient", "name=smi", ["pat-1", "pat-3"]],
    ["Patient", "name=SMITH", ["pat-1", "pat-3"]],
    ["Patient", "family=muller", ["pat-2"]],
    ["Patient", "family=Mül", ["pat-2"]],
    ["Patient", "given=zoe", ["pat-3"]],
    ["Patient", "name=quin", ["pat-1"]],
    ["Patient", "family:exact=Smith", ["pat-1"]],
    ["Patient", "family:exact=smith", []],
    ["Patient", "family:exact=Müller", ["pat-2"]],
    ["Patient", "family:exact=Muller", []],
    ["Patient", "name:contains=mith", ["pat-1", "pat-3"]],
    ["Patient", "name:contains=LLER", ["pat-2"]],
    ["Patient", "address-city=bos", ["pat-1"]],
    ["Patient", "address=berl", ["pat-2"]],
    ["Patient", "phonetic=Smyth", ["pat-1"]],
    ["Observation", "value-string=pos", ["obs-8"]],
    ["Organization", "name=general", ["org-1"]],
  ]);
});

describe("token", () => {
  run([
    ["Observation", "code=8310-5", ["obs-1", "obs-2", "obs-7", "obs-9", "obs-10"]],
    ["Observation", "code=http://loinc.org|8310-5", ["obs-1", "obs-2", "obs-7", "obs-9", "obs-10"]],
    ["Observation", "code=http://snomed.info/sct|8310-5", []],
    ["Observation", "code=|8310-5", []],
    ["Patient", "gender=|male", ["pat-1"]],
    [
      "Observation",
      "code=http://loinc.org|",
      ["obs-1", "obs-2", "obs-3", "obs-4", "obs-5", "obs-6", "obs-7", "obs-9", "obs-10"],
    ],
    ["Patient", "identifier=http://hospital/mrn|MRN-1", ["pat-1"]],
    ["Patient", "identifier=MRN-2", ["pat-2"]],
    ["Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-1", ["pat-1"]],
    ["Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-2", []],
    ["Observation", "code:text=temp", ["obs-1", "obs-2", "obs-7", "obs-9", "obs-10"]],
    ["Observation", "code:text=body w", ["obs-3", "obs-4"]],
    ["Observation", "code:text=mystery", ["obs-8"]],
    ["Patient", "gender:not=male", ["pat-2", "pat-3", "pat-5"]],
    ["Patient", "active=true", ["pat-1"]],
    ["Patient", "active=false", ["pat-2"]],
    ["Patient", "phone=555-1000", ["pat-1"]],
    ["Patient", "email=john@example.org", ["pat-1"]],
    ["Patient", "phone=john@example.org", []],
    ["Patient", "telecom=phone|555-1000", ["pat-1"]],
    ["Observation", "category=vital-signs", ["obs-1", "obs-2", "obs-3", "obs-4", "obs-5"]],
    ["Observation", "status=preliminary", ["obs-6"]],
    ["Observation", "value-concept=http://snomed.info/sct|266919005", ["obs-6"]],
    ["Observation", "combo-code=8480-6", ["obs-5"]],
    ["Encounter", "class=AMB", ["enc-1"]],
    ["Patient", "deceased=true", ["pat-2"]],
    ["Patient", "deceased=false", ["pat-1", "pat-3", "pat-5"]],
    ["Condition", "clinical-status=active", ["cond-1"]],
  ]);
});

describe("date", () => {
  run([
    ["Observation", "date=2023-05-01", ["obs-1", "obs-7"]],
    ["Observation", "date=2023", ["obs-1", "obs-2", "obs-3", "obs-5", "obs-6", "obs-7"]],
    // 2022-12-31T23:00-02:00 is 2023-01-01T01:00Z
    ["Observation", "date=2023-01-01", ["obs-2"]],
    ["Observation", "date=2022-12-31", []],
    ["Observation", "date=2023-01-01T01:00:00Z", ["obs-2"]],
    ["Observation", "date=2022-12-31T23:00:00-02:00", ["obs-2"]],
    ["Observation", "date=gt2023-07-01", ["obs-3", "obs-4", "obs-6"]],
    ["Observation", "date=ge2023-07-01", ["obs-3", "obs-4", "obs-6"]],
    ["Observation", "date=lt2023-01-01", ["obs-9"]],
    ["Observation", "date=le2023-02-10", ["obs-2", "obs-5", "obs-9"]],
    ["Observation", "date=sa2023-08-01", ["obs-4", "obs-6"]],
    ["Observation", "date=eb2023-01-02", ["obs-2", "obs-9"]],
    ["Observation", "date=ne2023-05-01", ["obs-2", "obs-3", "obs-4", "obs-5", "obs-6", "obs-9"]],
    ["Observation", "date=ge2023-01-01&date=le2023-06-30", ["obs-1", "obs-2", "obs-5", "obs-7"]],
    ["Encounter", "date=2023-03-01", ["enc-1"]],
    ["Encounter", "date=ge2030-01-01", ["enc-2"]],
    ["Encounter", "date=ge2031-01-01", ["enc-2"]],
    ["Encounter", "date=le2031-01-01&status=finished", ["enc-1"]],
    ["Encounter", "location-period=2031", ["enc-1"]],
    ["Encounter", "date=lt2023-01-01", []],
    ["Patient", "birthdate=1970-05", ["pat-1"]],
    ["Patient", "birthdate=1985", ["pat-2"]],
    ["Patient", "birthdate=1985-06-01", []],
    ["Patient", "birthdate=lt1980", ["pat-1"]],
    ["Patient", "death-date=2020-01-01", ["pat-2"]],
    ["Condition", "onset-date=2010", ["cond-1"]],
    ["Observation", "_lastUpdated=lt2000-01-01", []],
  ]);

  it("ap: approximately (10% of the distance from now)", async () => {
    const got = idSet(await search(STORE, "Observation", "date=ap2023-05-01", { strict: true }));
    expect(got).toEqual(expect.arrayContaining(["obs-1", "obs-7", "obs-3"]));
    expect(got).not.toContain("obs-9");
  });

  it("_lastUpdated filters on meta.lastUpdated", async () => {
    const all = await search(STORE, "Patient", "_lastUpdated=gt2000-01-01", { strict: true });
    expect(idSet(all)).toEqual(["pat-1", "pat-2", "pat-3", "pat-5"]);
  });
});

describe("number", () => {
  run([
    ["RiskAssessment", "probability=0.25", ["ra-1"]],
    // implicit precision: 100 means [99.5, 100.5)
    ["RiskAssessment", "probability=100", ["ra-3"]],
    ["RiskAssessment", "probability=100.0", []],
    ["RiskAssessment", "probability=gt0.5", ["ra-2", "ra-3", "ra-4"]],
    ["RiskAssessment", "probability=le0.25", ["ra-1"]],
    ["RiskAssessment", "probability=lt0.25", []],
    ["RiskAssessment", "probability=ne100", ["ra-1", "ra-2", "ra-4"]],
    ["RiskAssessment", "probability=ap100", ["ra-3", "ra-4"]],
    ["RiskAssessment", "probability=0.25,0.8", ["ra-1", "ra-2"]],
  ]);
});

describe("quantity", () => {
  run([
    ["Observation", "value-quantity=38.1", ["obs-1"]],
    ["Observation", "value-quantity=38.1|http://unitsofmeasure.org|Cel", ["obs-1"]],
    ["Observation", "value-quantity=gt37||Cel", ["obs-1"]],
    ["Observation", "value-quantity=le36.6", ["obs-2"]],
    // canonical UCUM: 70 kg = 70000 g
    ["Observation", "value-quantity=70|http://unitsofmeasure.org|kg", ["obs-3", "obs-4"]],
    ["Observation", "value-quantity=70000|http://unitsofmeasure.org|g", ["obs-3", "obs-4"]],
    ["Observation", "value-quantity=70||kg", ["obs-3", "obs-4"]],
    ["Observation", "value-quantity=70", ["obs-3"]],
    ["Observation", "value-quantity=70|http://other.units|kg", []],
    ["Observation", "component-value-quantity=gt100|http://unitsofmeasure.org|mm[Hg]", ["obs-5"]],
  ]);
});

describe("reference", () => {
  run([
    ["Observation", "patient=pat-1", ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "patient=Patient/pat-1", ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "subject=Patient/pat-1", ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "subject:Patient=pat-1", ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "subject=Group/grp-1", ["obs-7"]],
    ["Observation", "patient=grp-1", []],
    [`Observation`, `subject=${BASE}/${STORE}/Patient/pat-1`, ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "subject=http://elsewhere.org/fhir/Patient/pat-1", []],
    ["Observation", "subject:identifier=http://hospital/mrn|MRN-1", ["obs-9"]],
    ["Observation", "subject:missing=true", ["obs-8"]],
    ["Observation", "patient=pat-1,pat-3", ["obs-1", "obs-2", "obs-3", "obs-6"]],
    ["Patient", "general-practitioner=pr-1", ["pat-1"]],
    ["Patient", "link=pat-1", ["pat-3"]],
    ["Encounter", "practitioner=pr-1", ["enc-1"]],
    ["Organization", "partof=org-2", ["org-1"]],
  ]);
});

describe("uri", () => {
  run([
    ["ValueSet", "url=http://example.org/fhir/ValueSet/abc", ["vs-1"]],
    ["ValueSet", "url:below=http://example.org/fhir", ["vs-1", "vs-2"]],
    ["ValueSet", "url:above=http://example.org/fhir/ValueSet/abc/sub/child", ["vs-1", "vs-2"]],
    ["ValueSet", "url:above=http://example.org/fhir/ValueSet/abc", ["vs-1"]],
    ["Patient", "_profile=http://example.org/StructureDefinition/vip-patient", ["pat-1"]],
    ["Patient", "_source=http://source.example/ehr", ["pat-1"]],
  ]);
});

describe("composite", () => {
  run([
    ["Observation", "code-value-quantity=http://loinc.org|8310-5$gt38", ["obs-1"]],
    ["Observation", "code-value-quantity=8310-5$lt37", ["obs-2"]],
    [
      "Observation",
      "code-value-quantity=http://loinc.org|29463-7$70000|http://unitsofmeasure.org|g",
      ["obs-3", "obs-4"],
    ],
    ["Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt100", ["obs-5"]],
    ["Observation", "component-code-value-quantity=http://loinc.org|8480-6$lt100", []],
    ["Observation", "component-code-value-quantity=http://loinc.org|8462-4$lt100", ["obs-5"]],
    ["Observation", "combo-code-value-quantity=http://loinc.org|8480-6$gt100", ["obs-5"]],
    ["Observation", "combo-code-value-quantity=http://loinc.org|8310-5$gt38", ["obs-1"]],
    ["Observation", "code-value-concept=http://loinc.org|72166-2$http://snomed.info/sct|266919005", ["obs-6"]],
    ["Observation", "code-value-concept=http://loinc.org|72166-2$http://snomed.info/sct|000", []],
  ]);
});

describe(":missing on each type", () => {
  run([
    ["Patient", "birthdate:missing=true", ["pat-5"]],
    ["Patient", "gender:missing=true", ["pat-5"]],
    ["Patient", "identifier:missing=true", ["pat-3", "pat-5"]],
    ["Patient", "address-city:missing=false", ["pat-1", "pat-2"]],
    ["Patient", "general-practitioner:missing=true", ["pat-3", "pat-5"]],
    ["Observation", "value-quantity:missing=true", ["obs-5", "obs-6", "obs-8", "obs-9", "obs-10"]],
    ["Observation", "code-value-quantity:missing=false", ["obs-1", "obs-2", "obs-3", "obs-4", "obs-7"]],
    ["Observation", "patient:missing=false", ["obs-1", "obs-2", "obs-3", "obs-4", "obs-5", "obs-6", "obs-10"]],
    ["ValueSet", "url:missing=false", ["vs-1", "vs-2", "vs-3"]],
    ["RiskAssessment", "probability:missing=true", []],
  ]);
});

describe("common parameters", () => {
  run([
    ["Patient", "_id=pat-1,pat-3", ["pat-1", "pat-3"]],
    ["Patient", "_id:not=pat-1", ["pat-2", "pat-3", "pat-5"]],
    ["Patient", "_tag=http://tags|vip", ["pat-1"]],
    ["Patient", "_security=R", ["pat-1"]],
    ["Patient", "_text=friendly", ["pat-1"]],
    ["Observation", "_text=fever", ["obs-1"]],
    ["Condition", "_content=diabetes", ["cond-1"]],
    ["Observation", "_content=mystery", ["obs-8"]],
    ["Observation", "_content=never smoked", ["obs-6"]],
    ["Observation", "_list=list-1", ["obs-1", "obs-3"]],
  ]);
});

describe("AND / OR", () => {
  run([
    ["Observation", "code=8310-5,29463-7&patient=pat-1", ["obs-1", "obs-2", "obs-3"]],
    ["Observation", "code=8310-5&code=29463-7", []],
    ["Patient", "name=smith,muller", ["pat-1", "pat-2", "pat-3"]],
    ["Patient", "name=smith&name=john", ["pat-1"]],
    ["Patient", "gender=female&birthdate=lt1988", ["pat-2"]],
  ]);

  it("escaped commas and pipes are literal", async () => {
    const b = await search(STORE, "Patient", "name=smith\\,john", { strict: true });
    expect(ids(b)).toEqual([]);
    expect(outcome(b)).toEqual([]);
  });
});
