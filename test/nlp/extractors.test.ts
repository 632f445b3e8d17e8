import { describe, expect, it } from "vitest";
import {
  analyzeText,
  extractClinicalFacts,
  extractDates,
  extractDemographics,
  extractLabs,
  extractMedications,
  extractVitals,
  Utf8Index,
} from "../../src/features/nlp/engine";
import { utf8Slice } from "./fixtures";

const vitals = (t: string) => extractVitals(new Utf8Index(t));
const labs = (t: string) => extractLabs(new Utf8Index(t));

describe("vital signs", () => {
  it("reads a vitals line with LOINC codes, UCUM units and flags", () => {
    const v = vitals("Vitals: BP 150/95 mmHg, HR 112, RR 22, T 38.6 °C, SpO2 91% on RA, Wt 80 kg, Ht 175 cm, BMI 26.1");
    const by = Object.fromEntries(v.map((m) => [m.name, m]));
    expect(by.blood_pressure).toMatchObject({ loinc: "85354-9", unit: "mm[Hg]", interpretation: "H" });
    expect(by.blood_pressure!.components!.map((c) => [c.loinc, c.value])).toEqual([
      ["8480-6", 150],
      ["8462-4", 95],
    ]);
    expect(by.heart_rate).toMatchObject({ loinc: "8867-4", value: 112, unit: "/min", interpretation: "H" });
    expect(by.respiratory_rate).toMatchObject({ loinc: "9279-1", value: 22, interpretation: "H" });
    expect(by.body_temperature).toMatchObject({ loinc: "8310-5", value: 38.6, unit: "Cel", interpretation: "H" });
    expect(by.oxygen_saturation).toMatchObject({ loinc: "59408-5", value: 91, unit: "%", interpretation: "L" });
    expect(by.body_weight).toMatchObject({ loinc: "29463-7", value: 80, unit: "kg" });
    expect(by.body_height).toMatchObject({ loinc: "8302-2", value: 175, unit: "cm" });
    expect(by.bmi).toMatchObject({ loinc: "39156-5", value: 26.1, unit: "kg/m2", interpretation: "H" });
  });

  it("handles Fahrenheit, pounds, feet/inches, SaO2 and labelled-only single letters", () => {
    const v = vitals("Temp 101.2 F, pulse 64, weight 176 lbs, height 5'10\", SaO2 99%.");
    expect(v.map((m) => [m.name, m.value, m.unit])).toEqual([
      ["body_temperature", 101.2, "[degF]"],
      ["heart_rate", 64, "/min"],
      ["body_weight", 176, "[lb_av]"],
      ["body_height", 70, "[in_i]"],
      ["oxygen_saturation", 99, "%"],
    ]);
    expect(v[4]!.loinc).toBe("2708-6");
    expect(vitals("T 98.6 P 72 R 16 BP 118/76").map((m) => m.name)).toEqual([
      "body_temperature",
      "heart_rate",
      "respiratory_rate",
      "blood_pressure",
    ]);
    // A lone "P 5" outside a vitals line is not a pulse; "140/90" without a label or unit is not a BP.
    expect(vitals("Gravida 2 P 1. Ratio 140/90.")).toEqual([]);
  });

  it("cites UTF-8 byte offsets", () => {
    const text = "Café visit — T 37.8 °C";
    const [t] = vitals(text);
    expect(utf8Slice(text, t!.span.begin, t!.span.endByte)).toBe("T 37.8 °C");
  });
});

