import { describe, expect, it } from "vitest";
import { getParam } from "../../../src/features/fhir/search/definitions";
import { extractIndexRows } from "../../../src/features/fhir/search/index-writer";
import { canonicalize } from "../../../src/features/fhir/search/ucum";
import {
  DATE_MAX,
  DATE_MIN,
  normalizeString,
  parseDateRange,
  parseNumber,
  soundex,
} from "../../../src/features/fhir/search/values";

const ms = (iso: string) => Date.parse(iso);

describe("values", () => {
  it("normalises strings case- and accent-insensitively", () => {
    expect(normalizeString("  Müller-Lüdenscheidt ")).toBe("muller-ludenscheidt");
    expect(normalizeString("ÉLODIE  Ångström")).toBe("elodie angstrom");
  });

  it("turns dates into precision ranges", () => {
    expect(parseDateRange("2023")).toEqual({ lo: ms("2023-01-01T00:00:00Z"), hi: ms("2024-01-01T00:00:00Z") - 1 });
    expect(parseDateRange("2024-02")).toEqual({ lo: ms("2024-02-01T00:00:00Z"), hi: ms("2024-03-01T00:00:00Z") - 1 });
    expect(parseDateRange("2023-05-01")).toEqual({
      lo: ms("2023-05-01T00:00:00Z"),
      hi: ms("2023-05-02T00:00:00Z") - 1,
    });
    expect(parseDateRange("2023-05-01T10:00:00+02:00")).toEqual({
      lo: ms("2023-05-01T08:00:00Z"),
      hi: ms("2023-05-01T08:00:01Z") - 1,
    });
    expect(parseDateRange("2023-05-01T10:00")).toEqual({
      lo: ms("2023-05-01T10:00:00Z"),
      hi: ms("2023-05-01T10:01:00Z") - 1,
    });
    expect(parseDateRange("2023-05-01T10:00:00.5Z")).toEqual({
      lo: ms("2023-05-01T10:00:00.500Z"),
      hi: ms("2023-05-01T10:00:00.599Z"),
    });
    for (const bad of ["2023-13", "2023-02-30", "2023-05-01T25:00", "yesterday", "", "2023-5-1"])
      expect(parseDateRange(bad)).toBeUndefined();
  });

  it("gives search numbers their implicit precision", () => {
    expect(parseNumber("100")).toEqual({ value: 100, lo: 99.5, hi: 100.5 });
    const p = parseNumber("100.00");
    expect(p?.lo).toBeCloseTo(99.995, 10);
    expect(p?.hi).toBeCloseTo(100.005, 10);
    expect(parseNumber("1e2")).toEqual({ value: 100, lo: 50, hi: 150 });
    expect(parseNumber("abc")).toBeUndefined();
  });

  it("computes soundex codes", () => {
    expect(soundex("Robert")).toBe("R163");
    expect(soundex("Rupert")).toBe("R163");
    expect(soundex("Tymczak")).toBe("T522");
  });

  it("canonicalises UCUM units", () => {
    expect(canonicalize(70, "kg")).toEqual({ value: 70000, unit: "g" });
    expect(canonicalize(100, "mg/dL")).toEqual({ value: 1000, unit: "g.m-3" });
    expect(canonicalize(72, "/min")).toEqual({ value: 1.2, unit: "s-1" });
    expect(canonicalize(72, "{beats}/min")).toEqual({ value: 1.2, unit: "s-1" });
    expect(canonicalize(5, "10*3/uL")?.unit).toBe("m-3");
    expect(canonicalize(37, "Cel")).toBeUndefined();
  });
});

