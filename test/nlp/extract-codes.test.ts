import { describe, expect, it } from "vitest";
import {
  type CandidateReranker,
  checkExtractText,
  compileDictionary,
  defaultMaxCodes,
  describeFallbacks,
  extractCodes,
  extractCodesAssisted,
} from "../../src/features/nlp/engine";
import { AppError } from "../../src/platform/errors";
import { hpoDictionary, icdDictionary, LOINC_ENTRIES, RXNORM_ENTRIES, utf8Slice } from "./fixtures";

const NOTE = [
  "HPI: 61 yo woman with T2DM and HTN presents with chest pain and a cough.",
  "She denies fever or shortness of breath.",
  "",
  "Family History: mother had breast cancer.",
  "",
  "Assessment/Plan: possible pneumonia. Return if fever develops.",
].join("\n");

const codes = (r: { codes: Array<{ code: string; valid: boolean }> }) =>
  r.codes.filter((c) => c.valid).map((c) => c.code);

describe("extractCodes: output shape and defaults", () => {
  it("returns present codes in text order with the seed's fields", () => {
    const r = extractCodes(NOTE, icdDictionary());
    expect(codes(r)).toEqual(["E11.9", "I10", "R07.9", "R05.9", "Z80.3", "J18.9"]);
    for (const c of r.codes) {
      expect(Object.keys(c).sort()).toEqual(["code", "description", "reason", "valid"]);
      expect(c.reason).toBeTypeOf("string");
    }
    expect(r.codes[0]!.description).toBe("Type 2 diabetes mellitus without complications");
    expect(r.report.chunking).toMatchObject({ requested: "sentences", applied: "sentence", fallback: false });
    expect(r.report.validation).toMatchObject({ requested: "simple", applied: "match_score", fallback: true });
  });

  it("does not return negated, hypothetical or family-history findings as present", () => {
    const r = extractCodes(NOTE, icdDictionary(), { include_invalid: true });
    const byCode = Object.fromEntries(r.codes.map((c) => [c.code, c]));
    expect(byCode["R50.9"]).toMatchObject({ valid: false });
    expect(byCode["R50.9"]!.reason).toMatch(/negated/);
    expect(byCode["R06.02"]).toMatchObject({ valid: false });
    expect(byCode["C50.919"]).toMatchObject({ valid: false });
    expect(byCode["C50.919"]!.reason).toMatch(/family/);
    expect(byCode["Z80.3"]).toMatchObject({ valid: true });
  });

  it("uses the seed's per-system max_codes_per_chunk defaults", () => {
    expect(defaultMaxCodes("SNOMED_CT_US_LITE")).toBe(10);
    expect(defaultMaxCodes("LOINC")).toBe(20);
    expect(defaultMaxCodes("HPO")).toBe(20);
    expect(defaultMaxCodes("RXNORM")).toBe(20);
    expect(defaultMaxCodes("ICD-10-CM")).toBe(5);
    expect(defaultMaxCodes("MY_CODES", hpoDictionary())).toBe(20); // HP:nnnnnnn codes
  });

  it("rejects empty input kindly and bad config with a 400", () => {
    expect(extractCodes("   ", icdDictionary()).codes).toEqual([]);
    const bad = (config: object) => () => extractCodes("x", icdDictionary(), config as never);
    expect(bad({ chunking_method: "words" })).toThrow(AppError);
    expect(bad({ max_codes_per_chunk: 0 })).toThrow(/max_codes_per_chunk/);
    expect(bad({ code_similarity_filter: 2 })).toThrow(/between 0 and 1/);
    expect(bad({ validation_method: "llm" })).toThrow(/validation_method/);
    expect(bad({ include_citations: "yes" })).toThrow(/boolean/);
    try {
      bad({ min_context_relevance: 0.5 })();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).status).toBe(400);
      expect((e as AppError).message).toMatch(/extraction_context is required/);
    }
    expect(bad({ chunking_method: "fasthpocr" })).toThrow(/HPO/);
  });
});

describe("checkExtractText", () => {
  it("rejects empty text with 400 and oversized text with 413", () => {
    expect(checkExtractText("Chest pain.")).toBe("Chest pain.");
    for (const bad of ["", "  \n\t ", 42, undefined]) {
      try {
        checkExtractText(bad);
        expect.unreachable();
      } catch (e) {
        expect((e as AppError).status).toBe(400);
      }
    }
    try {
      checkExtractText("é".repeat(600), 1000);
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).status).toBe(413);
      expect((e as AppError).message).toBe("text is 1200 bytes; the limit is 1000 bytes");
    }
  });

  it("processes a long note (≈100 KB) in one call", () => {
    const long = `${NOTE}\n\n`.repeat(500);
    expect(new TextEncoder().encode(long).length).toBeGreaterThan(100_000);
    const r = extractCodes(long, icdDictionary(), { include_citations: true });
    const pneumonia = r.codes.find((c) => c.code === "J18.9")!;
    expect(pneumonia.citations).toHaveLength(500);
    expect(utf8Slice(long, pneumonia.citations![499]!.begin_offset, pneumonia.citations![499]!.end_offset)).toBe(
      "pneumonia",
    );
  });
});