describe("laboratory values", () => {
  it("reads common tests with LOINC, units and H/L flags", () => {
    const l = labs(
      "HbA1c 8.2%, glucose 245 mg/dL, Cr 1.4, K 5.8, Na 131, LDL 162, HDL 35, Hgb 10.1, Plt 95, WBC 12.3, TSH 6.1",
    );
    expect(l.map((m) => [m.loinc, m.value, m.unit, m.interpretation])).toEqual([
      ["4548-4", 8.2, "%", "H"],
      ["2345-7", 245, "mg/dL", "H"],
      ["2160-0", 1.4, "mg/dL", "H"],
      ["2823-3", 5.8, "mmol/L", "H"],
      ["2951-2", 131, "mmol/L", "L"],
      ["2089-1", 162, "mg/dL", "H"],
      ["2085-9", 35, "mg/dL", "L"],
      ["718-7", 10.1, "g/dL", "L"],
      ["777-3", 95, "10*3/uL", "L"],
      ["6690-2", 12.3, "10*3/uL", "H"],
      ["3016-3", 6.1, "m[IU]/L", "H"],
    ]);
  });

  it("uses the written unit's reference range and rejects implausible values", () => {
    const [g] = labs("fasting glucose 5.2 mmol/L");
    expect(g).toMatchObject({ value: 5.2, unit: "mmol/L", interpretation: "N" });
    expect(labs("potassium 45")).toEqual([]); // not a potassium value
    expect(labs("K 5.6 (3/4/2025), glucose of 90")).toHaveLength(2);
    expect(labs("The hemoglobin A1c goal is below 7%")).toEqual([]);
  });
});

describe("medications", () => {
  const meds = (t: string) => extractMedications(analyzeText(t));

  it("parses strength, form, route, frequency, PRN and duration", () => {
    const [m1, m2, m3, m4] = meds(
      "Metformin 500 mg tablet PO BID; lisinopril 10 mg daily; albuterol inhaler 2 puffs q4-6h PRN wheezing; amoxicillin 875 mg twice a day for 10 days.",
    );
    expect(m1).toMatchObject({
      ingredient: "metformin",
      strength: { value: 500, unit: "mg" },
      doseForm: "tablet",
      route: { code: "26643006" },
      frequency: { code: "BID", frequency: 2, period: 1, periodUnit: "d" },
      asNeeded: false,
      status: "active",
    });
    expect(m2).toMatchObject({ ingredient: "lisinopril", frequency: { code: "QD" } });
    expect(m3).toMatchObject({
      ingredient: "albuterol",
      doseForm: "inhaler",
      doseQuantity: { value: 2, unit: "puff" },
      frequency: { period: 4, periodMax: 6, periodUnit: "h" },
      asNeeded: true,
      asNeededFor: "wheezing",
    });
    expect(m4).toMatchObject({
      ingredient: "amoxicillin",
      frequency: { code: "BID" },
      duration: { value: 10, unit: "d" },
    });
  });

  it("covers q8h, qHS, TID, QID, routes and brands", () => {
    const list = meds(
      "Ondansetron 4 mg IV q8h PRN nausea. Atorvastatin 40 mg qHS. Gabapentin 300 mg TID. Nystatin QID. Insulin glargine 20 units subcut nightly. Eliquis 5 mg BID.",
    );
    expect(list.map((m) => [m.ingredient, m.frequency?.code, m.route?.code ?? null])).toEqual([
      ["ondansetron", "Q8H", "47625008"],
      ["atorvastatin", "QHS", null],
      ["gabapentin", "TID", null],
      ["nystatin", "QID", null],
      ["insulin glargine", "QHS", "34206005"],
      ["apixaban", "BID", null],
    ]);
    expect(list[5]!.brand).toBe("eliquis");
    expect(list[4]!.doseQuantity).toMatchObject({ value: 20, unit: "unit" });
  });

  it("knows status, allergies, negation and unknown drugs with a strength", () => {
    const list = meds(
      "Stopped lisinopril. Will start losartan 50 mg daily. Not taking aspirin.\nAllergies: penicillin.\nFoobarin 10 mg PO daily.",
    );
    const by = Object.fromEntries(list.map((m) => [m.ingredient, m]));
    expect(by.lisinopril!.status).toBe("stopped");
    expect(by.losartan!.status).toBe("intended");
    expect(by.aspirin!.status).toBe("not-taken");
    expect(by.aspirin!.negated).toBe(true);
    expect(by.penicillin!.allergy).toBe(true);
    expect(by.foobarin).toMatchObject({ known: false, strength: { value: 10 }, route: { code: "26643006" } });
  });

  it("cites the drug and its full sig", () => {
    const text = "Début: metformin 500 mg PO BID.";
    const [m] = meds(text);
    expect(utf8Slice(text, m!.span.begin, m!.span.endByte)).toBe("metformin");
    expect(utf8Slice(text, m!.fullSpan.begin, m!.fullSpan.endByte)).toBe("metformin 500 mg PO BID");
  });
});

