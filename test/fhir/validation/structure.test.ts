import { describe, expect, it } from "vitest";
import { checkResource, MAX_DEPTH, MAX_ISSUES } from "../../../src/features/fhir/validation";
import { brief, expectOneIssue, expectValid, type Json, validObservation, validPatient } from "./helpers";

describe("elements", () => {
  it("accepts valid Patient and Observation", () => {
    expectValid(validPatient());
    expectValid(validObservation());
  });

  it("unknown element is a structure issue pointing at it", () => {
    const issue = expectOneIssue(
      { ...validPatient(), favouriteColour: "blue" },
      "structure",
      "Patient.favouriteColour",
    );
    expect(issue.diagnostics).toContain("Unknown element 'favouriteColour'");
    expectOneIssue({ ...validPatient(), name: [{ family: "A", middle: "B" }] }, "structure", "Patient.name[0].middle");
    const obs = validObservation();
    (obs.component as Json[])[1]!.valueQuantity = { value: 1, units: "x" };
    expectOneIssue(obs, "structure", "Observation.component[1].valueQuantity.units");
  });

  it("resourceType is only allowed at a resource root", () => {
    expectOneIssue(
      { ...validPatient(), name: [{ resourceType: "HumanName", family: "A" }] },
      "structure",
      "Patient.name[0].resourceType",
    );
  });

  it("object where a primitive is expected and vice versa", () => {
    expectOneIssue({ ...validPatient(), gender: { code: "male" } }, "structure", "Patient.gender");
    expectOneIssue({ ...validObservation(), code: "85354-9" }, "structure", "Observation.code");
  });

  it("empty objects, empty arrays and null values are rejected", () => {
    expectOneIssue({ ...validPatient(), maritalStatus: {} }, "structure", "Patient.maritalStatus");
    expectOneIssue({ ...validPatient(), identifier: [] }, "structure", "Patient.identifier");
    expectOneIssue({ ...validPatient(), birthDate: null }, "structure", "Patient.birthDate");
    expectOneIssue({ ...validPatient(), name: [null] }, "structure", "Patient.name[0]");
  });
});

describe("choice types [x]", () => {
  it("accepts each declared type", () => {
    for (const value of [
      { valueQuantity: { value: 1, unit: "mg" } },
      { valueCodeableConcept: { text: "positive" } },
      { valueString: "positive" },
      { valueBoolean: true },
      { valueInteger: 3 },
      { valueRange: { low: { value: 1 }, high: { value: 2 } } },
      { valueRatio: { numerator: { value: 1 }, denominator: { value: 2 } } },
      { valueTime: "10:00:00" },
      { valueDateTime: "2024-05-23" },
      { valuePeriod: { start: "2024-05-23" } },
    ]) {
      const { component: _c, ...obs } = validObservation();
      expectValid({ ...obs, ...value });
    }
  });

  it("an undeclared type is an unknown element", () => {
    expectOneIssue({ ...validObservation(), valueFoo: 1 }, "structure", "Observation.valueFoo");
    // Attachment is a real type, but not one of Observation.value[x]'s.
    expectOneIssue(
      { ...validObservation(), valueAttachment: { url: "http://x" } },
      "structure",
      "Observation.valueAttachment",
    );
    // The bare element name is not a JSON property.
    expectOneIssue({ ...validObservation(), value: 1 }, "structure", "Observation.value");
  });

  it("two types of the same choice element is an error", () => {
    const issue = expectOneIssue(
      { ...validObservation(), valueQuantity: { value: 1 }, valueString: "one" },
      "structure",
      "Observation.valueString",
    );
    expect(issue.diagnostics).toContain("value[x]");
    // Different choice elements may coexist.
    expectValid({ ...validPatient(), deceasedBoolean: false, multipleBirthInteger: 2 });
  });

  it("nested choice values are walked with their type", () => {
    const obs = validObservation();
    (obs.component as Json[])[1] = { code: { text: "x" }, valueQuantity: { value: 1, comparator: "about" } };
    expectOneIssue(obs, "code-invalid", "Observation.component[1].valueQuantity.comparator");
  });
});

