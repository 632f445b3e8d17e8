import { describe, expect, it } from "vitest";
import { applyFhirPathPatch, type JsonObject } from "../../../src/features/fhir/patch";
import { deepFreeze, expectAppError } from "./helpers";

type Part = Record<string, unknown>;

/** One FHIRPath Patch `operation` parameter (FHIR R4 fhirpatch.html). */
const op = (type: string, path: string, ...parts: Part[]) => ({
  name: "operation",
  part: [{ name: "type", valueCode: type }, { name: "path", valueString: path }, ...parts],
});
const params = (...operations: unknown[]) => deepFreeze({ resourceType: "Parameters", parameter: operations });
const name = (n: string): Part => ({ name: "name", valueString: n });
const value = (v: Part): Part => ({ name: "value", ...v });
const index = (i: number): Part => ({ name: "index", valueInteger: i });
const source = (i: number): Part => ({ name: "source", valueInteger: i });
const destination = (i: number): Part => ({ name: "destination", valueInteger: i });

const ids = (r: JsonObject) => (r.identifier as JsonObject[]).map((i) => i.value);

const patient = (): JsonObject =>
  deepFreeze({
    resourceType: "Patient",
    id: "p1",
    birthDate: "1970-01-01",
    name: [
      { family: "Ng", given: ["Ann", "Bea"], _given: [null, { id: "g2" }] },
      { family: "Old", given: ["Cy"] },
    ],
    identifier: [
      { system: "urn:a", value: "1" },
      { system: "urn:a", value: "2" },
      { system: "urn:b", value: "3" },
    ],
    contact: [{ name: { text: "Kim" }, gender: "female" }],
    deceasedBoolean: false,
  });

const observation = (): JsonObject =>
  deepFreeze({ resourceType: "Observation", id: "o1", status: "final", code: { text: "weight" } });

