import { describe, expect, it } from "vitest";
import { checkResource } from "../../../src/features/fhir/validation";
import { brief, expectOneIssue, expectValid, type Json, validObservation, validPatient } from "./helpers";

const withSubject = (reference: string): Json => ({ ...validObservation(), subject: { reference } });

describe("reference syntax (FHIR R4 references.html#literal)", () => {
  it.each([
    "Patient/pat-1",
    "Patient/pat-1/_history/2",
    "Group/abc.DEF-123",
    "http://example.org/fhir/Patient/123",
    "https://example.org/fhir/Patient/123/_history/4",
    "urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
    "urn:uuid:C757873D-EC9A-4326-A141-556F43239520",
    "urn:oid:1.2.3.4",
    "Patient?identifier=http://hl7.org/fhir/sid/us-ssn|999-99-9999",
  ])("accepts %s", (reference) => {
    expectValid(withSubject(reference));
  });

  it.each([
    ["Patient/", "expected Type/id"],
    ["Patient/a b", "expected Type/id"],
    ["Patient/bad_id!", "expected Type/id"],
    ["Patient/1/_history/", "expected Type/id"],
    ["Patient", "expected Type/id"],
    ["Widget/1", "unknown resource type 'Widget'"],
    ["patient/1", "unknown resource type 'patient'"],
    ["urn:uuid:1234", "malformed urn:uuid:"],
    ["urn:oid:1.2.x", "malformed urn:oid:"],
    ["Widget?name=x", "unknown resource type 'Widget'"],
    ["http://example.org/has space", "expected Type/id"],
  ])("rejects %s", (reference, message) => {
    const issue = expectOneIssue(withSubject(reference), "value", "Observation.subject.reference");
    expect(issue.diagnostics).toContain(message);
  });

  it("rejects a reference to a type the element does not allow (targetProfile)", () => {
    const issue = expectOneIssue(withSubject("Practitioner/1"), "value", "Observation.subject.reference");
    expect(issue.diagnostics).toContain("Device | Group | Location | Patient");
    expectOneIssue(withSubject("http://example.org/fhir/Medication/1"), "value", "Observation.subject.reference");
    expectOneIssue(withSubject("Practitioner?identifier=x|1"), "value", "Observation.subject.reference");
    // Reference(Any): Observation.focus accepts every resource type.
    expectValid({ ...validObservation(), focus: [{ reference: "Medication/1" }] });
    // Absolute URLs that are not RESTful are not typed, so not rejected.
    expectValid(withSubject("https://example.org/people?id=1"));
  });

  it("checks Reference structure", () => {
    expectOneIssue(
      { ...validObservation(), subject: { reference: "Patient/1", kind: "patient" } },
      "structure",
      "Observation.subject.kind",
    );
    expectOneIssue({ ...validObservation(), subject: "Patient/1" }, "structure", "Observation.subject");
    expectValid({ ...validObservation(), subject: { identifier: { system: "urn:x", value: "1" }, display: "Pat" } });
  });
});

