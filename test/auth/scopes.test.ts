import { describe, expect, it } from "vitest";
import { fhirAccess, hasPlatformScope, parseScopes, scopeCovered } from "../../src/features/auth/scopes";

describe("scope parsing", () => {
  it("parses SMART v1 scopes into v2 permissions", () => {
    const { scopes, invalid } = parseScopes("system/Patient.read user/*.write patient/Observation.*");
    expect(invalid).toEqual([]);
    expect(scopes.fhir.map((s) => [s.context, s.resourceType, [...s.permissions].join("")])).toEqual([
      ["system", "Patient", "rs"],
      ["user", "*", "cud"],
      ["patient", "Observation", "cruds"],
    ]);
  });

  it("parses SMART v2 letters and query constraints", () => {
    const { scopes, invalid } = parseScopes(["system/*.cruds", "patient/Observation.rs?category=laboratory"]);
    expect(invalid).toEqual([]);
    expect([...scopes.fhir[0]!.permissions].join("")).toBe("cruds");
    expect(scopes.fhir[1]!.constraint?.get("category")).toBe("laboratory");
  });

  it("rejects malformed scopes", () => {
    const bad = [
      "system/Patient.rdx", // unknown letter
      "system/Patient.src", // letters out of order
      "system/Patient.", // no permission
      "robot/Patient.read", // unknown context
      "system/patient.read", // type must be capitalised
      "system/Patient.read?category=x", // v1 with a constraint
      "system/Observation.rs?", // empty constraint
      "unknownarea:read",
      "terminology:delete",
    ];
    const { invalid } = parseScopes(bad);
    expect(invalid).toEqual(bad);
    // A space-separated string is split first (RFC 6749 §3.3), so each token is judged alone.
    expect(parseScopes("fhir:read bogus").invalid).toEqual(["bogus"]);
  });

  it("platform scopes: exact, area wildcard, global wildcard; admin only explicit", () => {
    const { scopes } = parseScopes("terminology:* fhir:read");
    expect(hasPlatformScope(scopes, "terminology:write")).toBe(true);
    expect(hasPlatformScope(scopes, "fhir:read")).toBe(true);
    expect(hasPlatformScope(scopes, "fhir:write")).toBe(false);
    expect(hasPlatformScope(scopes, "admin")).toBe(false);
    expect(hasPlatformScope(parseScopes("*").scopes, "admin")).toBe(true);
  });
});

describe("fhirAccess", () => {
  it("maps interactions to v2 letters", () => {
    const { scopes } = parseScopes("system/Observation.rs system/Patient.c");
    expect(fhirAccess(scopes, "read", "Observation", false).allowed).toBe(true);
    expect(fhirAccess(scopes, "search", "Observation", false).allowed).toBe(true);
    expect(fhirAccess(scopes, "update", "Observation", false).allowed).toBe(false);
    expect(fhirAccess(scopes, "create", "Patient", false).allowed).toBe(true);
    expect(fhirAccess(scopes, "read", "Patient", false).allowed).toBe(false);
    expect(fhirAccess(scopes, "delete", "Observation", false).allowed).toBe(false);
  });

  it("platform fhir:read / fhir:write stand for system/*.rs and system/*.cud", () => {
    const { scopes } = parseScopes("fhir:read");
    expect(fhirAccess(scopes, "search", "Condition", false)).toEqual({
      allowed: true,
      constraints: null,
      patientScoped: false,
    });
    expect(fhirAccess(scopes, "create", "Condition", false).allowed).toBe(false);
  });

  it("returns v2 query constraints, and drops them when an unconstrained scope also grants", () => {
    const constrained = parseScopes(
      "system/Observation.rs?category=laboratory system/Observation.rs?category=vital-signs",
    ).scopes;
    const a = fhirAccess(constrained, "search", "Observation", false);
    expect(a.allowed).toBe(true);
    expect(a.constraints?.map((c) => c.toString())).toEqual(["category=laboratory", "category=vital-signs"]);
    const both = parseScopes("system/Observation.rs?category=laboratory system/*.rs").scopes;
    expect(fhirAccess(both, "search", "Observation", false).constraints).toBeNull();
  });

  it("patient/ scopes count only with a patient context", () => {
    const { scopes } = parseScopes("patient/*.rs");
    expect(fhirAccess(scopes, "read", "Observation", false).allowed).toBe(false);
    expect(fhirAccess(scopes, "read", "Observation", true)).toEqual({
      allowed: true,
      constraints: null,
      patientScoped: true,
    });
  });
});

describe("scopeCovered (token narrowing)", () => {
  const granted = parseScopes("terminology:read system/*.rs system/Observation.cruds?category=laboratory").scopes;
  it.each([
    ["terminology:read", true],
    ["terminology:write", false],
    ["system/Patient.read", true],
    ["system/Patient.r", true],
    ["system/Patient.c", false],
    ["user/Patient.r", false],
    ["system/Observation.c?category=laboratory", true],
    ["system/Observation.c", false],
    ["nonsense", false],
  ])("%s → %s", (req, ok) => {
    expect(scopeCovered(granted, req)).toBe(ok);
  });
});
