import { describe, expect, it } from "vitest";
import {
  compareIcdGenerality,
  icdPhrases,
  icdTermCarriesConcept,
  indexLevels,
  isIcdSystem,
  stripIcdQualifiers,
} from "../../src/features/nlp/concepts/icd-terms";
import { compileDictionary, type DictionaryEntry, extractCodes } from "../../src/features/nlp/engine";

const texts = (text: string, source: "title" | "index") => icdPhrases(text, source).map((p) => p.text.toLowerCase());

/** Every code the engine finds, including weak and context-excluded ones (nothing is filtered out). */
function allCodes(text: string, entries: DictionaryEntry[], system = "ICD-10-CM"): string[] {
  const dict = compileDictionary(entries, { system });
  const r = extractCodes(text, dict, { validation_method: "none", include_invalid: true });
  return r.codes.map((c) => c.code);
}
function validCodes(text: string, entries: DictionaryEntry[], system = "ICD-10-CM"): string[] {
  const dict = compileDictionary(entries, { system });
  return extractCodes(text, dict)
    .codes.filter((c) => c.valid)
    .map((c) => c.code);
}

/** Written for these tests in the shape of the starter content: tabular titles, index-syntax synonyms. */
const ICD_INDEX_ENTRIES: DictionaryEntry[] = [
  {
    code: "E11.9",
    description: "Type 2 diabetes mellitus without complications",
    synonyms: ["Diabetes, diabetic", "Diabetes, diabetic (mellitus) (sugar)", "Diabetes, diabetic, type 2"],
  },
  {
    code: "E11.8",
    description: "Type 2 diabetes mellitus with unspecified complications",
    synonyms: ["Diabetes, diabetic, with complication", "Diabetes, diabetic, type 2 with complication"],
  },
  {
    code: "E11.69",
    description: "Type 2 diabetes mellitus with other specified complication",
    synonyms: ["Diabetes, diabetic, with complication specified NEC"],
  },
  {
    code: "E11.21",
    description: "Type 2 diabetes mellitus with diabetic nephropathy",
    synonyms: ["Diabetes, diabetic, with nephropathy"],
  },
  { code: "E13.9", description: "Other specified diabetes mellitus without complications", synonyms: ["Diabetes"] },
  { code: "I10", description: "Essential (primary) hypertension", synonyms: ["Hypertension, hypertensive"] },
  {
    code: "I11.0",
    description: "Hypertensive heart disease with heart failure",
    synonyms: ["Hypertension, hypertensive, with heart failure (congestive)"],
  },
  {
    code: "I25.2",
    description: "Old myocardial infarction",
    synonyms: [
      "History, personal myocardial infarction",
      "Infarct, infarction, myocardium, myocardial healed or old",
      "Old",
      "Old (previous)",
    ],
  },
  { code: "I21.9", description: "Acute myocardial infarction, unspecified" },
  {
    code: "K58.9",
    description: "Irritable bowel syndrome, unspecified",
    synonyms: ["Irritable, irritability, without diarrhea"],
  },
  {
    code: "D49.9",
    description: "Neoplasm of unspecified behavior of unspecified site",
    synonyms: ["Dermatomyositis, in (due to)"],
  },
  { code: "R53.83", description: "Other fatigue", synonyms: ["Fatigue", "Overworked"] },
];