describe("applyFhirPathPatch: add", () => {
  it("adds a primitive and appends to a list", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op("add", "Patient", name("gender"), value({ valueCode: "female" })),
        op("add", "Patient", name("identifier"), value({ valueIdentifier: { system: "urn:c", value: "4" } })),
      ),
    );
    expect(out.gender).toBe("female");
    expect(ids(out)).toEqual(["1", "2", "3", "4"]);
  });

  it("creates a list that does not exist yet as an array", () => {
    const out = applyFhirPathPatch(
      observation(),
      params(op("add", "Observation", name("note"), value({ valueAnnotation: { text: "n" } }))),
    );
    expect(out.note).toEqual([{ text: "n" }]);
  });

  it("names a choice element by its value type", () => {
    const out = applyFhirPathPatch(
      observation(),
      params(
        op("add", "Observation", name("value"), value({ valueQuantity: { value: 72.5, unit: "kg" } })),
        op("add", "Observation", name("effective"), value({ valueDateTime: "2024-05-01T10:00:00Z" })),
      ),
    );
    expect(out.valueQuantity).toEqual({ value: 72.5, unit: "kg" });
    expect(out.effectiveDateTime).toBe("2024-05-01T10:00:00Z");
    expect(out).not.toHaveProperty("value");
  });

  it("refuses a choice type the element does not allow, or a second variant", () => {
    expectAppError(
      () =>
        applyFhirPathPatch(
          observation(),
          params(op("add", "Observation", name("effective"), value({ valueCode: "x" }))),
        ),
      422,
      /does not allow the type code/,
    );
    expectAppError(
      () =>
        applyFhirPathPatch(patient(), params(op("add", "Patient", name("deceased"), value({ valueDateTime: "2020" })))),
      422,
      /already has a value/,
    );
  });

  it("builds a backbone element from nested parts, repeating elements as arrays", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op(
          "add",
          "Patient",
          name("contact"),
          value({
            part: [
              { name: "name", valueHumanName: { family: "Lee" } },
              { name: "telecom", valueContactPoint: { system: "phone", value: "1" } },
              { name: "telecom", valueContactPoint: { system: "email", value: "a@b.c" } },
              { name: "gender", valueCode: "male" },
              { name: "period", part: [{ name: "start", valueDateTime: "2020-01-01" }] },
            ],
          }),
        ),
      ),
    );
    expect((out.contact as JsonObject[])[1]).toEqual({
      name: { family: "Lee" },
      telecom: [
        { system: "phone", value: "1" },
        { system: "email", value: "a@b.c" },
      ],
      gender: "male",
      period: { start: "2020-01-01" },
    });
  });

  it("builds an extension from parts, naming its value[x] by type", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op(
          "add",
          "Patient",
          name("extension"),
          value({
            part: [
              { name: "url", valueUri: "http://example.org/ext" },
              { name: "value", valueBoolean: true },
            ],
          }),
        ),
      ),
    );
    expect(out.extension).toEqual([{ url: "http://example.org/ext", valueBoolean: true }]);
  });

  it("edits inside a contained resource", () => {
    const withContained = deepFreeze({
      ...patient(),
      contained: [{ resourceType: "Practitioner", id: "dr", name: [{ family: "Who" }] }],
    });
    const out = applyFhirPathPatch(
      withContained,
      params(
        op("replace", "Patient.contained.ofType(Practitioner).name[0].family", value({ valueString: "Watson" })),
        op("add", "Patient.contained[0]", name("active"), value({ valueBoolean: true })),
      ),
    );
    expect(out.contained).toEqual([
      { resourceType: "Practitioner", id: "dr", name: [{ family: "Watson" }], active: true },
    ]);
  });

  it("adds into an element selected by a filter", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(op("add", "Patient.identifier.where(system = 'urn:b')", name("use"), value({ valueCode: "official" }))),
    );
    expect((out.identifier as JsonObject[])[2]).toEqual({ system: "urn:b", value: "3", use: "official" });
  });

  it("fails with 422 when the target is missing, ambiguous, primitive, already set or unknown", () => {
    const cases: [unknown, RegExp][] = [
      [op("add", "Patient.contact[3]", name("gender"), value({ valueCode: "male" })), /no content found/],
      [op("add", "Patient.identifier", name("use"), value({ valueCode: "usual" })), /selects 3 elements/],
      [op("add", "Patient.birthDate", name("id"), value({ valueString: "x" })), /primitive/],
      [op("add", "Patient", name("birthDate"), value({ valueDate: "1980" })), /already has a value; use replace/],
      [op("add", "Patient", name("shoeSize"), value({ valueInteger: 9 })), /Patient has no element 'shoeSize'/],
      [op("add", "Patient", name("gender"), value({ valueQuantity: { value: 1 } })), /type code/],
      [
        op(
          "add",
          "Patient",
          name("contact"),
          value({
            part: [
              { name: "gender", valueCode: "a" },
              { name: "gender", valueCode: "b" },
            ],
          }),
        ),
        /given more than once/,
      ],
    ];
    for (const [operation, message] of cases) {
      expectAppError(() => applyFhirPathPatch(patient(), params(operation)), 422, message);
    }
  });
});

