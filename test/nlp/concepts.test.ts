import { describe, expect, it } from "vitest";
import { normalizeWord, singular, stem } from "../../src/features/nlp/concepts/normalize";
import {
  analyzeText,
  compileDictionary,
  DictionaryCache,
  deserializeDictionary,
  extractCodes,
  recognize,
  serializeDictionary,
} from "../../src/features/nlp/engine";
import { AppError } from "../../src/platform/errors";
import { HPO_ENTRIES, hpoDictionary, ICD_ENTRIES, icdDictionary } from "./fixtures";

const codesOf = (text: string, dict = icdDictionary()) =>
  recognize(analyzeText(text), dict).map((e) => [e.code, e.text] as const);

describe("normalisation", () => {
  it("lemmatises plurals, irregular forms and British spelling", () => {
    expect(singular("seizures")).toBe("seizure");
    expect(singular("arteries")).toBe("artery");
    expect(singular("abscesses")).toBe("abscess");
    expect(singular("diagnoses")).toBe("diagnosis");
    expect(singular("diabetes")).toBe("diabetes");
    expect(singular("viruses")).toBe("virus");
    expect(normalizeWord("vertebrae").form).toBe("vertebra");
    expect(normalizeWord("haemorrhages").form).toBe("hemorrhage");
    expect(normalizeWord("oedema").form).toBe("edema");
    expect(normalizeWord("tumours").form).toBe("tumor");
  });

  it("joins derivational forms on one key", () => {
    expect(normalizeWord("microcephalic").key).toBe(normalizeWord("microcephaly").key);
    expect(normalizeWord("ataxic").key).toBe(normalizeWord("ataxia").key);
    expect(normalizeWord("hypotonic").key).toBe(normalizeWord("hypotonia").key);
    expect(normalizeWord("retarded").key).toBe(normalizeWord("retardation").key);
    expect(normalizeWord("renal").key).toBe(normalizeWord("kidneys").key);
    expect(normalizeWord("anomalies").key).toBe(normalizeWord("abnormality").key);
    expect(stem("spasticity")).toBe(stem("spastic"));
    expect(normalizeWord("cyst").key).not.toBe(normalizeWord("cell").key);
  });
});

describe("concept recognition", () => {
  it("matches descriptions and synonyms, ignoring case and punctuation", () => {
    expect(codesOf("Severe CHEST PAIN, and a dry cough.")).toEqual([
      ["R07.9", "CHEST PAIN"],
      ["R05.9", "cough"],
    ]);
    expect(codesOf("Dyspnea on exertion.")).toEqual([["R06.02", "Dyspnea"]]);
  });

  it("expands clinical abbreviations (case-sensitive where the short form is a word)", () => {
    expect(codesOf("Hx: T2DM, HTN, CHF, SOB.").map(([c]) => c)).toEqual(["E11.9", "I10", "I50.9", "R06.02"]);
    expect(codesOf("The patient began to sob.")).toEqual([]);
    expect(codesOf("History of MI and COPD.").map(([c]) => c)).toEqual(["I21.9", "J44.9"]);
  });

  it("tolerates word order and inserted modifiers", () => {
    expect(codesOf("Pain in the chest since morning.")).toEqual([["R07.9", "Pain in the chest"]]);
    expect(codesOf("Diabetes mellitus type 2, well controlled.")).toEqual([["E11.9", "Diabetes mellitus type 2"]]);
    expect(codesOf("Type II diabetes mellitus.")).toEqual([["E11.9", "Type II diabetes mellitus"]]);
    expect(codesOf("Sharp pain in the left chest.")).toEqual([["R07.9", "pain in the left chest"]]);
    // An unrelated word in between is not an inserted modifier.
    expect(codesOf("Pain radiating to the chest wall.")).toEqual([]);
  });

  it("prefers the longest match and resolves overlaps", () => {
    expect(codesOf("Type 2 diabetes mellitus with hyperglycemia.")).toEqual([
      ["E11.65", "Type 2 diabetes mellitus with hyperglycemia"],
    ]);
    expect(codesOf("Congestive heart failure.")).toEqual([["I50.9", "Congestive heart failure"]]);
  });

  it("scores complete matches above partial and inexact ones", () => {
    const doc = analyzeText("Chest pain. Low back pain. Hypertensive.");
    const evidence = recognize(doc, icdDictionary());
    const chest = evidence.find((e) => e.code === "R07.9")!;
    const hypertensive = evidence.find((e) => e.code === "I10")!;
    expect(chest.score).toBeLessThan(1); // "unspecified" omitted
    expect(chest.score).toBeGreaterThan(0.85);
    expect(hypertensive.text).toBe("Hypertensive");
    const exact = recognize(analyzeText("Nausea."), icdDictionary())[0]!;
    expect(exact.score).toBe(1);
  });

  it("reads coordinations that share a head, but not lists of separate findings", () => {
    const hpo = hpoDictionary();
    const found = (t: string) => codesOf(t, hpo).map(([c]) => c);
    expect(found("Abnormalities of the heart and kidneys were seen.").sort()).toEqual(["HP:0000077", "HP:0001627"]);
    expect(found("Patients had microcephaly, short stature, and seizures.")).toEqual([
      "HP:0000252",
      "HP:0004322",
      "HP:0001250",
    ]);
  });

  it("uses built-in clinical synonyms and abbreviations defined in the text", () => {
    const hpo = hpoDictionary();
    expect(codesOf("The boys were mentally retarded.", hpo)).toEqual([["HP:0001249", "mentally retarded"]]);
    expect(codesOf("Developmental delay and an enlarged liver.", hpo).map(([c]) => c)).toEqual([
      "HP:0001263",
      "HP:0002240",
    ]);
    const text = "Autism spectrum disorder (ASD) was diagnosed. ASD persisted.";
    expect(codesOf(text, hpo)).toEqual([
      ["HP:0000717", "Autism"],
      ["HP:0000717", "ASD"],
    ]);
  });

  it("never matches generic one-word descriptions or lower-case words as acronyms", () => {
    const dict = compileDictionary([
      { code: "X1", display: "All" },
      { code: "X2", display: "Severe" },
      { code: "X3", display: "CAT" },
      { code: "X4", display: "Progressive muscle weakness" },
    ]);
    expect(codesOf("All severe cases; the cat slept. CAT scan ordered.", dict)).toEqual([["X3", "CAT"]]);
    expect(codesOf("Progressive muscle weakness.", dict)).toEqual([["X4", "Progressive muscle weakness"]]);
  });
});

