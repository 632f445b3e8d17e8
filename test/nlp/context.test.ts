import { describe, expect, it } from "vitest";
import { type Assertion, analyzeText, recognize } from "../../src/features/nlp/engine";
import { icdDictionary } from "./fixtures";

function contextOf(text: string): Record<string, Assertion> {
  const out: Record<string, Assertion> = {};
  for (const e of recognize(analyzeText(text), icdDictionary())) out[e.text.toLowerCase()] = e.assertion;
  return out;
}

const flags = (a: Assertion | undefined) =>
  a
    ? (["negated", "uncertain", "historical", "family", "hypothetical", "allergy"] as const).filter((k) => a[k])
    : ["(missing)"];

describe("negation", () => {
  it.each([
    ["Patient denies chest pain.", "chest pain"],
    ["No evidence of pneumonia.", "pneumonia"],
    ["Pneumonia was ruled out.", "pneumonia"],
    ["Negative for fever.", "fever"],
    ["Afebrile, without cough.", "cough"],
    ["Free of nausea since Tuesday.", "nausea"],
    ["Chest x-ray: pneumonia absent.", "pneumonia"],
    ["Never had a heart attack? No, no myocardial infarction.", "myocardial infarction"],
  ])("%s", (text, target) => {
    expect(flags(contextOf(text)[target])).toEqual(["negated"]);
  });

  it("covers lists and stops at terminators", () => {
    const c = contextOf("Denies fever, cough, nausea or vomiting but reports headache.");
    for (const t of ["fever", "cough", "nausea", "vomiting"]) expect(c[t]?.negated).toBe(true);
    expect(c.headache?.negated).toBe(false);
    const d = contextOf("No fever; has a productive cough.");
    expect(d.fever?.negated).toBe(true);
    expect(d.cough?.negated).toBe(false);
  });

  it("ignores pseudo-triggers", () => {
    expect(contextOf("No increase in chest pain since yesterday.")["chest pain"]?.negated).toBe(false);
    expect(contextOf("Not only headache but also nausea.").headache?.negated).toBe(false);
  });
});

describe("uncertainty, history, family, hypothetical", () => {
  it("flags uncertainty", () => {
    expect(flags(contextOf("Possible pneumonia in the right base.").pneumonia)).toEqual(["uncertain"]);
    expect(flags(contextOf("Rule out myocardial infarction.")["myocardial infarction"])).toEqual(["uncertain"]);
    expect(flags(contextOf("Pneumonia? Repeat film tomorrow.").pneumonia)).toEqual(["uncertain"]);
  });

  it("flags history", () => {
    expect(flags(contextOf("History of myocardial infarction in 2015.")["myocardial infarction"])).toEqual([
      "historical",
    ]);
    expect(flags(contextOf("h/o pneumonia, s/p lobectomy.").pneumonia)).toEqual(["historical"]);
    expect(flags(contextOf("PMH: hypertension and COPD.").hypertension)).toEqual(["historical"]);
  });

  it("flags family history by trigger and by section", () => {
    expect(flags(contextOf("Mother had breast cancer at 50.")["breast cancer"])).toContain("family");
    expect(flags(contextOf("Family history of hypertension.").hypertension)).toEqual(["family"]);
    expect(flags(contextOf("FHx:\nDad - heart failure")["heart failure"])).toEqual(["family"]);
    expect(flags(contextOf("Her father's heart failure worsened.")["heart failure"])).toEqual(["family"]);
    // The patient's own finding after a relative's is not family history.
    expect(contextOf("Mother had breast cancer; patient presents with cough.").cough?.family).toBe(false);
  });

  it("flags hypothetical mentions", () => {
    expect(flags(contextOf("Return if chest pain develops.")["chest pain"])).toEqual(["hypothetical"]);
    expect(flags(contextOf("Call if he develops fever or shortness of breath.").fever)).toEqual(["hypothetical"]);
    expect(flags(contextOf("Call if he develops fever or shortness of breath.")["shortness of breath"])).toEqual([
      "hypothetical",
    ]);
  });

  it("leaves plain statements present", () => {
    expect(flags(contextOf("Chest pain for two days.")["chest pain"])).toEqual([]);
  });
});