describe("dates", () => {
  const dates = (t: string) => extractDates(new Utf8Index(t), { referenceDate: "2025-03-10" });

  it("reads absolute dates in common formats", () => {
    expect(
      dates("Seen 2025-03-02, again 03/04/2025 and on March 5, 2025; also 7 March 2025 and 12.01.2024.").map(
        (d) => d.value,
      ),
    ).toEqual(["2025-03-02", "2025-03-04", "2025-03-05", "2025-03-07", "2024-01-12"]);
    expect(dates("Onset in March 2024; diagnosed in 2019.").map((d) => [d.value, d.precision])).toEqual([
      ["2024-03", "month"],
      ["2019", "year"],
    ]);
  });

  it("reads ranges", () => {
    expect(dates("Admitted March 2-9, 2025.")[0]).toMatchObject({
      kind: "range",
      value: "2025-03-02",
      end: "2025-03-09",
    });
    expect(dates("Trip March 28 - April 3, 2025.")[0]).toMatchObject({ value: "2025-03-28", end: "2025-04-03" });
    expect(dates("From 01/05/2025 to 01/12/2025.")[0]).toMatchObject({ value: "2025-01-05", end: "2025-01-12" });
    expect(dates("2-9 March 2025")[0]).toMatchObject({ value: "2025-03-02", end: "2025-03-09" });
  });

  it("resolves relative dates against the reference date", () => {
    expect(
      dates("Fever 3 days ago, cough since yesterday, follow up in 2 weeks, seen last month.").map((d) => [
        d.kind,
        d.value,
      ]),
    ).toEqual([
      ["relative", "2025-03-07"],
      ["relative", "2025-03-09"],
      ["relative", "2025-03-24"],
      ["relative", "2025-02"],
    ]);
  });

  it("rejects impossible dates", () => {
    expect(dates("on 02/30/2025 and 2025-13-01")).toEqual([]);
  });
});

describe("demographics and identifiers", () => {
  it("reads name, age, sex, birth date and MRN", () => {
    const d = extractDemographics(
      new Utf8Index("Name: Jane Q. Doe\nDOB: 04/12/1961\nMRN: 00482913\nHPI: 63-year-old female with cough."),
    );
    expect(d.name).toMatchObject({ given: ["Jane", "Q"], family: "Doe" });
    expect(d.birthDate?.value).toBe("1961-04-12");
    expect(d.age).toMatchObject({ value: 63, unit: "a" });
    expect(d.sex).toMatchObject({ value: "female", source: "explicit" });
    expect(d.identifiers).toEqual([expect.objectContaining({ type: "MRN", value: "00482913" })]);
  });

  it("reads shorthand ages, infants, titled names and pronoun-inferred sex", () => {
    expect(extractDemographics(new Utf8Index("45 yo M presents with chest pain")).sex?.value).toBe("male");
    expect(extractDemographics(new Utf8Index("A 6-month-old infant")).age).toMatchObject({ value: 6, unit: "mo" });
    const d = extractDemographics(
      new Utf8Index("Mr. Alvarez returns. He reports that his cough improved; he sleeps well."),
    );
    expect(d.name).toMatchObject({ prefix: "Mr.", family: "Alvarez" });
    expect(d.sex).toEqual({ value: "male", source: "pronouns" });
  });

  it("validates SSN and NPI shapes", () => {
    const d = extractDemographics(new Utf8Index("SSN 123-45-6789, NPI 1234567893, NPI 12345, acct # 55501234"));
    expect(d.identifiers.map((i) => [i.type, i.value])).toEqual([
      ["SSN", "123-45-6789"],
      ["NPI", "1234567893"],
      ["account", "55501234"],
    ]);
  });
});

describe("extractClinicalFacts", () => {
  it("runs every extractor over one note", () => {
    const facts = extractClinicalFacts("58 yo F. BP 128/82. A1c 6.9%. Metformin 500 mg BID. Seen 2 days ago.", {
      referenceDate: "2025-01-10",
    });
    expect(facts.vitals).toHaveLength(1);
    expect(facts.labs[0]!.loinc).toBe("4548-4");
    expect(facts.medications[0]!.ingredient).toBe("metformin");
    expect(facts.dates[0]!.value).toBe("2025-01-08");
    expect(facts.demographics.age?.value).toBe(58);
  });
});