describe("cardinality", () => {
  it("array where a single value is expected", () => {
    const issue = expectOneIssue({ ...validPatient(), birthDate: ["1974-12-25"] }, "structure", "Patient.birthDate");
    expect(issue.diagnostics).toContain("max cardinality 1");
    expectOneIssue({ ...validObservation(), code: [{ text: "x" }] }, "structure", "Observation.code");
  });

  it("single value where an array is expected", () => {
    expectOneIssue({ ...validPatient(), name: { family: "A" } }, "structure", "Patient.name");
    expectOneIssue(
      { ...validPatient(), name: [{ family: "A", given: "Peter" }] },
      "structure",
      "Patient.name[0].given",
    );
  });

  it("missing required elements", () => {
    const { status: _s, ...noStatus } = validObservation();
    const issue = expectOneIssue(noStatus, "required", "Observation.status");
    expect(issue.diagnostics).toContain("'status'");
    const { code: _c, status: _s2, ...neither } = validObservation();
    expect(brief(checkResource(neither))).toEqual([
      { code: "required", expression: "Observation.status" },
      { code: "required", expression: "Observation.code" },
    ]);
    const obs = validObservation();
    delete (obs.component as Json[])[1]!.code;
    expectOneIssue(obs, "required", "Observation.component[1].code");
    // A required choice element: MedicationRequest.medication[x].
    expectOneIssue(
      { resourceType: "MedicationRequest", status: "active", intent: "order", subject: { reference: "Patient/1" } },
      "required",
      "MedicationRequest.medication",
    );
  });

  it("a required primitive may be present through its extension only", () => {
    const { status: _s, ...obs } = validObservation();
    expectValid({
      ...obs,
      _status: {
        extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }],
      },
    });
  });
});

describe("extensions", () => {
  it("accepts simple and complex extensions", () => {
    expectValid({
      ...validPatient(),
      extension: [
        {
          url: "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
          extension: [
            { url: "ombCategory", valueCoding: { system: "urn:oid:2.16.840.1.113883.6.238", code: "2106-3" } },
            { url: "text", valueString: "White" },
          ],
        },
        { url: "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", valueAddress: { city: "Boston" } },
      ],
      modifierExtension: [{ url: "https://example.org/flag", valueBoolean: true }],
    });
  });

  it("url is required and must be a uri", () => {
    expectOneIssue({ ...validPatient(), extension: [{ valueString: "x" }] }, "required", "Patient.extension[0].url");
    expectOneIssue(
      { ...validPatient(), extension: [{ url: "not a uri", valueString: "x" }] },
      "value",
      "Patient.extension[0].url",
    );
  });

  it("extension must be an array of objects", () => {
    expectOneIssue(
      { ...validPatient(), extension: { url: "http://x", valueString: "x" } },
      "structure",
      "Patient.extension",
    );
  });

  it("ext-1: value or nested extensions, not both, not neither (422 invariant)", () => {
    expectOneIssue(
      {
        ...validPatient(),
        extension: [{ url: "http://x", valueString: "a", extension: [{ url: "b", valueInteger: 1 }] }],
      },
      "invariant",
      "Patient.extension[0]",
    );
    expectOneIssue({ ...validPatient(), extension: [{ url: "http://x" }] }, "invariant", "Patient.extension[0]");
  });

  it("value[x] of an extension is type-checked", () => {
    expectOneIssue(
      { ...validPatient(), extension: [{ url: "http://x", valueDate: "yesterday" }] },
      "value",
      "Patient.extension[0].valueDate",
    );
    expectOneIssue(
      { ...validPatient(), extension: [{ url: "http://x", valueWidget: 1 }] },
      "structure",
      "Patient.extension[0].valueWidget",
    );
  });
});