describe("extractCodes: chunking", () => {
  it("none, sentences and paragraphs", () => {
    const none = extractCodes(NOTE, icdDictionary(), { chunking_method: "none", max_codes_per_chunk: 2 });
    expect(none.report.chunking).toMatchObject({ applied: "document", chunks: 1 });
    expect(codes(none)).toHaveLength(2);
    const sentences = extractCodes(NOTE, icdDictionary(), { max_codes_per_chunk: 2 });
    expect(codes(sentences).length).toBeGreaterThan(2);
    const paragraphs = extractCodes(NOTE, icdDictionary(), { chunking_method: "paragraphs" });
    expect(paragraphs.report.chunking).toMatchObject({ applied: "paragraph", fallback: true, chunks: 3 });
    expect(describeFallbacks(paragraphs.report)).toMatch(/chunking=paragraphs\(deterministic:paragraph\)/);
  });

  it("topics and soap_note fall back to the note's headings", () => {
    const topics = extractCodes(NOTE, icdDictionary(), { chunking_method: "topics" });
    expect(topics.report.chunking).toMatchObject({ applied: "section", fallback: true, chunks: 3 });
    const soap = extractCodes(NOTE, icdDictionary(), { chunking_method: "soap_note" });
    expect(soap.report.chunking).toMatchObject({ applied: "soap", fallback: true });
    const plain = extractCodes("Chest pain.\n\nCough.", icdDictionary(), { chunking_method: "soap_note" });
    expect(plain.report.chunking).toMatchObject({ applied: "paragraph", fallback: true, chunks: 2 });
  });

  it("clinical_ner_extract makes one chunk per concept and supports citations", () => {
    const r = extractCodes(NOTE, icdDictionary(), {
      chunking_method: "clinical_ner_extract",
      include_citations: true,
      max_codes_per_chunk: 1,
    });
    expect(r.report.chunking).toMatchObject({ applied: "concept", fallback: false });
    expect(r.report.chunking.chunks).toBeGreaterThanOrEqual(8);
    expect(codes(r)).toContain("J18.9");
    expect(r.codes.every((c) => Array.isArray(c.citations))).toBe(true);
  });

  it("fasthpocr extracts HPO codes with categories and citations", () => {
    const text = "A boy with microcephaly, seizures and an atrial septal defect; no renal cysts.";
    const r = extractCodes(text, hpoDictionary(), {
      chunking_method: "fasthpocr",
      include_citations: true,
      max_codes_per_chunk: 1,
    });
    expect(codes(r)).toEqual(["HP:0000252", "HP:0001250", "HP:0001631"]);
    const byCode = Object.fromEntries(r.codes.map((c) => [c.code, c]));
    expect(byCode["HP:0000252"]!.categories).toEqual([{ uri: "HP:0000152", label: "Abnormality of head or neck" }]);
    expect(byCode["HP:0001631"]!.categories).toEqual([
      { uri: "HP:0001626", label: "Abnormality of the cardiovascular system" },
    ]);
    expect(byCode["HP:0001250"]!.citations).toEqual([{ text: "seizures", begin_offset: 25, end_offset: 33 }]);
  });
});