describe("applyFhirPathPatch: insert", () => {
  it("inserts at an index, at the front and at the end", () => {
    const at = (i: number) =>
      ids(
        applyFhirPathPatch(
          patient(),
          params(op("insert", "Patient.identifier", index(i), value({ valueIdentifier: { value: "new" } }))),
        ),
      );
    expect(at(1)).toEqual(["1", "new", "2", "3"]);
    expect(at(0)).toEqual(["new", "1", "2", "3"]);
    expect(at(3)).toEqual(["1", "2", "3", "new"]);
  });

  it("starts a list that does not exist at index 0", () => {
    const out = applyFhirPathPatch(
      observation(),
      params(op("insert", "Observation.category", index(0), value({ valueCodeableConcept: { text: "vital" } }))),
    );
    expect(out.category).toEqual([{ text: "vital" }]);
  });

  it("keeps a primitive list and its _extension twin aligned", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op("insert", "Patient.name[0].given", index(0), value({ valueString: "Zed", _valueString: { id: "g0" } })),
      ),
    );
    const first = (out.name as JsonObject[])[0]!;
    expect(first.given).toEqual(["Zed", "Ann", "Bea"]);
    expect(first._given).toEqual([{ id: "g0" }, null, { id: "g2" }]);
  });

  it("fails with 422 for an out-of-range index or a path that is not one whole list", () => {
    expectAppError(
      () =>
        applyFhirPathPatch(
          patient(),
          params(op("insert", "Patient.identifier", index(4), value({ valueIdentifier: {} }))),
        ),
      422,
      /index 4 is out of range; the list has 3/,
    );
    expectAppError(
      () =>
        applyFhirPathPatch(
          patient(),
          params(op("insert", "Patient.name.given", index(0), value({ valueString: "x" }))),
        ),
      422,
      /whole list/,
    );
    expectAppError(
      () =>
        applyFhirPathPatch(
          patient(),
          params(op("insert", "Patient.identifier.where(system = 'urn:a')", index(0), value({ valueIdentifier: {} }))),
        ),
      422,
      /whole list/,
    );
    expectAppError(
      () =>
        applyFhirPathPatch(patient(), params(op("insert", "Patient.gender", index(0), value({ valueCode: "male" })))),
      422,
      /whole list/,
    );
    expectAppError(
      () =>
        applyFhirPathPatch(
          patient(),
          params(op("insert", "Patient.identifier", index(0), value({ valueHumanName: {} }))),
        ),
      422,
      /Identifier/,
    );
  });
});

describe("applyFhirPathPatch: delete", () => {
  it("deletes one list element, and the property with the last one", () => {
    const out = applyFhirPathPatch(patient(), params(op("delete", "Patient.identifier[1]")));
    expect(ids(out)).toEqual(["1", "3"]);
    const none = applyFhirPathPatch(
      observation(),
      params(
        op("add", "Observation", name("note"), value({ valueAnnotation: { text: "n" } })),
        op("delete", "Observation.note[0]"),
      ),
    );
    expect(none).not.toHaveProperty("note");
  });

  it("removes a primitive with its twin, and parents left empty", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(op("delete", "Patient.name[0].given[1]"), op("delete", "Patient.contact[0].name.text")),
    );
    expect((out.name as JsonObject[])[0]).toEqual({ family: "Ng", given: ["Ann"] });
    expect(out.contact).toEqual([{ gender: "female" }]);
    const emptied = applyFhirPathPatch(out, params(op("delete", "Patient.contact[0].gender")));
    expect(emptied).not.toHaveProperty("contact");
  });

  it("does nothing when the path matches nothing, and fails with 422 on several matches", () => {
    expect(applyFhirPathPatch(patient(), params(op("delete", "Patient.maritalStatus")))).toEqual(patient());
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("delete", "Patient.identifier.where(system = 'urn:a')"))),
      422,
      /selects 2 elements; delete needs exactly one/,
    );
    expectAppError(() => applyFhirPathPatch(patient(), params(op("delete", "Patient"))), 422, /resource itself/);
  });
});

