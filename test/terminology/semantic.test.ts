import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { editDistanceWithin, typoBudget } from "../../src/features/terminology/text";
import { buildVocabulary } from "../../src/features/terminology/vocabulary";
import { createEmbedder } from "../../src/ports/embedder";
import { d1VectorIndex } from "../../src/ports/local/d1-vector-index";
import {
  LEXICAL_EMBEDDER_ID,
  lexicalTokens,
  lexicalVector,
  synonymExpansions,
} from "../../src/ports/local/lexical-embedder";
import { createVectorIndex } from "../../src/ports/vector-index";

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const sim = (query: string, doc: string) => cos(lexicalVector(query, "query"), lexicalVector(doc, "document"));

describe("lexical embedder", () => {
  it("is deterministic and unit length", () => {
    const v = lexicalVector("Type 2 diabetes mellitus with hyperglycemia", "document");
    expect(v.length).toBe(512);
    expect(cos(v, v)).toBeCloseTo(1, 5);
    expect([...lexicalVector("Type 2 diabetes mellitus with hyperglycemia", "document")]).toEqual([...v]);
  });

  it("normalises British spellings, plurals and roman numerals", () => {
    expect(lexicalTokens("Haemoglobin oedema Tumours type II")).toEqual(["hemoglobin", "edema", "tumor", "type", "2"]);
  });

  it("brings paraphrases without shared words close through clinical synonym groups", () => {
    expect(sim("high blood sugar", "Hyperglycemia, unspecified")).toBeGreaterThan(
      sim("high blood sugar", "Low blood pressure"),
    );
    expect(sim("heart attack", "Acute myocardial infarction, unspecified")).toBeGreaterThan(
      sim("heart attack", "Heart failure, unspecified"),
    );
    expect(sim("kidney stone", "Calculus of kidney\nRenal calculus")).toBeGreaterThan(0.3);
    expect(sim("shortness of breath", "Dyspnea, unspecified")).toBeGreaterThan(
      sim("shortness of breath", "Cough, unspecified"),
    );
  });

  it("gives word shapes weight: diabetic ~ diabetes", () => {
    expect(sim("diabetic", "Diabetes mellitus")).toBeGreaterThan(sim("diabetic", "Hypertension"));
  });

  it("expands clinical synonyms for lexical fallback", () => {
    expect(synonymExpansions("high blood sugar")).toContain("hyperglycemia");
    expect(synonymExpansions("nothing clinical here")).toEqual([]);
  });

  it("is the local default; Workers AI only when configured with an AI binding", () => {
    expect(createEmbedder({ EMBEDDER_PROVIDER: undefined, AI: undefined }).id).toBe(LEXICAL_EMBEDDER_ID);
    expect(createEmbedder({ EMBEDDER_PROVIDER: "workers-ai", AI: undefined }).id).toBe(LEXICAL_EMBEDDER_ID);
  });
});

describe("D1 vector index (local VectorIndex)", () => {
  it("upserts, queries by cosine, sees later writes and deletes", async () => {
    const embedder = createEmbedder(env);
    const index = createVectorIndex(env, embedder);
    expect(index.kind).toBe("d1");
    const docs = [
      "Asthma",
      "Pneumonia, unspecified organism",
      "Essential (primary) hypertension",
      "Type 2 diabetes mellitus",
    ];
    const vectors = await embedder.embed(docs, "document");
    await index.upsert(
      "ns-test",
      vectors.map((v, i) => ({ id: String(i + 1), values: v })),
    );
    const [q] = await embedder.embed(["high blood pressure"], "query");
    const first = await index.query("ns-test", q!, 2);
    expect(first[0]!.id).toBe("3");
    expect(first).toHaveLength(2);
    expect(first[0]!.score).toBeGreaterThan(first[1]!.score);
    // A write bumps the namespace revision: cached copies are not used any more.
    const [hbp] = await embedder.embed(
      ["Hypertensive heart disease\nhigh blood pressure with heart involvement"],
      "document",
    );
    await index.upsert("ns-test", [{ id: "9", values: hbp! }]);
    expect((await index.query("ns-test", q!, 5)).map((m) => m.id)).toContain("9");
    await index.deleteByIds("ns-test", ["3", "9"]);
    const after = (await index.query("ns-test", q!, 5)).map((m) => m.id);
    expect(after).not.toContain("3");
    expect(after).not.toContain("9");
    // Namespaces are separate.
    expect(await index.query("ns-other", q!, 5)).toEqual([]);
  });

  it("keeps int8 quantisation close to the float scores", async () => {
    const index = d1VectorIndex(env.DB);
    const a = lexicalVector("Acute bronchitis, unspecified", "document");
    await index.upsert("ns-quant", [{ id: "a", values: a }]);
    const q = lexicalVector("bronchitis", "query");
    const [m] = await index.query("ns-quant", q, 1);
    expect(m!.score).toBeCloseTo(cos(q, a), 1);
  });
});

describe("typo tolerance primitives", () => {
  it("counts a transposition as one edit and stops past the budget", () => {
    expect(editDistanceWithin("pnuemonia", "pneumonia", 2)).toBe(1);
    expect(editDistanceWithin("diabtes", "diabetes", 1)).toBe(1);
    expect(editDistanceWithin("hypertenshun", "hypertension", 2)).toBe(2);
    expect(editDistanceWithin("abc", "xyz", 1)).toBe(2);
    expect([typoBudget("asma"), typoBudget("astma"), typoBudget("diabetes"), typoBudget("pneumonia")]).toEqual([
      0, 1, 1, 2,
    ]);
  });

  it("corrects words against a vocabulary, closest first", () => {
    const v = buildVocabulary(["diabetes", "diabetic", "pneumonia", "hypertension", "hypotension"]);
    expect(v.corrections("diabtes", 1)).toEqual(["diabetes"]);
    expect(v.corrections("hypertenshun", 2)).toEqual(["hypertension"]);
    expect(v.corrections("hypotension", 2)).toEqual(["hypertension"]);
    expect(v.corrections("zzzzzz", 1)).toEqual([]);
  });
});