describe("contained resources", () => {
  const containedPatient = (id = "p1"): Json => ({ resourceType: "Patient", id, name: [{ family: "Doe" }] });

  it("accepts a contained resource referenced by #id", () => {
    expectValid({ ...validObservation(), contained: [containedPatient()], subject: { reference: "#p1" } });
  });

  it("validates contained resources like top-level ones, with their path", () => {
    const issue = expectOneIssue(
      {
        ...validObservation(),
        contained: [{ ...containedPatient(), birthDate: "1990-13-01" }],
        subject: { reference: "#p1" },
      },
      "value",
      "Observation.contained[0].birthDate",
    );
    expect(issue.severity).toBe("error");
    expectOneIssue(
      { ...validObservation(), contained: [{ id: "x" }], subject: { reference: "#x" } },
      "required",
      "Observation.contained[0]",
    );
    expectOneIssue(
      { ...validObservation(), contained: [{ resourceType: "Widget", id: "x" }], subject: { reference: "#x" } },
      "structure",
      "Observation.contained[0]",
    );
  });

  it("ref-1: a #id reference needs a matching contained resource", () => {
    expectOneIssue(
      { ...validObservation(), subject: { reference: "#p1" } },
      "invariant",
      "Observation.subject.reference",
    );
  });

  it("dom-3: every contained resource must be referenced", () => {
    expectOneIssue({ ...validObservation(), contained: [containedPatient()] }, "invariant", "Observation.contained[0]");
    // Referenced from another contained resource, or referencing the container with "#", counts.
    expectValid({
      ...validObservation(),
      subject: { reference: "#p1" },
      contained: [
        containedPatient(),
        {
          resourceType: "Provenance",
          id: "prov",
          target: [{ reference: "#" }],
          recorded: "2024-05-23T10:00:00Z",
          agent: [{ who: { reference: "#p1" } }],
        },
      ],
    });
  });

  it("dom-2 / dom-4 / dom-5 / dom-1 on contained resources", () => {
    const base = { ...validObservation(), subject: { reference: "#p1" } };
    expectOneIssue(
      { ...base, contained: [{ ...containedPatient(), contained: [containedPatient("p2")] }] },
      "invariant",
      "Observation.contained[0].contained",
    );
    expectOneIssue(
      { ...base, contained: [{ ...containedPatient(), meta: { versionId: "1" } }] },
      "invariant",
      "Observation.contained[0].meta",
    );
    expectOneIssue(
      { ...base, contained: [{ ...containedPatient(), meta: { security: [{ code: "R" }] } }] },
      "invariant",
      "Observation.contained[0].meta.security",
    );
    expectOneIssue(
      { ...base, contained: [{ ...containedPatient(), text: { status: "generated", div: "<div>x</div>" } }] },
      "invariant",
      "Observation.contained[0].text",
    );
  });
});

describe("Bundles", () => {
  const bundle = (entries: Json[], type = "transaction"): Json => ({ resourceType: "Bundle", type, entry: entries });

  it("accepts a transaction bundle with urn:uuid cross references", () => {
    const { id: _id, ...newPatient } = validPatient();
    expectValid(
      bundle([
        {
          fullUrl: "urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
          resource: newPatient,
          request: { method: "POST", url: "Patient" },
        },
        {
          fullUrl: "urn:uuid:0b6a2b2c-6f0e-4f7c-9d6a-0f6c6b1e2a11",
          resource: { ...validObservation(), subject: { reference: "urn:uuid:c757873d-ec9a-4326-a141-556f43239520" } },
          request: { method: "POST", url: "Observation", ifNoneExist: "identifier=x" },
        },
      ]),
    );
  });

  it("validates entry resources recursively, with Bundle paths", () => {
    const { status: _s, ...noStatus } = validObservation();
    expect(
      brief(
        checkResource(
          bundle([
            { resource: validPatient(), request: { method: "PUT", url: "Patient/pat-1" } },
            { resource: noStatus, request: { method: "POST", url: "Observation" } },
            { resource: { ...validPatient(), gender: "x" }, request: { method: "FETCH", url: "Patient" } },
          ]),
        ),
      ),
    ).toEqual([
      { code: "required", expression: "Bundle.entry[1].resource.status" },
      { code: "code-invalid", expression: "Bundle.entry[2].resource.gender" },
      { code: "code-invalid", expression: "Bundle.entry[2].request.method" },
    ]);
  });

  it("entry.resource must be a resource", () => {
    expectOneIssue(bundle([{ resource: { name: "x" } }]), "required", "Bundle.entry[0].resource");
    expectOneIssue(bundle([{ resource: "Patient/1" }]), "structure", "Bundle.entry[0].resource");
    expectOneIssue(bundle([{ resource: { resourceType: "Nope" } }]), "structure", "Bundle.entry[0].resource");
  });

  it("bundles inside bundles and Parameters resources are walked too", () => {
    expectOneIssue(
      bundle([{ resource: bundle([{ resource: { ...validPatient(), active: "yes" } }], "collection") }], "collection"),
      "structure",
      "Bundle.entry[0].resource.entry[0].resource.active",
    );
    expectOneIssue(
      {
        resourceType: "Parameters",
        parameter: [{ name: "p", part: [{ name: "q", resource: { ...validPatient(), birthDate: "x" } }] }],
      },
      "value",
      "Parameters.parameter[0].part[0].resource.birthDate",
    );
  });

  it("Bundle.type is required and bound", () => {
    expectOneIssue({ resourceType: "Bundle", entry: [{ resource: validPatient() }] }, "required", "Bundle.type");
    expectOneIssue({ resourceType: "Bundle", type: "bag" }, "code-invalid", "Bundle.type");
  });
});