describe("compiled dictionaries", () => {
  it("round-trips through JSON with identical results", () => {
    const dict = icdDictionary();
    const json = serializeDictionary(dict);
    const back = deserializeDictionary(JSON.parse(json));
    expect(back.codeCount).toBe(dict.codeCount);
    expect(back.termCount).toBe(dict.termCount);
    const text = "62 yo with T2DM, HTN; denies chest pain. Pain in the chest yesterday. Breast cancer in 2010.";
    expect(extractCodes(text, back, { include_citations: true })).toEqual(
      extractCodes(text, dict, { include_citations: true }),
    );
  });

  it("rejects what is not a compiled dictionary", () => {
    expect(() => deserializeDictionary("{not json")).toThrow(AppError);
    expect(() => deserializeDictionary(JSON.stringify({ format: "other" }))).toThrow(/hearth-nlp-dictionary/);
  });

  it("accepts `description` as the display, merges repeated codes and skips obsolete terms", () => {
    const dict = compileDictionary([
      { code: "A", description: "Renal cyst" },
      { code: "A", display: "", synonyms: ["Kidney cyst"] },
      { code: "B", display: "obsolete Kidney problem" },
    ]);
    expect(dict.codeCount).toBe(2);
    expect(dict.display("A")).toBe("Renal cyst");
    expect(codesOf("kidney problem; cysts of the kidney", dict)).toEqual([["A", "cysts of the kidney"]]);
  });

  it("knows parents and ancestors", () => {
    const hpo = hpoDictionary();
    expect(hpo.parentsOf("HP:0001631")).toEqual(["HP:0001627"]);
    expect(hpo.ancestorsOf("HP:0001631")).toEqual(["HP:0001627", "HP:0001626", "HP:0000118", "HP:0000001"]);
    expect(hpo.looksLikeHpo).toBe(true);
    expect(icdDictionary().looksLikeHpo).toBe(false);
  });

  it("compiles and caches once per key", async () => {
    const cache = new DictionaryCache(2);
    let builds = 0;
    const build = () => {
      builds++;
      return compileDictionary(HPO_ENTRIES);
    };
    const [a, b] = await Promise.all([cache.get("HPO@1", build), cache.get("HPO@1", build)]);
    expect(a).toBe(b);
    expect(builds).toBe(1);
    await cache.get("ICD@1", () => compileDictionary(ICD_ENTRIES));
    await cache.get("X@1", () => compileDictionary([]));
    expect(cache.size).toBe(2);
    await cache.get("HPO@1", build);
    expect(builds).toBe(2); // evicted as least recently used
    expect(DictionaryCache.key("hpo", "2025", 3)).toBe("HPO@2025#3");
  });
});