describe("primitive extensions (_element)", () => {
  const ext = {
    extension: [
      { url: "http://hl7.org/fhir/StructureDefinition/patient-birthTime", valueDateTime: "1974-12-25T14:35:45-05:00" },
    ],
  };

  it("accepts _birthDate with and without a value", () => {
    expectValid({ ...validPatient(), _birthDate: ext });
    const { birthDate: _b, ...noValue } = validPatient();
    expectValid({ ...noValue, _birthDate: { id: "bd", ...ext } });
  });

  it("accepts aligned arrays with nulls", () => {
    expectValid({
      ...validPatient(),
      name: [{ family: "A", given: ["Peter", null, "James"], _given: [null, { id: "g2", ...ext }, null] }],
    });
  });

  it("rejects _element for unknown or non-primitive elements", () => {
    expectOneIssue({ ...validPatient(), _nickname: ext }, "structure", "Patient._nickname");
    expectOneIssue({ ...validPatient(), _name: [ext] }, "structure", "Patient._name");
  });

  it("rejects bad shapes, unknown children and misalignment", () => {
    expectOneIssue({ ...validPatient(), _birthDate: "x" }, "structure", "Patient.birthDate");
    expectOneIssue({ ...validPatient(), _birthDate: { url: "x" } }, "structure", "Patient.birthDate.url");
    expectOneIssue(
      { ...validPatient(), _birthDate: { extension: [{ url: "http://x", valueDate: "bad" }] } },
      "value",
      "Patient.birthDate.extension[0].valueDate",
    );
    expectOneIssue(
      { ...validPatient(), name: [{ given: ["a", "b"], _given: [null] }] },
      "structure",
      "Patient.name[0].given",
    );
    expectOneIssue(
      { ...validPatient(), name: [{ given: ["a", null], _given: [null, null] }] },
      "structure",
      "Patient.name[0].given[1]",
    );
    expectOneIssue({ ...validPatient(), name: [{ given: ["a", null] }] }, "structure", "Patient.name[0].given[1]");
    expectOneIssue(
      { ...validPatient(), name: [{ family: "A", _given: [null] }] },
      "structure",
      "Patient.name[0].given[0]",
    );
    expectOneIssue({ ...validPatient(), name: [{ family: "A", _given: ext }] }, "structure", "Patient.name[0].given");
  });
});

describe("backbone elements and contentReference", () => {
  it("walks recursive Questionnaire items (contentReference #Questionnaire.item)", () => {
    const item = (depth: number): Json => ({
      linkId: `q${depth}`,
      type: depth === 0 ? "string" : "group",
      ...(depth === 0 ? {} : { item: [item(depth - 1)] }),
    });
    expectValid({ resourceType: "Questionnaire", status: "active", item: [item(10)] });
    const bad = { resourceType: "Questionnaire", status: "active", item: [item(2)] };
    ((bad.item[0]!.item as Json[])[0]!.item as Json[])[0]!.type = "text box";
    expectOneIssue(bad, "code-invalid", "Questionnaire.item[0].item[0].item[0].type");
  });

  it("checks required elements inside backbones", () => {
    expectOneIssue(
      { resourceType: "Questionnaire", status: "active", item: [{ type: "string" }] },
      "required",
      "Questionnaire.item[0].linkId",
    );
  });
});

describe("hostile input", () => {
  it("200 levels of nested extensions: one clean structure issue, no stack overflow", () => {
    let ext: Json = { url: "http://x", valueString: "leaf" };
    for (let i = 0; i < 200; i++) ext = { url: "http://x", extension: [ext] };
    const issues = checkResource({ ...validPatient(), extension: [ext] });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe("structure");
    expect(issues[0]!.diagnostics).toContain(`${MAX_DEPTH} levels`);
    expect(issues[0]!.expression![0]).toMatch(/^Patient\.extension\[0\](\.extension\[0\])+$/);
  });

  it("100k levels of nesting still answers cleanly", () => {
    let ext: Json = { url: "http://x", valueString: "leaf" };
    for (let i = 0; i < 100_000; i++) ext = { url: "http://x", extension: [ext] };
    expect(brief(checkResource({ ...validPatient(), extension: [ext] })).map((i) => i.code)).toEqual(["structure"]);
  });

  it("caps the number of issues", () => {
    const junk: Json = { ...validPatient() };
    for (let i = 0; i < 5000; i++) junk[`junk${i}`] = i;
    const issues = checkResource(junk);
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues.at(-1)).toMatchObject({ severity: "information", code: "informational" });
  });

  it("reports every issue it finds, not just the first", () => {
    const obs = { ...validObservation(), status: 1, valueFoo: true, issued: "now", subject: { reference: "nope" } };
    expect(brief(checkResource(obs))).toEqual([
      { code: "structure", expression: "Observation.status" },
      { code: "value", expression: "Observation.subject.reference" },
      { code: "value", expression: "Observation.issued" },
      { code: "structure", expression: "Observation.valueFoo" },
    ]);
  });
});
