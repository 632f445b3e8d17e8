import { describe, expect, it } from "vitest";
import {
  analyzeText,
  compileDictionary,
  type DictionaryEntry,
  extractCodes,
  recognize,
} from "../../src/features/nlp/engine";
import { explainEvidence } from "../../src/features/nlp/pipeline/recognize";

/** Written for these tests in the shape of the starter ICD-10-CM content: tabular titles, index-syntax synonyms. */
const ENTRIES: DictionaryEntry[] = [
  {
    code: "I48.0",
    description: "Paroxysmal atrial fibrillation",
    synonyms: ["Fibrillation, atrial or auricular paroxysmal"],
  },
  {
    code: "I48.91",
    description: "Unspecified atrial fibrillation",
    synonyms: ["Fibrillation, atrial or auricular", "Fibrillation, atrial or auricular (established)"],
  },
  { code: "I10", description: "Essential (primary) hypertension", synonyms: ["Hypertension, hypertensive"] },
  {
    code: "E11.9",
    description: "Type 2 diabetes mellitus without complications",
    synonyms: ["Diabetes, diabetic", "Diabetes, diabetic (mellitus) (sugar)", "Diabetes, diabetic, type 2"],
  },
  { code: "R07.9", description: "Chest pain, unspecified", synonyms: ["Pain, chest", "Pain, chest (central)"] },
  { code: "R05.9", description: "Cough, unspecified", synonyms: ["Cough"] },
  { code: "R50.9", description: "Fever, unspecified", synonyms: ["Fever"] },
  { code: "E66.01", description: "Morbid (severe) obesity due to excess calories", synonyms: ["Obesity, morbid"] },
  { code: "E66.9", description: "Obesity, unspecified", synonyms: ["Obesity"] },
  {
    code: "I21.9",
    description: "Acute myocardial infarction, unspecified",
    synonyms: ["Infarct, infarction, myocardium, myocardial"],
  },
];

const dict = compileDictionary(ENTRIES, { system: "ICD-10-CM" });

function found(text: string): Array<[string, string]> {
  return recognize(analyzeText(text), dict).map((e) => [e.code, e.text]);
}

describe("comma-inverted phrases ('X, Y' read as 'Y X')", () => {
  it("completes the concept before the comma with a short qualifier after it", () => {
    expect(found("Atrial fibrillation, paroxysmal, on apixaban.")).toEqual([
      ["I48.0", "Atrial fibrillation, paroxysmal"],
    ]);
    expect(found("Obesity, morbid.")).toEqual([["E66.01", "Obesity, morbid"]]);
    // The qualifier segment may carry a function word ("type" introduces the number).
    expect(found("Diabetes mellitus, type 2, on metformin.")).toEqual([["E11.9", "Diabetes mellitus, type 2"]]);
  });

  it("keeps real lists as separate findings", () => {
    expect(found("Chest pain, cough, fever.")).toEqual([
      ["R07.9", "Chest pain"],
      ["R05.9", "cough"],
      ["R50.9", "fever"],
    ]);
    expect(found("Hypertension, diabetes.")).toEqual([
      ["I10", "Hypertension"],
      ["E11.9", "diabetes"],
    ]);
    // An inverted phrase inside a list: the qualifier joins, the next items stay apart.
    expect(found("Obesity, morbid, hypertension, diabetes.")).toEqual([
      ["E66.01", "Obesity, morbid"],
      ["I10", "hypertension"],
      ["E11.9", "diabetes"],
    ]);
  });

  it("does not join across a segment longer than three tokens or one that holds other words", () => {
    // "paroxysmal" is there, but the segment after the comma is a clause, not a qualifier.
    expect(found("Atrial fibrillation, which became paroxysmal last year.")).toEqual([
      ["I48.91", "Atrial fibrillation"],
    ]);
    expect(found("Atrial fibrillation, paroxysmal episodes.")).toEqual([["I48.91", "Atrial fibrillation"]]);
    // Beyond the next comma the words belong to the next item.
    expect(found("Atrial fibrillation, stable, paroxysmal.")).toEqual([["I48.91", "Atrial fibrillation"]]);
  });

  it("says so in the rationale, which stays one string", () => {
    const result = extractCodes("Atrial fibrillation, paroxysmal.", dict, { include_rationale: true });
    expect(result.codes).toHaveLength(1);
    expect(result.codes[0]!.code).toBe("I48.0");
    expect(result.codes[0]!.reason).toBeTypeOf("string");
    expect(result.codes[0]!.reason).toMatch(/qualifier after a comma/);
  });
});

describe("rationale wording per term source", () => {
  const reasonFor = (text: string, code: string): string => {
    const e = recognize(analyzeText(text), dict).find((x) => x.code === code);
    if (!e) throw new Error(`no evidence for ${code} in "${text}"`);
    return explainEvidence(e, dict);
  };

  it("names the description as written", () => {
    expect(reasonFor("Paroxysmal atrial fibrillation.", "I48.0")).toMatch(/matches the description as written/);
  });

  it("names a synonym from the code system", () => {
    expect(reasonFor("Chest pain.", "R07.9")).toMatch(/matches a synonym from the code system/);
  });

  it("names an ICD reading of the title", () => {
    expect(reasonFor("Essential hypertension.", "I10")).toMatch(/matches an ICD reading of the description/);
  });

  it("names a clinical-lexicon synonym and an abbreviation", () => {
    expect(reasonFor("Heart attack last year.", "I21.9")).toMatch(/clinical-lexicon synonym/);
    expect(reasonFor("Known HTN.", "I10")).toMatch(/matches a clinical abbreviation/);
  });
});
