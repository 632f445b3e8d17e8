import { describe, expect, it } from "vitest";
import { checkResource } from "../../../src/features/fhir/validation";
import { expectOneIssue, expectValid, type Json, validObservation, validPatient } from "./helpers";

/** A Patient whose single extension carries `value<Type>`: reaches every primitive type. */
const withExtensionValue = (type: string, value: unknown): Json => ({
  ...validPatient(),
  extension: [{ url: "https://example.org/ext", [`value${type}`]: value }],
});

interface Case {
  type: string;
  good: unknown[];
  bad: [unknown, "value" | "structure"][];
}

const cases: Case[] = [
  {
    type: "Date",
    good: ["2024", "2024-05", "2024-05-23", "2024-02-29", "0001-01-01"],
    bad: [
      ["2024-5", "value"],
      ["2024-05-23T10:00:00Z", "value"],
      ["2023-02-29", "value"],
      ["2024-04-31", "value"],
      ["2024-13", "value"],
      ["0000", "value"],
      ["24-05-23", "value"],
      ["", "value"],
      [20240523, "structure"],
    ],
  },
  {
    type: "DateTime",
    good: [
      "2024",
      "2024-05",
      "2024-05-23",
      "2024-05-23T10:00:00Z",
      "2024-05-23T10:00:00.123456+05:30",
      "2024-05-23T23:59:60+14:00",
    ],
    bad: [
      ["2024-05-23T10:00:00", "value"], // a time needs a timezone
      ["2024-05-23T10:00Z", "value"], // seconds are required
      ["2024-05-23 10:00:00Z", "value"],
      ["2024-05-23T24:00:00Z", "value"],
      ["2024-05-23T10:00:00+15:00", "value"],
      ["2024-05T10:00:00Z", "value"],
      [true, "structure"],
    ],
  },
  {
    type: "Instant",
    good: ["2024-05-23T10:00:00Z", "2024-05-23T10:00:00.000+01:00"],
    bad: [
      ["2024-05-23", "value"],
      ["2024-05-23T10:00:00", "value"],
      ["2024", "value"],
      [1716458400000, "structure"],
    ],
  },
  {
    type: "Time",
    good: ["10:00:00", "23:59:59.999", "00:00:60"],
    bad: [
      ["10:00", "value"],
      ["24:00:00", "value"],
      ["10:00:00Z", "value"],
      [36000, "structure"],
    ],
  },
  {
    type: "Decimal",
    good: [0, -1.5, 98.6, 1e-10, 12345678901234],
    bad: [
      ["1.5", "structure"],
      [null, "structure"],
    ],
  },
  {
    type: "Integer",
    good: [0, -2147483648, 2147483647, 42],
    bad: [
      [2147483648, "value"],
      [-2147483649, "value"],
      [1.5, "value"],
      ["42", "structure"],
    ],
  },
  {
    type: "PositiveInt",
    good: [1, 2147483647],
    bad: [
      [0, "value"],
      [-1, "value"],
      [2147483648, "value"],
      [2.5, "value"],
      ["1", "structure"],
    ],
  },
  {
    type: "UnsignedInt",
    good: [0, 1, 2147483647],
    bad: [
      [-1, "value"],
      [0.5, "value"],
      [false, "structure"],
    ],
  },
  {
    type: "Base64Binary",
    good: ["SGVsbG8=", "SGVsbG8gV29ybGQ=", "SGVs\nbG8h", "AAECAwQF/+8=", "YQ=="],
    bad: [
      ["SGVsbG8", "value"], // not a multiple of 4
      ["SGVs*G8=", "value"],
      ["S=Vs", "value"], // padding in the middle
      ["YQ===", "value"],
      ["", "value"],
      [123, "structure"],
    ],
  },
  {
    type: "Uri",
    good: ["http://example.org/fhir", "urn:oid:1.2.3", "relative/path", "#frag"],
    bad: [
      ["http://example.org/a b", "value"],
      ["", "value"],
      [{}, "structure"],
    ],
  },
  {
    type: "Url",
    good: ["https://example.org/x?y=1"],
    bad: [["https://example.org/ x", "value"]],
  },
  {
    type: "Canonical",
    good: ["http://hl7.org/fhir/StructureDefinition/Patient|4.0.1"],
    bad: [["http://x y", "value"]],
  },
  {
    type: "Code",
    good: ["final", "a b", "mm[Hg]", "x\u00a0y"],
    bad: [
      [" final", "value"],
      ["final ", "value"],
      ["a  b", "value"],
      ["a\nb ", "value"],
      ["", "value"],
      [1, "structure"],
    ],
  },
  {
    type: "Id",
    good: ["abc", "A-1.2", "a".repeat(64)],
    bad: [
      ["a".repeat(65), "value"],
      ["a_b", "value"],
      ["a b", "value"],
      ["", "value"],
    ],
  },
  {
    type: "Oid",
    good: ["urn:oid:2.16.840.1.113883.6.238", "urn:oid:1.0"],
    bad: [
      ["2.16.840", "value"],
      ["urn:oid:3.1", "value"],
      ["urn:oid:1.02", "value"],
    ],
  },
  {
    type: "Uuid",
    good: ["urn:uuid:c757873d-ec9a-4326-a141-556f43239520"],
    bad: [
      ["c757873d-ec9a-4326-a141-556f43239520", "value"],
      ["urn:uuid:c757873d-ec9a-4326-a141", "value"],
    ],
  },
  {
    type: "Boolean",
    good: [true, false],
    bad: [
      ["true", "structure"],
      [0, "structure"],
    ],
  },
  {
    type: "String",
    good: ["x", " leading and trailing ", "üñíçødé 🎉"],
    bad: [
      ["", "value"],
      [42, "structure"],
      [["a"], "structure"],
    ],
  },
  {
    type: "Markdown",
    good: ["# Title\n\n*bold*"],
    bad: [["", "value"]],
  },
];