describe("extractCodes: filters, validation and output switches", () => {
  it("max_codes_per_chunk keeps the best codes of each chunk", () => {
    const text = "Chest pain, cough, nausea, headache and vomiting.";
    expect(codes(extractCodes(text, icdDictionary(), { max_codes_per_chunk: 2 }))).toHaveLength(2);
    expect(codes(extractCodes(text, icdDictionary(), { max_codes_per_chunk: 10 }))).toHaveLength(5);
  });

  it("code_similarity_filter drops codes whose descriptions are near-duplicates", () => {
    const dict = compileDictionary([
      { code: "A", display: "Renal cyst" },
      { code: "B", display: "Renal cysts" },
      { code: "C", display: "Kidney cyst, acquired", synonyms: ["renal cyst"] },
    ]);
    const text = "Renal cyst on ultrasound.";
    expect(codes(extractCodes(text, dict))).toEqual(["A"]); // B is the same description; C is different enough
    expect(codes(extractCodes(text, dict, { code_similarity_filter: 1 }))).toEqual(["A"]);
    expect(codes(extractCodes(text, dict, { code_similarity_filter: 0.5 }))).toEqual(["A"]);
  });

  it("validation_method none keeps weak matches that simple rejects", () => {
    const dict = compileDictionary([{ code: "T", display: "Tic" }]);
    const text = "a tic noted";
    expect(codes(extractCodes(text, dict, { validation_method: "none" }))).toEqual(["T"]);
    const simple = extractCodes(text, dict, { validation_method: "simple", include_invalid: true });
    expect(simple.codes).toEqual([
      expect.objectContaining({ code: "T", valid: false, reason: expect.stringMatching(/weak match/) }),
    ]);
  });

  it("chunk_code_jaccard_similarity applies its threshold", () => {
    const text = "Chest pain today.";
    const strict = extractCodes(text, icdDictionary(), {
      validation_method: "chunk_code_jaccard_similarity",
      chunk_code_jaccard_similarity_filtering_threshold: 0.9,
      include_invalid: true,
    });
    expect(strict.codes[0]).toMatchObject({ code: "R07.9", valid: false });
    expect(strict.codes[0]!.reason).toMatch(/Jaccard/);
    const loose = extractCodes(text, icdDictionary(), {
      validation_method: "chunk_code_jaccard_similarity",
      chunk_code_jaccard_similarity_filtering_threshold: 0.2,
    });
    expect(codes(loose)).toEqual(["R07.9"]);
    expect(loose.report.validation).toMatchObject({ applied: "jaccard", fallback: false });
  });

  it("medication_search requires a medication mention and a matching strength", () => {
    const dict = compileDictionary(RXNORM_ENTRIES, { system: "RXNORM" });
    const r = extractCodes("Metformin 500 mg tablet BID; Zestril 10 mg daily. Allergic to aspirin.", dict, {
      validation_method: "medication_search",
      include_invalid: true,
    });
    const byCode = Object.fromEntries(r.codes.map((c) => [c.code, c]));
    // The product code (ingredient + strength + form) is the longest match and wins over the ingredient.
    expect(byCode["6809"]).toBeUndefined();
    expect(byCode["861007"]!.valid).toBe(true);
    expect(byCode["29046"]!.valid).toBe(true);
    expect(byCode["1191"]!.valid).toBe(false);
    // A product code of another strength is not read from "1000 mg"; the ingredient is.
    const other = extractCodes("metformin 1000 mg oral tablet", dict, { validation_method: "medication_search" });
    expect(codes(other)).toEqual(["6809"]);
  });

  it("include_rationale false removes reasons", () => {
    const r = extractCodes("Chest pain.", icdDictionary(), { include_rationale: false });
    expect(r.codes).toEqual([{ code: "R07.9", description: "Chest pain, unspecified", valid: true }]);
  });

  it("include_ancestors adds ancestor codes without citations", () => {
    const r = extractCodes("Atrial septal defect.", hpoDictionary(), {
      include_ancestors: true,
      include_citations: true,
    });
    expect(r.codes.map((c) => [c.code, c.is_ancestor, c.citations?.length ?? 0])).toEqual([
      ["HP:0001631", false, 1],
      ["HP:0001627", true, 0],
      ["HP:0001626", true, 0],
      ["HP:0000118", true, 0],
      ["HP:0000001", true, 0],
    ]);
    expect(r.codes[1]!.citations).toBeUndefined();
  });

  it("include_citations gives UTF-8 byte offsets, only for chunking that supports them", () => {
    const text = "Fièvre? Non. Patient (née 1960) has chest pain 🫀 and cough.";
    const r = extractCodes(text, icdDictionary(), { include_citations: true });
    for (const c of r.codes)
      for (const cite of c.citations!) expect(utf8Slice(text, cite.begin_offset, cite.end_offset)).toBe(cite.text);
    expect(r.codes.find((c) => c.code === "R05.9")!.citations![0]!.text).toBe("cough");
    const para = extractCodes(text, icdDictionary(), { include_citations: true, chunking_method: "paragraphs" });
    expect(para.codes.every((c) => c.citations === undefined)).toBe(true);
    expect(para.report.citations).toBe("unsupported_for_chunking");
  });

  it("extraction_context + min_context_relevance drop chunks unrelated to the goal", () => {
    const text = "Chest pain since Monday.\n\nMeds: lisinopril 10 mg daily for hypertension.";
    const all = extractCodes(text, icdDictionary(), { chunking_method: "paragraphs" });
    expect(codes(all)).toEqual(["R07.9", "I10"]);
    const meds = extractCodes(text, icdDictionary(), {
      chunking_method: "paragraphs",
      extraction_context: "current medications and what they treat",
      min_context_relevance: 0.5,
    });
    expect(codes(meds)).toEqual(["I10"]);
    expect(meds.report.relevance).toMatchObject({ applied: true, droppedChunks: 1, fallback: true });
  });

  it("consistency_effort is accepted and deterministic for the local engine", () => {
    const a = extractCodes(NOTE, icdDictionary(), { consistency_effort: "high" });
    const b = extractCodes(NOTE, icdDictionary(), { consistency_effort: "high" });
    expect(a).toEqual(b);
    expect(a.report.consistency).toEqual({ requested: "high", rounds: 1 });
  });

  it("adds LOINC codes for measured vital signs and labs when the system has them", () => {
    const dict = compileDictionary(LOINC_ENTRIES, { system: "LOINC" });
    const r = extractCodes("BP 132/84, HR 71. A1c 7.1%.", dict, { include_citations: true });
    expect(r.codes.map((c) => [c.code, c.citations![0]!.text])).toEqual([
      ["85354-9", "BP 132/84"],
      ["8480-6", "BP 132/84"],
      ["8462-4", "BP 132/84"],
      ["8867-4", "HR 71"],
      ["4548-4", "A1c 7.1%"],
    ]);
  });
});