describe("ICD conventions: which systems", () => {
  it("recognises ICD-10 systems by name, not other systems", () => {
    for (const name of [
      "ICD-10-CM",
      "icd-10-cm",
      "ICD-10-PCS",
      "ICD-10",
      "ICD10CM_DEMO",
      "http://hl7.org/fhir/sid/icd-10-cm",
    ]) {
      expect(isIcdSystem(name)).toBe(true);
    }
    for (const name of ["SNOMED_CT_US_LITE", "HPO", "ICD-100", "MY_CODES", "", null, undefined]) {
      expect(isIcdSystem(name)).toBe(false);
    }
  });

  it("leaves other systems' commas and words alone", () => {
    const entries = [
      { code: "I10", description: "Essential (primary) hypertension", synonyms: ["Hypertension, hypertensive"] },
    ];
    expect(allCodes("hypertension", entries, "MY_CODES")).toEqual([]);
    expect(allCodes("hypertension", entries, "ICD-10-CM")).toEqual(["I10"]);
    // The option overrides the name either way.
    const forced = compileDictionary(entries, { system: "MY_CODES", icdConventions: true });
    expect(extractCodes("hypertension", forced).codes.map((c) => c.code)).toEqual(["I10"]);
  });
});

describe("ICD tabular conventions (Guidelines I.A)", () => {
  it("drops the qualifiers a bare mention satisfies", () => {
    expect(stripIcdQualifiers("Type 2 diabetes mellitus without complications", "title")).toBe(
      "Type 2 diabetes mellitus",
    );
    expect(stripIcdQualifiers("Migraine, unspecified, not intractable, without status migrainosus", "title")).toBe(
      "Migraine",
    );
    expect(stripIcdQualifiers("Pleural effusion, not elsewhere classified", "title")).toBe("Pleural effusion");
    expect(stripIcdQualifiers("Otitis media, unspecified, unspecified ear", "title")).toBe("Otitis media");
    expect(stripIcdQualifiers("Urinary tract infection, site not specified", "title")).toBe("Urinary tract infection");
    expect(stripIcdQualifiers("Bronchitis, not specified as acute or chronic", "title")).toBe("Bronchitis");
    expect(stripIcdQualifiers("Alcohol dependence, uncomplicated", "title")).toBe("Alcohol dependence");
    expect(stripIcdQualifiers("Cardiac arrest, cause unspecified", "title")).toBe("Cardiac arrest");
    expect(stripIcdQualifiers("Pneumothorax NOS", "index")).toBe("Pneumothorax");
    expect(stripIcdQualifiers("Hemorrhoids (bleeding) (without mention of degree)", "index")).toBe(
      "Hemorrhoids (bleeding)",
    );
    // The body part that is the concept stays: only "unspecified" goes.
    expect(stripIcdQualifiers("Pain in unspecified joint", "title")).toBe("Pain in joint");
    // A "without" clause stops at the next "with" subterm.
    expect(stripIcdQualifiers("Migraine, without refractory migraine with status migrainosus", "index")).toBe(
      "Migraine, with status migrainosus",
    );
    expect(stripIcdQualifiers("Essential (primary) hypertension", "title")).toBe("Essential (primary) hypertension");
  });

  it("reads nonessential modifiers as present or absent, and a modifier after the first word in its place", () => {
    expect(texts("Essential (primary) hypertension", "title")).toEqual([
      "essential (primary) hypertension",
      "essential hypertension",
      "primary hypertension",
    ]);
    // The title as written comes first and is not a derived reading.
    expect(icdPhrases("Essential (primary) hypertension", "title").map((p) => p.derived)).toEqual([false, true, true]);
    expect(texts("Chronic systolic (congestive) heart failure", "title")).toEqual([
      "chronic systolic (congestive) heart failure",
      "chronic systolic heart failure",
    ]);
    expect(texts("Type 2 diabetes mellitus without complications", "title")).toEqual([
      "type 2 diabetes mellitus without complications",
      "type 2 diabetes mellitus",
    ]);
  });

  it("offers either word of 'X or Y'", () => {
    expect(
      texts("Unspecified rotator cuff tear or rupture of unspecified shoulder, not specified as traumatic", "title"),
    ).toEqual([
      "unspecified rotator cuff tear or rupture of unspecified shoulder, not specified as traumatic",
      "rotator cuff tear of shoulder",
      "rotator cuff rupture of shoulder",
    ]);
  });
});