describe("extractIndexRows", () => {
  const observation = {
    resourceType: "Observation",
    id: "o1",
    meta: {
      versionId: "1",
      lastUpdated: "2024-01-01T00:00:00.000Z",
      tag: [{ system: "http://t", code: "x" }],
      profile: ["http://p/obs"],
    },
    text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Fever &amp; <b>chills</b></div>' },
    status: "final",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
    ],
    code: { coding: [{ system: "http://loinc.org", code: "8310-5", display: "Body temperature" }], text: "Temp" },
    subject: { reference: "Patient/p1" },
    encounter: { reference: "https://other.example/fhir/Encounter/e9" },
    performer: [{ identifier: { system: "http://npi", value: "123" } }],
    effectivePeriod: { start: "2023-05-01" },
    valueQuantity: { value: 38.1, unit: "C", system: "http://unitsofmeasure.org", code: "Cel" },
    component: [
      {
        code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] },
        valueQuantity: { value: 120, system: "http://unitsofmeasure.org", code: "mm[Hg]" },
      },
    ],
  };

  it("indexes tokens from CodeableConcept with display text", () => {
    const rows = extractIndexRows(observation);
    expect(rows.token).toContainEqual(["code", "http://loinc.org", "8310-5", "body temperature | temp"]);
    expect(rows.token).toContainEqual(["status", "", "final", null]);
    expect(rows.token).toContainEqual(["_tag", "http://t", "x", null]);
    // combo-code is an alias of code + component-code: no rows of its own
    expect(rows.token.some((r) => r[0] === "combo-code")).toBe(false);
    expect(rows.token).toContainEqual(["component-code", "http://loinc.org", "8480-6", null]);
  });

  it("indexes references: local, absolute, identifier; aliases write nothing", () => {
    const rows = extractIndexRows(observation);
    expect(rows.reference).toContainEqual(["subject", "Patient", "p1", ""]);
    expect(rows.reference).toContainEqual(["encounter", "Encounter", "e9", "https://other.example/fhir/Encounter/e9"]);
    expect(rows.reference.some((r) => r[0] === "patient")).toBe(false);
    expect(getParam("Observation", "patient")?.alias).toEqual(["subject"]);
    expect(rows.token).toContainEqual(["performer:i", "http://npi", "123", null]);
  });

  it("indexes dates as ranges (open Period end = unbounded)", () => {
    const rows = extractIndexRows(observation);
    expect(rows.date).toContainEqual(["date", ms("2023-05-01T00:00:00Z"), DATE_MAX]);
  });

  it("indexes quantities with a canonical UCUM row when convertible", () => {
    const rows = extractIndexRows({
      resourceType: "Observation",
      id: "w",
      status: "final",
      code: { text: "weight" },
      valueQuantity: { value: 70, system: "http://unitsofmeasure.org", code: "kg" },
    });
    expect(rows.quantity).toContainEqual(["value-quantity", "http://unitsofmeasure.org", "kg", 70, 70]);
    expect(rows.quantity).toContainEqual(["value-quantity", "", "=g", 70000, 70000]);
    // Cel has an offset: no canonical row
    expect(extractIndexRows(observation).quantity.filter((r) => r[0] === "value-quantity")).toHaveLength(1);
  });

  it("indexes composites per element instance", () => {
    const rows = extractIndexRows(observation);
    expect(rows.composite).toContainEqual([
      "code-value-quantity",
      "http://loinc.org",
      "8310-5",
      "http://unitsofmeasure.org",
      "Cel",
      38.1,
      38.1,
      null,
      null,
    ]);
    expect(rows.composite).toContainEqual([
      "component-code-value-quantity",
      "http://loinc.org",
      "8480-6",
      "http://unitsofmeasure.org",
      "mm[Hg]",
      120,
      120,
      null,
      null,
    ]);
  });

  it("indexes uri, full text and lastUpdated", () => {
    const rows = extractIndexRows(observation);
    expect(rows.uri).toContainEqual(["_profile", "http://p/obs"]);
    expect(rows.text?.narrative).toBe("Fever & chills");
    expect(rows.text?.content.split(" ")).toEqual(
      expect.arrayContaining(["body", "temperature", "fever", "chills", "final"]),
    );
    expect(rows.lastUpdated).toBe(ms("2024-01-01T00:00:00.000Z"));
  });

  it("indexes strings from HumanName and Address, identifiers with :of-type rows, telecom", () => {
    const rows = extractIndexRows({
      resourceType: "Patient",
      id: "p",
      name: [{ family: "Müller", given: ["Anna", "Lena"], text: "Anna Müller" }],
      address: [{ line: ["1 Main St"], city: "Köln", postalCode: "50667" }],
      identifier: [
        {
          system: "http://hospital/mrn",
          value: "MRN-1",
          type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "MR" }] },
        },
      ],
      telecom: [
        { system: "phone", value: "555-1000" },
        { system: "email", value: "a@example.org" },
      ],
      birthDate: "1985",
      active: true,
    });
    expect(rows.string).toContainEqual(["family", "muller", "Müller"]);
    expect(rows.string).toContainEqual(["name", "anna muller", "Anna Müller"]);
    expect(rows.string).toContainEqual(["address-city", "koln", "Köln"]);
    expect(rows.string).toContainEqual(["address-postalcode", "50667", ""]);
    expect(rows.string).toContainEqual(["phonetic", "m460", ""]);
    expect(rows.token).toContainEqual(["identifier", "http://hospital/mrn", "MRN-1", null]);
    expect(rows.token).toContainEqual([
      "identifier:t",
      "http://terminology.hl7.org/CodeSystem/v2-0203|MR",
      "MRN-1",
      null,
    ]);
    expect(rows.token).toContainEqual(["phone", "phone", "555-1000", null]);
    expect(rows.token.some((r) => r[0] === "phone" && r[2] === "a@example.org")).toBe(false);
    expect(rows.token).toContainEqual(["email", "email", "a@example.org", null]);
    expect(rows.token).toContainEqual(["active", "", "true", null]);
    expect(rows.date).toContainEqual(["birthdate", ms("1985-01-01T00:00:00Z"), ms("1986-01-01T00:00:00Z") - 1]);
    // FHIRPath fallback (Patient.deceased.exists() and Patient.deceased != false)
    expect(rows.token).toContainEqual(["deceased", "", "false", null]);
  });

  it("indexes numbers and Timing outer limits", () => {
    const ra = extractIndexRows({
      resourceType: "RiskAssessment",
      id: "r",
      status: "final",
      subject: { reference: "Patient/p" },
      prediction: [{ probabilityDecimal: 0.25 }],
    });
    expect(ra.number).toContainEqual(["probability", 0.25, 0.25]);
    const timed = extractIndexRows({
      resourceType: "Observation",
      id: "t",
      status: "final",
      code: { text: "x" },
      effectiveTiming: { event: ["2023-01-05", "2023-01-02"], repeat: { boundsPeriod: { end: "2023-02-01" } } },
    });
    // Timing: one range over the events and the repeat bounds (an open bounds start is unbounded)
    expect(timed.date).toEqual([["date", DATE_MIN, ms("2023-02-02T00:00:00Z") - 1]]);
    const events = extractIndexRows({
      resourceType: "Observation",
      id: "e",
      status: "final",
      code: { text: "x" },
      effectiveTiming: { event: ["2023-01-05", "2023-01-02"] },
    });
    expect(events.date).toEqual([["date", ms("2023-01-02T00:00:00Z"), ms("2023-01-06T00:00:00Z") - 1]]);
  });

  it("never throws on hostile input", () => {
    const weird = [
      { resourceType: "Observation" },
      {
        resourceType: "Observation",
        code: "not-an-object",
        subject: 42,
        valueQuantity: { value: "x" },
        effectiveDateTime: "garbage",
      },
      { resourceType: "NotAType", id: "x" },
      { resourceType: "Patient", name: [null, { family: ["array"] }], birthDate: 19700101 },
    ];
    for (const r of weird) expect(() => extractIndexRows(r)).not.toThrow();
  });
});
