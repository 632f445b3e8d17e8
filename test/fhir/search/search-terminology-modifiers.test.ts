/**
 * Token modifiers answered by terminology (FHIR R4 search.html#token): `:in` / `:not-in` against
 * ValueSets stored in the same store (expansion, compose concepts, is-a filters, excludes, nested value
 * sets, versions) and `:below` / `:above` through Hearth's terminology service (ICD-10-CM starter codes of
 * migrations/0004_terminology_starter.sql; RxNorm's parent links for the parent-walking path).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseSearch } from "../../../src/features/fhir/search/parse-search";
import { MAX_EXPANDED_CODES } from "../../../src/features/fhir/search/resolve-terminology";
import { idSet, outcome, putResources, type Resource, search } from "./fixtures";

const STORE = "store-terminology";
const OTHER = "store-terminology-other";
const ICD = "http://hl7.org/fhir/sid/icd-10-cm";
const SCT = "http://snomed.info/sct";
const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
const LOINC = "http://loinc.org";
const VS = "http://example.org/fhir/ValueSet";

const condition = (id: string, system?: string, code?: string, subject = "p1"): Resource => ({
  resourceType: "Condition",
  id,
  subject: { reference: `Patient/${subject}` },
  ...(system && code ? { code: { coding: [{ system, code }] } } : {}),
});
const valueSet = (id: string, body: Record<string, unknown>): Resource => ({
  resourceType: "ValueSet",
  id,
  url: `${VS}/${id}`,
  status: "active",
  ...body,
});
const med = (id: string, code: string): Resource => ({
  resourceType: "MedicationRequest",
  id,
  status: "active",
  intent: "order",
  subject: { reference: "Patient/p1" },
  medicationCodeableConcept: { coding: [{ system: RXNORM, code }] },
});

const CONDITIONS = [
  condition("e1165", ICD, "E11.65"),
  condition("e119", ICD, "E11.9", "p2"),
  condition("e109", ICD, "E10.9"),
  condition("i10", ICD, "I10", "p2"),
  // The category itself: not in the starter release, but subsumes its subcodes all the same.
  condition("e11", ICD, "E11"),
  // Same code, another system: never matched by ICD-10-CM terminology.
  condition("other-e119", "http://example.org/not-icd", "E11.9"),
  condition("sct", SCT, "38341003"),
  condition("uncoded"),
];
const ALL = CONDITIONS.map((c) => c.id);
const without = (...exclude: string[]) => ALL.filter((id) => !exclude.includes(id)).sort();

beforeAll(async () => {
  await putResources(STORE, [
    { resourceType: "Patient", id: "p1" },
    { resourceType: "Patient", id: "p2" },
    ...CONDITIONS,
    med("metformin-er", "860975"),
    med("metformin", "6809"),
    med("aspirin", "1191"),
    { resourceType: "Observation", id: "bp", status: "final", code: { coding: [{ system: LOINC, code: "8480-6" }] } },
    {
      resourceType: "Observation",
      id: "local",
      status: "final",
      code: { coding: [{ system: "urn:local", code: "x" }] },
    },
    valueSet("diabetes-expanded", {
      expansion: {
        timestamp: "2024-01-01T00:00:00Z",
        contains: [
          { system: ICD, code: "E11.65" },
          { system: ICD, abstract: true, code: "E10", contains: [{ system: ICD, code: "E10.9" }] },
        ],
      },
      // Ignored: an expansion wins over the definition.
      compose: { include: [{ system: ICD, concept: [{ code: "I10" }] }] },
    }),
    valueSet("hypertension", {
      compose: {
        include: [
          { system: ICD, concept: [{ code: "I10" }] },
          { system: SCT, concept: [{ code: "38341003" }] },
        ],
      },
    }),
    valueSet("type2", {
      compose: { include: [{ system: ICD, filter: [{ property: "concept", op: "is-a", value: "E11" }] }] },
    }),
    valueSet("type2-complicated", {
      compose: {
        include: [{ system: ICD, filter: [{ property: "concept", op: "descendent-of", value: "E11" }] }],
        exclude: [{ system: ICD, concept: [{ code: "E11.9" }] }],
      },
    }),
    valueSet("nested", { compose: { include: [{ valueSet: [`${VS}/type2`, `${VS}/diabetes-expanded`] }] } }),
    valueSet("loinc-all", { compose: { include: [{ system: LOINC }] } }),
    valueSet("regex", {
      compose: { include: [{ system: ICD, filter: [{ property: "concept", op: "regex", value: "E.*" }] }] },
    }),
    {
      ...valueSet("versioned-1", { version: "1", compose: { include: [{ system: ICD, concept: [{ code: "I10" }] }] } }),
      url: `${VS}/versioned`,
    },
    {
      ...valueSet("versioned-2", {
        version: "2",
        compose: { include: [{ system: ICD, concept: [{ code: "E10.9" }] }] },
      }),
      url: `${VS}/versioned`,
    },
    valueSet("huge", {
      expansion: {
        timestamp: "2024-01-01T00:00:00Z",
        contains: Array.from({ length: MAX_EXPANDED_CODES + 1 }, (_, i) => ({ system: "urn:big", code: `c${i}` })),
      },
    }),
  ]);
  // The same url in another store: never seen from STORE (and STORE's never from here).
  await putResources(OTHER, [
    condition("o-i10", ICD, "I10"),
    valueSet("only-other", { compose: { include: [{ system: ICD, concept: [{ code: "I10" }] }] } }),
  ]);
});

const found = async (type: string, query: string, store = STORE) =>
  idSet(await search(store, type, query, { strict: true }));

describe(":in and :not-in", () => {
  it.each([
    ["an expansion (nested contains, abstract left out)", `code:in=${VS}/diabetes-expanded`, ["e1165", "e109"]],
    ["compose concepts over two systems", `code:in=${VS}/hypertension`, ["i10", "sct"]],
    ["an is-a filter (the category and its starter subcodes)", `code:in=${VS}/type2`, ["e11", "e1165", "e119"]],
    ["descendent-of minus an exclude", `code:in=${VS}/type2-complicated`, ["e1165"]],
    ["nested value sets (their intersection)", `code:in=${VS}/nested`, ["e1165"]],
    ["a version", `code:in=${VS}/versioned|1`, ["i10"]],
    ["the latest version by default", `code:in=${VS}/versioned`, ["e109"]],
    ["a ValueSet/id reference", "code:in=ValueSet/hypertension", ["i10", "sct"]],
    ["several value sets (OR)", `code:in=${VS}/hypertension,${VS}/diabetes-expanded`, ["e1165", "e109", "i10", "sct"]],
  ])("%s", async (_what, query, expected) => {
    expect(await found("Condition", query)).toEqual([...expected].sort());
  });

  it("a whole small system", async () => {
    expect(await found("Observation", `code:in=${VS}/loinc-all`)).toEqual(["bp"]);
  });

  it(":not-in keeps resources with no code in the set, uncoded ones included", async () => {
    expect(await found("Condition", `code:not-in=${VS}/diabetes-expanded`)).toEqual(without("e1165", "e109"));
  });

  it("combines with other parameters, chains and _has", async () => {
    expect(await found("Condition", `code:in=${VS}/type2&subject=Patient/p2`)).toEqual(["e119"]);
    expect(await found("Patient", `_has:Condition:subject:code:in=${VS}/hypertension`)).toEqual(["p1", "p2"]);
    expect(await found("Patient", `_has:Condition:subject:code:in=${VS}/type2-complicated`)).toEqual(["p1"]);
  });

  it("an unknown ValueSet: 400 in strict mode, ignored and reported otherwise", async () => {
    await expect(search(STORE, "Condition", `code:in=${VS}/nope`, { strict: true })).rejects.toMatchObject({
      status: 400,
      issues: [expect.objectContaining({ code: "not-found" })],
    });
    const lenient = await search(STORE, "Condition", `code:in=${VS}/nope&subject=Patient/p2`);
    expect(idSet(lenient)).toEqual(["e119", "i10"]);
    expect(outcome(lenient)[0]?.diagnostics).toContain(`no ValueSet with url '${VS}/nope'`);
    const self = lenient.link.find((l) => l.relation === "self")?.url ?? "";
    expect(self).toContain("subject=");
    expect(self).not.toContain("code%3Ain");
    expect(self).not.toContain("code:in");
  });

  it("ValueSets of another store are not visible", async () => {
    await expect(search(STORE, "Condition", `code:in=${VS}/only-other`, { strict: true })).rejects.toMatchObject({
      status: 400,
    });
    expect(await found("Condition", `code:in=${VS}/only-other`, OTHER)).toEqual(["o-i10"]);
    await expect(search(OTHER, "Condition", `code:in=${VS}/hypertension`, { strict: true })).rejects.toMatchObject({
      status: 400,
    });
  });

  it("an unknown version, an unsupported filter and a too large expansion are refused", async () => {
    await expect(search(STORE, "Condition", `code:in=${VS}/versioned|9`, { strict: true })).rejects.toMatchObject({
      status: 400,
    });
    await expect(search(STORE, "Condition", `code:in=${VS}/regex`, { strict: true })).rejects.toMatchObject({
      status: 400,
      issues: [expect.objectContaining({ code: "not-supported" })],
    });
    await expect(search(STORE, "Condition", `code:in=${VS}/huge`, { strict: true })).rejects.toMatchObject({
      status: 400,
      issues: [expect.objectContaining({ code: "too-costly" })],
    });
    const lenient = await search(STORE, "Condition", `code:in=${VS}/huge`);
    expect(idSet(lenient)).toEqual([...ALL].sort());
    expect(outcome(lenient)[0]?.code).toBe("too-costly");
  });

  it("a value that is not a ValueSet reference is malformed", async () => {
    await expect(search(STORE, "Condition", "code:in=not a url", { strict: true })).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe(":below and :above", () => {
  it.each([
    ["E11 and its descendants", `code:below=${ICD}|E11`, ["e11", "e1165", "e119"]],
    ["a subcategory", `code:below=${ICD}|E11.6`, ["e1165"]],
    ["an undotted key", `code:below=${ICD}|E116`, ["e1165"]],
    ["a leaf is its own descendant", `code:below=${ICD}|I10`, ["i10"]],
    ["E11.65 and its ancestors", `code:above=${ICD}|E11.65`, ["e11", "e1165"]],
    ["a category has no ancestor of its own", `code:above=${ICD}|E11`, ["e11"]],
    ["several values (OR)", `code:below=${ICD}|E10,${ICD}|I10`, ["e109", "i10"]],
  ])("ICD-10-CM: %s", async (_what, query, expected) => {
    expect(await found("Condition", query)).toEqual([...expected].sort());
  });

  it("RxNorm: through the terminology's parent links, both ways", async () => {
    expect(await found("MedicationRequest", `code:below=${RXNORM}|6809`)).toEqual(["metformin", "metformin-er"]);
    expect(await found("MedicationRequest", `code:above=${RXNORM}|860975`)).toEqual(["metformin", "metformin-er"]);
    expect(await found("MedicationRequest", `code:above=${RXNORM}|6809`)).toEqual(["metformin"]);
  });

  it("combines with other parameters", async () => {
    expect(await found("Condition", `code:below=${ICD}|E11&subject=Patient/p1`)).toEqual(["e11", "e1165"]);
  });

  it("a system the terminology does not know, or no system: 400 strict, reported otherwise", async () => {
    await expect(
      search(STORE, "Condition", "code:below=http://example.org/not-icd|E11", { strict: true }),
    ).rejects.toMatchObject({ status: 400, issues: [expect.objectContaining({ code: "not-supported" })] });
    await expect(search(STORE, "Condition", "code:below=E11", { strict: true })).rejects.toMatchObject({
      status: 400,
    });
    const lenient = await search(STORE, "Condition", "code:above=http://example.org/not-icd|E11.9");
    expect(idSet(lenient)).toEqual([...ALL].sort());
    expect(outcome(lenient)[0]?.diagnostics).toContain("http://example.org/not-icd");
  });

  it("parsers that do not expand (SMART constraints, bulk _typeFilter) report them as not supported", () => {
    const params = new URLSearchParams(`code:in=${VS}/type2&code:below=${ICD}|E11`);
    const plain = parseSearch(params, { resourceType: "Condition" });
    expect(plain.filters).toHaveLength(0);
    expect(plain.issues.map((i) => i.code)).toEqual(["not-supported", "not-supported"]);
    const expanding = parseSearch(params, { resourceType: "Condition", terminology: true });
    expect(expanding.issues).toEqual([]);
    expect(expanding.filters).toHaveLength(2);
  });

  it(":below/:above on non-token parameters stay unsupported", async () => {
    await expect(search(STORE, "Condition", "recorded-date:below=2020", { strict: true })).rejects.toMatchObject({
      status: 400,
    });
  });
});