describe("applyFhirPathPatch: replace", () => {
  it("replaces a primitive, a list item and a complex value", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op("replace", "Patient.birthDate", value({ valueDate: "1971-02-03" })),
        op("replace", "Patient.name[0].given[1]", value({ valueString: "Bo" })),
        op("replace", "Patient.name.where(family = 'Old')", value({ valueHumanName: { text: "Cy Old" } })),
        op("replace", "Patient.contact[0]", value({ part: [{ name: "gender", valueCode: "other" }] })),
      ),
    );
    expect(out.birthDate).toBe("1971-02-03");
    expect(out.name).toEqual([{ family: "Ng", given: ["Ann", "Bo"] }, { text: "Cy Old" }]);
    expect(out.contact).toEqual([{ gender: "other" }]);
  });

  it("replaces a primitive's extensions together with its value", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op("replace", "Patient.name[0].given[1]", value({ valueString: "Bo" })),
        op("replace", "Patient.birthDate", value({ valueDate: "1970", _valueDate: { id: "bd" } })),
      ),
    );
    expect((out.name as JsonObject[])[0]).toEqual({ family: "Ng", given: ["Ann", "Bo"] });
    expect(out).toMatchObject({ birthDate: "1970", _birthDate: { id: "bd" } });
  });

  it("changes the type of a choice element", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(op("replace", "Patient.deceased", value({ valueDateTime: "2020-01-01" }))),
    );
    expect(out.deceasedDateTime).toBe("2020-01-01");
    expect(out).not.toHaveProperty("deceasedBoolean");
  });

  it("fails with 422 when nothing or several elements match, or the value does not fit", () => {
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("replace", "Patient.gender", value({ valueCode: "male" })))),
      422,
      /no element found/,
    );
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("replace", "Patient.name.given", value({ valueString: "x" })))),
      422,
      /selects 3 elements/,
    );
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("replace", "Patient.birthDate", value({ valueString: "soon" })))),
      422,
      /not a valid date/,
    );
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("replace", "Patient.birthDate", value({ valueQuantity: {} })))),
      422,
      /cannot take a Quantity value/,
    );
    expectAppError(
      () =>
        applyFhirPathPatch(
          patient(),
          params(op("replace", "Patient.name[0].family + 'x'", value({ valueString: "x" }))),
        ),
      422,
      /not an element of the resource/,
    );
  });
});

describe("applyFhirPathPatch: move", () => {
  it("moves an element within a list", () => {
    const out = applyFhirPathPatch(patient(), params(op("move", "Patient.identifier", source(0), destination(2))));
    expect(ids(out)).toEqual(["2", "3", "1"]);
    const twin = applyFhirPathPatch(patient(), params(op("move", "Patient.name[0].given", source(1), destination(0))));
    expect((twin.name as JsonObject[])[0]).toMatchObject({ given: ["Bea", "Ann"], _given: [{ id: "g2" }, null] });
  });

  it("fails with 422 when source or destination is outside the list", () => {
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("move", "Patient.identifier", source(3), destination(0)))),
      422,
      /source 3 is out of range/,
    );
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("move", "Patient.identifier", source(0), destination(3)))),
      422,
      /destination 3 is out of range/,
    );
  });
});

describe("applyFhirPathPatch: malformed documents (400)", () => {
  const cases: [string, unknown, RegExp][] = [
    ["not Parameters", { resourceType: "Patient" }, /Parameters resource/],
    ["parameter not an array", { resourceType: "Parameters", parameter: {} }, /must be an array/],
    ["not an operation", params({ name: "op", part: [] }), /only 'operation'/],
    ["unknown type", params(op("upsert", "Patient")), /unknown operation type 'upsert'/],
    [
      "missing path",
      params({ name: "operation", part: [{ name: "type", valueCode: "delete" }] }),
      /'path' part is required/,
    ],
    ["missing value", params(op("replace", "Patient.birthDate")), /'value' part is required/],
    ["missing name", params(op("add", "Patient", value({ valueCode: "male" }))), /'name' part is required/],
    ["bad FHIRPath", params(op("delete", "Patient..name")), /not a valid FHIRPath/],
    ["unused part", params(op("delete", "Patient.gender", name("x"))), /does not take a 'name' part/],
    ["repeated part", params(op("delete", "Patient.gender", { name: "path", valueString: "x" })), /repeated/],
    [
      "unknown part",
      params(op("delete", "Patient.gender", { name: "where", valueString: "x" })),
      /unknown operation part/,
    ],
    [
      "index as string",
      params(op("insert", "Patient.name", { name: "index", valueString: "1" }, value({ valueHumanName: {} }))),
      /valueInteger/,
    ],
    ["negative index", params(op("insert", "Patient.name", index(-1), value({ valueHumanName: {} }))), />= 0/],
    ["two values", params(op("replace", "Patient.gender", value({ valueCode: "a", valueString: "b" }))), /exactly one/],
    ["no value content", params(op("replace", "Patient.gender", { name: "value" })), /needs a value/],
    ["unknown value type", params(op("replace", "Patient.gender", value({ valueFoo: "a" }))), /not a Parameters value/],
    ["bad primitive JSON", params(op("replace", "Patient.active", value({ valueBoolean: "yes" }))), /valueBoolean/],
    ["bad element name", params(op("add", "Patient", name("1abc"), value({ valueCode: "x" }))), /element name/],
  ];
  for (const [label, document, message] of cases) {
    it(label, () => {
      const e = expectAppError(() => applyFhirPathPatch(patient(), document), 400, message);
      expect(e.code).toBe("invalid_patch");
    });
  }
});