describe("extractCodesAssisted (model in the loop)", () => {
  const reranker = (overrides: Partial<CandidateReranker> = {}): CandidateReranker & { calls: number } => {
    const r = {
      calls: 0,
      async validate(input: Parameters<CandidateReranker["validate"]>[0]) {
        r.calls++;
        return input.candidates.map((c) => ({ code: c.code, valid: c.code !== "R05.9", reason: "checked" }));
      },
      ...overrides,
    };
    return r;
  };

  it("uses the model's validation, keeps context rules and reports no fallback", async () => {
    const model = reranker();
    const r = await extractCodesAssisted(
      "Chest pain and cough; denies fever.",
      icdDictionary(),
      { include_invalid: true },
      { reranker: model },
    );
    const byCode = Object.fromEntries(r.codes.map((c) => [c.code, c]));
    expect(byCode["R07.9"]).toMatchObject({ valid: true });
    expect(byCode["R05.9"]).toMatchObject({ valid: false, reason: expect.stringMatching(/rejected by model/) });
    expect(byCode["R50.9"]).toMatchObject({ valid: false, reason: expect.stringMatching(/negated/) });
    expect(r.report.validation).toEqual({ requested: "simple", applied: "model", fallback: false });
    expect(model.calls).toBe(1);
  });

  it("drops or flags codes the model invents, and cites proposals found in the text", async () => {
    const model = reranker({
      async propose() {
        return [
          { code: "J18.9", text: "pneumonia", reason: "infiltrate" },
          { code: "NOT-A-CODE", reason: "made up" },
        ];
      },
    });
    const text = "Right lower lobe pneumonia? no: consolidation; treat pneumonia.";
    const dropped = await extractCodesAssisted(
      text,
      icdDictionary(),
      { validation_method: "none" },
      { reranker: model },
    );
    expect(dropped.codes.map((c) => c.code)).not.toContain("NOT-A-CODE");
    const flagged = await extractCodesAssisted(
      "Consolidation in the right base.",
      icdDictionary(),
      { validation_method: "none", include_invalid: true, include_citations: true },
      { reranker: model },
    );
    expect(flagged.codes.find((c) => c.code === "NOT-A-CODE")).toMatchObject({ valid: false });
  });

  it("consistency_effort requires unanimous validation over several rounds", async () => {
    let round = 0;
    const flaky = reranker({
      async validate(input) {
        round++;
        return input.candidates.map((c) => ({ code: c.code, valid: c.code === "R07.9" || round % 2 === 1 }));
      },
    });
    const r = await extractCodesAssisted(
      "Chest pain and cough.",
      icdDictionary(),
      { consistency_effort: "low" },
      { reranker: flaky },
    );
    expect(codes(r)).toEqual(["R07.9"]);
    expect(r.report.consistency).toEqual({ requested: "low", rounds: 2 });
  });

  it("uses model relevance for min_context_relevance", async () => {
    const model = reranker({
      async relevance({ chunk }) {
        return /cough/i.test(chunk) ? 0.9 : 0.1;
      },
    });
    const r = await extractCodesAssisted(
      "Chest pain.\n\nCough for a week.",
      icdDictionary(),
      {
        chunking_method: "paragraphs",
        validation_method: "none",
        extraction_context: "respiratory symptoms",
        min_context_relevance: 0.5,
      },
      { reranker: model },
    );
    expect(codes(r)).toEqual(["R05.9"]);
    expect(r.report.relevance).toMatchObject({ applied: true, droppedChunks: 1, fallback: false });
  });

  it("propagates model failures", async () => {
    const broken = reranker({
      async validate() {
        throw new AppError("unavailable", "model down");
      },
    });
    await expect(extractCodesAssisted("Chest pain.", icdDictionary(), {}, { reranker: broken })).rejects.toThrow(
      "model down",
    );
  });
});
