import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrg, type TestOrg } from "../harness";
import { codesOf, drainQueue, extract, utf8Slice } from "./helpers";

afterAll(drainQueue);

const ICD = { name: "ICD-10-CM", version: "2025" };

let org: TestOrg;

beforeAll(async () => {
  org = await createOrg("extract-icd-terms");
});

/**
 * The starter ICD-10-CM content carries Alphabetic Index terms as synonyms ("Diabetes, diabetic, type 2",
 * "Hypertension, hypertensive", "Old"): the engine reads them by the ICD conventions.
 */
describe("POST /construe/extract: ICD-10-CM titles and index terms", () => {
  const text = "Patient with type 2 diabetes mellitus and hypertension, 58-year-old";

  it("finds E11.9 and I10 and cites their words; '58-year-old' is not I25.2 Old myocardial infarction", async () => {
    const r = await extract(org, { text, system: ICD, config: { include_citations: true } });
    expect(r.status).toBe(200);
    expect(codesOf(r)).toEqual(["E11.9", "I10"]);
    const cited = r.body.codes.map((c) => c.citations!.map((ci) => utf8Slice(text, ci.begin_offset, ci.end_offset)));
    expect(cited).toEqual([["type 2 diabetes mellitus"], ["hypertension"]]);
    expect(r.body.codes.every((c) => c.valid)).toBe(true);
  });

  it("has no weak or excluded I25.2 reading either", async () => {
    const r = await extract(org, {
      text,
      system: ICD,
      config: { validation_method: "none", include_invalid: true },
    });
    expect(r.status).toBe(200);
    expect(codesOf(r)).not.toContain("I25.2");
    expect(codesOf(r)).toEqual(["E11.9", "I10"]);
  });

  it("still reads old myocardial infarction, negation and family history", async () => {
    const r = await extract(org, {
      text: "Old MI in 2015. Denies asthma. Father had diabetes. Now with COPD and chronic kidney disease.",
      system: ICD,
    });
    expect(r.status).toBe(200);
    expect(codesOf(r)).toEqual(["I25.2", "J44.9", "N18.9"]);
  });
});