describe("applyFhirPathPatch: identity and hostile input", () => {
  it("refuses to change or remove the id", () => {
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("replace", "Patient.id", value({ valueId: "p2" })))),
      400,
      /cannot change the id/,
    );
    expectAppError(() => applyFhirPathPatch(patient(), params(op("delete", "Patient.id"))), 400, /id/);
    const noId = deepFreeze({ resourceType: "Patient" });
    const e = expectAppError(
      () => applyFhirPathPatch(noId, params(op("add", "Patient", name("id"), value({ valueId: "x" })))),
      400,
    );
    expect(e.code).toBe("patch_changes_identity");
    expectAppError(
      () =>
        applyFhirPathPatch(
          patient(),
          params(op("add", "Patient", name("resourceType"), value({ valueString: "Person" }))),
        ),
      422,
    );
  });

  it("rejects prototype-reaching names and values with 400", () => {
    for (const bad of ["__proto__", "constructor", "prototype"]) {
      expectAppError(
        () => applyFhirPathPatch(patient(), params(op("add", "Patient", name(bad), value({ valueString: "x" })))),
        400,
        /not an element name/,
      );
      expectAppError(
        () =>
          applyFhirPathPatch(
            patient(),
            params(op("add", "Patient", name("contact"), value({ part: [{ name: bad, valueString: "x" }] }))),
          ),
        400,
      );
    }
    const hostile = JSON.parse(
      '{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"maritalStatus"},{"name":"value","valueCodeableConcept":{"__proto__":{"polluted":"yes"}}}]}]}',
    );
    expectAppError(() => applyFhirPathPatch(patient(), hostile), 400, /forbidden property name/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("bounds the number of operations and the nesting of parts", () => {
    const many = params(...Array.from({ length: 1001 }, () => op("delete", "Patient.gender")));
    expectAppError(() => applyFhirPathPatch(patient(), many), 413);
    let nested: Part = { name: "value", valueString: "x" };
    for (let i = 0; i < 40; i++) nested = { name: "value", part: [{ ...nested, name: "x" }] };
    expectAppError(
      () => applyFhirPathPatch(patient(), params(op("replace", "Patient.contact[0]", nested))),
      400,
      /deeper than 32/,
    );
  });

  it("does not mutate its inputs and is deterministic", () => {
    const resource = patient();
    const patch = params(
      op("add", "Patient", name("maritalStatus"), value({ valueCodeableConcept: { text: "M" } })),
      op("add", "Patient.maritalStatus", name("coding"), value({ valueCoding: { code: "M" } })),
      op("move", "Patient.identifier", source(2), destination(0)),
    );
    const a = applyFhirPathPatch(resource, patch);
    const b = applyFhirPathPatch(resource, patch);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.maritalStatus).toEqual({ text: "M", coding: [{ code: "M" }] });
    expect(ids(a)).toEqual(["3", "1", "2"]);
    expect(resource).not.toHaveProperty("maritalStatus");
  });

  it("applies operations in order, each on the result of the previous one", () => {
    const out = applyFhirPathPatch(
      patient(),
      params(
        op("move", "Patient.identifier", source(2), destination(0)),
        op("replace", "Patient.identifier[0].value", value({ valueString: "first" })),
        op("delete", "Patient.identifier.where(value = '2')"),
      ),
    );
    expect(ids(out)).toEqual(["first", "1"]);
  });
});