describe("ICD Alphabetic Index syntax", () => {
  it("splits a term into levels, alternates of one level together", () => {
    expect(indexLevels("Infarct, infarction, myocardium, myocardial healed or old")).toEqual([
      ["Infarct", "infarction"],
      ["myocardium", "myocardial"],
      ["healed or old"],
    ]);
    expect(indexLevels("Diabetes, diabetic, type 2 with nephropathy")).toEqual([
      ["Diabetes", "diabetic"],
      ["type 2 with nephropathy"],
    ]);
    expect(indexLevels("Disease, diseased, polycystic ovary, ovaries")).toEqual([
      ["Disease", "diseased"],
      ["polycystic ovary", "polycystic ovaries"],
    ]);
  });

  it("puts a subterm before its main term, or after it when it starts with a connecting word", () => {
    expect(texts("Diabetes, diabetic, type 2", "index")).toEqual(["type 2 diabetes"]);
    expect(texts("Pain, low back", "index")).toEqual(["low back pain"]);
    expect(texts("Diabetes, diabetic, with nephropathy", "index")).toEqual([
      "diabetes with nephropathy",
      "diabetic nephropathy",
    ]);
    expect(texts("Cholesterol, elevated (high)", "index")).toEqual([
      "elevated cholesterol",
      "elevated cholesterol (high)",
    ]);
    expect(texts("Lack of, appetite", "index")).toEqual(["lack of appetite"]);
    expect(texts("Infarct, infarction, myocardium, myocardial healed or old", "index")).toContain(
      "old myocardial infarction",
    );
    expect(texts("History, personal myocardial infarction", "index")).toEqual([
      "personal history of myocardial infarction",
    ]);
  });

  it("keeps the main term alone, never its adjectival alternates, and drops terms cut after a connecting word", () => {
    expect(texts("Hypertension, hypertensive", "index")).toEqual(["hypertension"]);
    expect(texts("Diabetes, diabetic (mellitus) (sugar)", "index")).toEqual([
      "diabetes",
      "diabetes (mellitus) (sugar)",
    ]);
    expect(texts("Fibrillation, atrial or auricular", "index")).toEqual([
      "atrial fibrillation",
      "auricular fibrillation",
    ]);
    expect(texts("Dermatomyositis, in (due to)", "index")).toEqual([]);
    expect(texts("Pertussis", "index")).toEqual(["pertussis"]);
  });

  it("knows which terms carry a concept on their own", () => {
    expect(icdTermCarriesConcept(["old"])).toBe(false);
    expect(icdTermCarriesConcept(["old", "previous"])).toBe(false);
    expect(icdTermCarriesConcept(["history"])).toBe(false);
    expect(icdTermCarriesConcept(["healed"])).toBe(false);
    expect(icdTermCarriesConcept(["chronic"])).toBe(false);
    expect(icdTermCarriesConcept(["irritable"])).toBe(false);
    expect(icdTermCarriesConcept(["overworked"])).toBe(false);
    expect(icdTermCarriesConcept([])).toBe(false);
    expect(icdTermCarriesConcept(["hypertension"])).toBe(true);
    expect(icdTermCarriesConcept(["nosebleed"])).toBe(true);
    expect(icdTermCarriesConcept(["old", "myocardial", "infarction"])).toBe(true);
  });

  it("orders codes from the most general: fewer specific elements, more default markers, shorter title and code", () => {
    const sorted = [
      { code: "E13.9", title: "Other specified diabetes mellitus without complications" },
      { code: "E11.69", title: "Type 2 diabetes mellitus with other specified complication" },
      { code: "E11.8", title: "Type 2 diabetes mellitus with unspecified complications" },
      { code: "E11.9", title: "Type 2 diabetes mellitus without complications" },
    ].sort(compareIcdGenerality);
    expect(sorted.map((c) => c.code)).toEqual(["E11.9", "E11.8", "E13.9", "E11.69"]);
    const migraine = [
      { code: "G43.901", title: "Migraine, unspecified, not intractable, with status migrainosus" },
      { code: "G43.909", title: "Migraine, unspecified, not intractable, without status migrainosus" },
    ].sort(compareIcdGenerality);
    expect(migraine[0]!.code).toBe("G43.909");
  });
});

