import { expect } from "vitest";
import { checkResource, type ValidationIssue } from "../../../src/features/fhir/validation";

export type Json = Record<string, unknown>;

export const validPatient = (): Json => ({
  resourceType: "Patient",
  id: "pat-1",
  meta: { versionId: "1", lastUpdated: "2024-05-23T10:00:00.000Z" },
  identifier: [{ system: "https://example.org/mrn", value: "12345" }],
  active: true,
  name: [{ use: "official", family: "Chalmers", given: ["Peter", "James"] }],
  telecom: [{ system: "phone", value: "(03) 5555 6473", use: "work" }],
  gender: "male",
  birthDate: "1974-12-25",
  address: [{ line: ["534 Erewhon St"], city: "PleasantVille", postalCode: "3999" }],
});

export const validObservation = (): Json => ({
  resourceType: "Observation",
  id: "obs-1",
  status: "final",
  category: [
    { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
  ],
  code: { coding: [{ system: "http://loinc.org", code: "85354-9", display: "Blood pressure" }] },
  subject: { reference: "Patient/pat-1" },
  effectiveDateTime: "2024-05-23T10:00:00+02:00",
  issued: "2024-05-23T10:00:05.123Z",
  component: [
    {
      code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] },
      valueQuantity: { value: 120, unit: "mm[Hg]", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
    },
    {
      code: { coding: [{ system: "http://loinc.org", code: "8462-4" }] },
      valueQuantity: { value: 80.5, unit: "mm[Hg]", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
    },
  ],
});

/** Only the (code, expression) pairs: what the tests pin down exactly. */
export const brief = (issues: ValidationIssue[]) =>
  issues.map((i) => ({ code: i.code, expression: i.expression?.[0] }));

export function expectValid(resource: unknown): void {
  expect(checkResource(resource)).toEqual([]);
}

/** Asserts exactly one issue, with this code and expression; returns it for diagnostics checks. */
export function expectOneIssue(resource: unknown, code: string, expression: string | undefined): ValidationIssue {
  const issues = checkResource(resource);
  expect(brief(issues)).toEqual([{ code, expression }]);
  return issues[0]!;
}