describe("primitive types (FHIR R4 datatypes.html#primitive)", () => {
  for (const c of cases) {
    it.each(c.good.map((v) => [JSON.stringify(v), v]))(`${c.type}: accepts %s`, (_label, value) => {
      expectValid(withExtensionValue(c.type, value));
    });
    it.each(c.bad.map(([v, code]) => [JSON.stringify(v), v, code]))(`${c.type}: rejects %s`, (_label, value, code) => {
      expectOneIssue(withExtensionValue(c.type, value), code as string, `Patient.extension[0].value${c.type}`);
    });
  }

  it("checks primitives at their real element paths", () => {
    expectOneIssue({ ...validPatient(), birthDate: "2024-05-32" }, "value", "Patient.birthDate");
    expectOneIssue({ ...validPatient(), active: "yes" }, "structure", "Patient.active");
    const obs = validObservation();
    (obs.component as Json[])[1]!.valueQuantity = { value: "80" };
    expectOneIssue(obs, "structure", "Observation.component[1].valueQuantity.value");
    expectOneIssue({ ...validObservation(), issued: "2024-05-23" }, "value", "Observation.issued");
    expectOneIssue(
      { ...validObservation(), effectiveDateTime: "2024-05-23T10:00:00" },
      "value",
      "Observation.effectiveDateTime",
    );
  });

  it("partial dates are valid dates and dateTimes", () => {
    for (const d of ["2024", "2024-05", "2024-05-23"]) {
      expectValid({ ...validPatient(), birthDate: d });
      expectValid({ ...validObservation(), effectiveDateTime: d });
    }
  });

  it("Resource.id must be a FHIR id", () => {
    const issue = expectOneIssue({ ...validPatient(), id: "not valid!" }, "value", "Patient.id");
    expect(issue.diagnostics).toContain("id");
    expectOneIssue({ ...validPatient(), id: "x".repeat(65) }, "value", "Patient.id");
    expectOneIssue({ ...validPatient(), id: 12 }, "structure", "Patient.id");
  });

  it("Narrative.div must be an XHTML div", () => {
    const text = (div: unknown) => ({ ...validPatient(), text: { status: "generated", div } });
    expectValid(text('<div xmlns="http://www.w3.org/1999/xhtml"><p>Peter</p></div>'));
    expectOneIssue(text("<p>Peter</p>"), "value", "Patient.text.div");
    expectOneIssue({ ...validPatient(), text: { status: "generated" } }, "required", "Patient.text.div");
  });

  it("huge strings: over 1 MB is too-long, just under is fine", () => {
    const near = "a".repeat(1024 * 1024);
    expectValid({ ...validPatient(), name: [{ text: near }] });
    const issue = expectOneIssue(
      { ...validPatient(), name: [{ text: `${near}a` }] },
      "too-long",
      "Patient.name[0].text",
    );
    expect(issue.diagnostics).toContain("1 MB");
    // Multi-byte characters count in UTF-8 bytes: 400k × 3 bytes > 1 MB.
    expectOneIssue({ ...validPatient(), name: [{ text: "€".repeat(400_000) }] }, "too-long", "Patient.name[0].text");
    // A long bad code value is quoted short in the diagnostic, not echoed whole.
    const [bad] = checkResource({ ...validPatient(), language: `${"x ".repeat(300_000)} ` });
    expect(bad!.diagnostics.length).toBeLessThan(300);
  });

  it("large base64 attachments validate quickly", () => {
    const data = "QUJD".repeat(2_000_000); // 8 MB
    const started = Date.now();
    expectValid({ resourceType: "Binary", contentType: "application/pdf", data });
    expect(Date.now() - started).toBeLessThan(2000);
    expectOneIssue(
      { resourceType: "Binary", contentType: "application/pdf", data: `${data}!` },
      "value",
      "Binary.data",
    );
  });

  it("required bindings on code elements", () => {
    const issue = expectOneIssue({ ...validPatient(), gender: "M" }, "code-invalid", "Patient.gender");
    expect(issue.diagnostics).toContain("male, female, other, unknown");
    expectOneIssue({ ...validObservation(), status: "done" }, "code-invalid", "Observation.status");
    // Codes from CodeableConcept/Coding are not bound-checked structurally (terminology's job).
    expectValid({ ...validObservation(), code: { coding: [{ system: "http://loinc.org", code: "anything-goes" }] } });
  });
});
