import { describe, expect, it } from "vitest";
import {
  checkResource,
  FHIR_VERSION,
  isResourceType,
  RESOURCE_TYPES,
  validateResource,
} from "../../../src/features/fhir/validation";
import { compileAllTables } from "../../../src/features/fhir/validation/structure";
import { AppError } from "../../../src/platform/errors";
import { type Json, validObservation, validPatient } from "./helpers";

function thrown(fn: () => void): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected validateResource to throw");
}

describe("resource types", () => {
  it("knows every R4 resource type and nothing else", () => {
    expect(FHIR_VERSION).toBe("4.0.1");
    expect(RESOURCE_TYPES.size).toBe(146);
    for (const t of [
      "Patient",
      "Observation",
      "Bundle",
      "Parameters",
      "Binary",
      "QuestionnaireResponse",
      "VerificationResult",
    ]) {
      expect(isResourceType(t)).toBe(true);
    }
    // Abstract types, datatypes, R4B/R5-only and Medplum-only types are not resource types.
    for (const t of [
      "Resource",
      "DomainResource",
      "HumanName",
      "SubscriptionStatus",
      "SubscriptionTopic",
      "Bot",
      "patient",
      "",
    ]) {
      expect(isResourceType(t)).toBe(false);
    }
  });

  it("the generated artifact compiles completely", () => {
    expect(compileAllTables()).toBeGreaterThan(600);
  });
});

describe("validateResource", () => {
  it("returns for valid resources (and narrows the type)", () => {
    const body: unknown = validPatient();
    validateResource(body, { expectedType: "Patient" });
    expect(body.resourceType).toBe("Patient");
    validateResource(validObservation());
  });

  it("400 with all issues and FHIRPath expressions", () => {
    const err = thrown(() => validateResource({ ...validPatient(), birthDate: "25/12/1974", colour: "blue" }));
    expect(err.kind).toBe("invalid");
    expect(err.status).toBe(400);
    expect(err.issues.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ["value", "Patient.birthDate"],
      ["structure", "Patient.colour"],
    ]);
    expect(err.message).toContain("Patient.birthDate");
    expect(err.message).toContain("and 1 more issue");
  });

  it("422 when only invariants fail", () => {
    const err = thrown(() =>
      validateResource({
        ...validPatient(),
        extension: [{ url: "http://x", valueString: "a", extension: [{ url: "y", valueString: "b" }] }],
      }),
    );
    expect(err.kind).toBe("unprocessable");
    expect(err.status).toBe(422);
    expect(err.issues).toEqual([
      {
        severity: "error",
        code: "invariant",
        diagnostics: "ext-1: an extension SHALL have either nested extensions or a value[x], not both",
        expression: ["Patient.extension[0]"],
      },
    ]);
  });

  it("structure wins over invariants: 400 when both occur", () => {
    const err = thrown(() => validateResource({ ...validPatient(), active: 1, extension: [{ url: "http://x" }] }));
    expect(err.status).toBe(400);
    expect(err.issues.map((i) => i.code)).toEqual(["structure", "invariant"]);
  });

  it("expectedType mismatch is a 400 that names both types", () => {
    const err = thrown(() => validateResource(validPatient(), { expectedType: "Observation" }));
    expect(err.status).toBe(400);
    expect(err.message).toBe("Resource type 'Patient' does not match the type 'Observation' of the request URL");
  });

  it.each([
    ["a string", "Patient", "structure", "found a string"],
    ["an array", [validPatient()], "structure", "found an array"],
    ["null", null, "structure", "found null"],
    ["no resourceType", { id: "1" }, "required", "Missing resourceType"],
    ["a numeric resourceType", { resourceType: 1 }, "required", "resourceType must be a non-empty string"],
    ["an unknown resourceType", { resourceType: "Widget" }, "structure", "Unknown resource type 'Widget'"],
    [
      "an abstract resourceType",
      { resourceType: "DomainResource" },
      "structure",
      "Unknown resource type 'DomainResource'",
    ],
  ])("top level: %s is a 400", (_label, body, code, message) => {
    const err = thrown(() => validateResource(body, { expectedType: "Patient" }));
    expect(err.status).toBe(400);
    expect(err.issues).toEqual([{ severity: "error", code, diagnostics: expect.stringContaining(message) }]);
  });
});

describe("checkResource", () => {
  it("never throws and returns [] for valid input", () => {
    expect(checkResource(validPatient())).toEqual([]);
    expect(checkResource(undefined)).toHaveLength(1);
    expect(checkResource(42)).toHaveLength(1);
  });

  it("validates a realistic US Core-style resource with narrative, meta and extensions", () => {
    const encounter: Json = {
      resourceType: "Encounter",
      id: "enc-1",
      meta: {
        profile: ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter"],
        lastUpdated: "2024-05-23T10:00:00Z",
        tag: [{ system: "https://example.org/tags", code: "synthetic" }],
      },
      text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Checkup</div>' },
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
      type: [{ coding: [{ system: "http://snomed.info/sct", code: "185349003" }], text: "Checkup" }],
      subject: { reference: "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", display: "Mr. Peter Chalmers" },
      participant: [
        {
          type: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PPRF" }] }],
          period: { start: "2024-05-23T09:00:00-04:00", end: "2024-05-23T09:30:00-04:00" },
          individual: { reference: "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999999" },
        },
      ],
      period: { start: "2024-05-23T09:00:00-04:00", end: "2024-05-23T09:30:00-04:00" },
      serviceProvider: { reference: "Organization?identifier=https://github.com/synthetichealth/synthea|abc" },
      hospitalization: { dischargeDisposition: { text: "home" } },
    };
    expect(checkResource(encounter)).toEqual([]);
    expect(checkResource({ ...encounter, class: [encounter.class] }).map((i) => i.expression?.[0])).toEqual([
      "Encounter.class",
    ]);
  });
});

describe("speed (ingest budget: well under 0.1 ms per typical resource)", () => {
  it("validates typical Patients and Observations in under 0.1 ms each inside workerd", () => {
    const population: Json[] = [];
    for (let i = 0; i < 1000; i++) {
      population.push({ ...validPatient(), id: `p${i}` }, { ...validObservation(), id: `o${i}` });
    }
    for (const r of population) expect(checkResource(r)).toEqual([]); // warm-up + correctness
    const rounds = 10;
    const started = performance.now();
    let issues = 0;
    for (let round = 0; round < rounds; round++) for (const r of population) issues += checkResource(r).length;
    const perResourceMs = (performance.now() - started) / (rounds * population.length);
    expect(issues).toBe(0);
    // Typically ~0.01 ms; the bound leaves room for a loaded 2-core CI machine.
    expect(perResourceMs).toBeLessThan(0.1);
  });
});