describe("ICD dictionaries compiled with the conventions", () => {
  it("finds type 2 diabetes and hypertension, and never reads '58-year-old' as Old myocardial infarction", () => {
    const text = "Patient with type 2 diabetes mellitus and hypertension, 58-year-old.";
    expect(validCodes(text, ICD_INDEX_ENTRIES)).toEqual(["E11.9", "I10"]);
    expect(allCodes(text, ICD_INDEX_ENTRIES)).toEqual(["E11.9", "I10"]);
    expect(allCodes("An old scar, a previous fracture, healed well.", ICD_INDEX_ENTRIES)).toEqual([]);
    // Without the conventions the index term "Old" is a term of its own.
    expect(allCodes("58-year-old", ICD_INDEX_ENTRIES, "MY_CODES")).toEqual(["I25.2"]);
  });

  it("reads index terms in the words clinicians use", () => {
    expect(validCodes("Old myocardial infarction and diabetic nephropathy.", ICD_INDEX_ENTRIES)).toEqual([
      "I25.2",
      "E11.21",
    ]);
    expect(validCodes("Healed myocardial infarction.", ICD_INDEX_ENTRIES)).toEqual(["I25.2"]);
    expect(validCodes("Primary hypertension.", ICD_INDEX_ENTRIES)).toEqual(["I10"]);
    expect(validCodes("Hypertensive heart failure.", ICD_INDEX_ENTRIES)).toEqual(["I11.0"]);
    expect(validCodes("She is irritable and overworked, with fatigue.", ICD_INDEX_ENTRIES)).toEqual(["R53.83"]);
    expect(allCodes("Dermatomyositis.", ICD_INDEX_ENTRIES)).toEqual([]);
  });

  it("gives words shared by several codes to the most general one, whatever the input order", () => {
    for (const entries of [ICD_INDEX_ENTRIES, [...ICD_INDEX_ENTRIES].reverse()]) {
      expect(allCodes("Diabetes.", entries)).toEqual(["E11.9"]);
      expect(allCodes("Diabetes with complication.", entries)).toEqual(["E11.8"]);
    }
  });

  it("keeps a code's own synonym over another code's generated reading", () => {
    // "seizure" is R56.9's synonym; for G40.909 it is only the built-in lexicon's variant of "Epilepsy".
    const entries: DictionaryEntry[] = [
      { code: "R56.9", description: "Unspecified convulsions", synonyms: ["Seizure", "Convulsions"] },
      {
        code: "G40.909",
        description: "Epilepsy, unspecified, not intractable, without status epilepticus",
        synonyms: ["Epilepsy"],
      },
    ];
    expect(allCodes("Seizure.", entries)).toEqual(["R56.9"]);
    expect(allCodes("Epilepsy.", entries)).toEqual(["G40.909"]);
  });

  it("gives a category's words to its unspecified subcode (Guidelines I.B.2)", () => {
    const entries: DictionaryEntry[] = [
      { code: "E11", description: "Type 2 diabetes mellitus" },
      { code: "E11.9", description: "Type 2 diabetes mellitus without complications" },
      { code: "J45", description: "Asthma" },
      { code: "J45.909", description: "Unspecified asthma, uncomplicated" },
    ];
    expect(allCodes("Type 2 diabetes mellitus and asthma.", entries)).toEqual(["E11.9", "J45.909"]);
  });

  it("still respects negation and family history", () => {
    expect(validCodes("Denies diabetes or hypertension.", ICD_INDEX_ENTRIES)).toEqual([]);
    expect(validCodes("Father had diabetes.", ICD_INDEX_ENTRIES)).toEqual([]);
    expect(validCodes("History of myocardial infarction.", ICD_INDEX_ENTRIES)).toContain("I25.2");
  });
});
