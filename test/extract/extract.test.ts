import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createOrg, type TestOrg } from "../harness";
import { codesOf, drainQueue, type ErrorBody, extract, uploadSystem, utf8Slice, xcall } from "./helpers";

afterAll(drainQueue);

const SNOMED = { name: "SNOMED_CT_US_LITE", version: "20240901" };
const ICD = { name: "ICD-10-CM", version: "2025" };

const NOTE =
  "HPI: 58-year-old man with type 2 diabetes and hypertension presents with chest pain and shortness of breath. " +
  "He denies fever or cough. Mother had breast cancer.\n\nAssessment/Plan: Pneumonia. Continue metformin 500 mg BID.";

let a: TestOrg;

beforeAll(async () => {
  a = await createOrg("extract-a");
});

describe("POST /construe/extract: starter content", () => {
  it("extracts SNOMED CT codes in text order with the seed's shape; negated and family findings are not present", async () => {
    const r = await extract(a, { text: NOTE, system: SNOMED });
    expect(r.status).toBe(200);
    expect(r.body.system).toEqual(SNOMED);
    expect(codesOf(r)).toEqual(["44054006", "38341003", "29857009", "267036007", "233604007"]);
    for (const c of r.body.codes) {
      expect(Object.keys(c).sort()).toEqual(["code", "description", "reason", "valid"]);
      expect(c.valid).toBe(true);
    }
    expect(r.body.codes[0]).toMatchObject({ description: "Diabetes mellitus type 2" });
    expect(r.headers.get("X-Hearth-Engine")).toBe("local");
    expect(r.headers.get("X-Hearth-Chunking")).toMatch(/^sentence; chunks=\d+$/);
    expect(r.headers.get("X-Hearth-Dictionary")).toMatch(/^(memory|stored|compiled); codes=176; load_ms=[\d.]+$/);
    // The local engine's stand-in for the seed's LLM validation is reported, not hidden.
    expect(r.headers.get("X-Hearth-Fallback")).toBe("local; validation=simple(deterministic:match_score)");
  });

  it("returns ICD-10-CM codes with their dot; the system name is case-insensitive and the version optional", async () => {
    const text = "Chest pain and shortness of breath since Monday. Chest X-ray shows pneumonia.";
    const r = await extract(a, { text, system: { name: "icd-10-cm" } });
    expect(r.status).toBe(200);
    expect(r.body.system).toEqual(ICD);
    expect(codesOf(r)).toEqual(["R07.9", "R06.02", "J18.9"]);
    const same = await extract(a, { text, system: ICD });
    expect(same.body).toEqual(r.body);
  });

  it("uses SNOMED_CT_US_LITE when the request names no system", async () => {
    const r = await extract(a, { text: "Chest pain." });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ system: SNOMED, codes: [{ code: "29857009", valid: true }] });
  });

  it("answers an empty list for a builtin system with no codes loaded (CPT in the starter content)", async () => {
    const r = await extract(a, { text: "Office visit, chest X-ray.", system: { name: "cpt" } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ system: { name: "CPT", version: "2025" }, codes: [] });
    expect(r.headers.get("X-Hearth-Dictionary")).toMatch(/; codes=0;/);
  });

  it("fasthpocr extracts HPO codes with categories and byte-offset citations", async () => {
    const text = "Née à Montréal 🫀: a boy with microcephaly, seizures and short stature; no hepatomegaly.";
    const r = await extract(a, {
      text,
      system: { name: "HPO" },
      config: { chunking_method: "fasthpocr", include_citations: true },
    });
    expect(r.status).toBe(200);
    expect(r.body.system).toEqual({ name: "HPO", version: "2025" });
    expect(codesOf(r)).toEqual(["HP:0000252", "HP:0001250", "HP:0004322"]);
    for (const c of r.body.codes) {
      expect(Array.isArray(c.categories)).toBe(true);
      for (const cite of c.citations!) expect(utf8Slice(text, cite.begin_offset, cite.end_offset)).toBe(cite.text);
    }
    const seizures = r.body.codes[1]!.citations![0]!;
    // "Née à Montréal 🫀" is 16 characters but 22 bytes: offsets count bytes.
    expect(seizures.text).toBe("seizures");
    expect(seizures.begin_offset).toBe(new TextEncoder().encode(text.slice(0, text.indexOf("seizures"))).length);
    expect(seizures.begin_offset).toBeGreaterThan(text.indexOf("seizures"));
  });
});

describe("POST /construe/extract: config switches", () => {
  it("chunking_method none / sentences / clinical_ner_extract, observable in chunks and max_codes_per_chunk", async () => {
    const none = await extract(a, {
      text: NOTE,
      system: SNOMED,
      config: { chunking_method: "none", max_codes_per_chunk: 2 },
    });
    expect(none.headers.get("X-Hearth-Chunking")).toBe("document; chunks=1");
    expect(codesOf(none)).toHaveLength(2);
    const sentences = await extract(a, { text: NOTE, system: SNOMED, config: { max_codes_per_chunk: 2 } });
    expect(codesOf(sentences).length).toBeGreaterThan(2);
    const ner = await extract(a, {
      text: NOTE,
      system: SNOMED,
      config: { chunking_method: "clinical_ner_extract", include_citations: true },
    });
    expect(ner.headers.get("X-Hearth-Chunking")).toMatch(/^concept; chunks=\d+$/);
    expect(ner.body.codes.every((c) => Array.isArray(c.citations) && c.citations.length > 0)).toBe(true);
  });

  it("LLM-based chunking falls back to deterministic splitting and says so; citations are then unsupported", async () => {
    for (const [method, applied] of [
      ["paragraphs", "paragraph"],
      ["topics", "section"],
      ["soap_note", "soap"],
    ] as const) {
      const r = await extract(a, {
        text: NOTE,
        system: SNOMED,
        config: { chunking_method: method, include_citations: true },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("X-Hearth-Chunking")).toMatch(new RegExp(`^${applied}; chunks=2$`));
      expect(r.headers.get("X-Hearth-Fallback")).toContain(`chunking=${method}(deterministic:${applied})`);
      expect(r.headers.get("X-Hearth-Citations")).toBe("unsupported_for_chunking");
      expect(r.body.codes.every((c) => c.citations === undefined)).toBe(true);
      expect(codesOf(r)).toContain("233604007");
    }
  });

  it("max_codes_per_chunk defaults per system and limits each chunk", async () => {
    const text = "Chest pain, cough, fever, nausea, headache, vomiting, dyspnea and dizziness.";
    const dflt = await extract(a, { text, system: SNOMED });
    expect(codesOf(dflt).length).toBeGreaterThan(5); // SNOMED default: 10
    const two = await extract(a, { text, system: SNOMED, config: { max_codes_per_chunk: 2 } });
    expect(codesOf(two)).toHaveLength(2);
  });

  it("code_similarity_filter removes near-duplicate descriptions (0 keeps one code per chunk)", async () => {
    const text = "Chest pain and cough.";
    expect(codesOf(await extract(a, { text, system: SNOMED }))).toEqual(["29857009", "49727002"]);
    const strict = await extract(a, { text, system: SNOMED, config: { code_similarity_filter: 0 } });
    expect(codesOf(strict)).toHaveLength(1);
  });

  it("validation_method: chunk_code_jaccard_similarity applies its threshold; none skips validation", async () => {
    const text = "Chest pain today, worse on exertion, radiating to the left arm.";
    const strict = await extract(a, {
      text,
      system: SNOMED,
      config: {
        validation_method: "chunk_code_jaccard_similarity",
        chunk_code_jaccard_similarity_filtering_threshold: 0.9,
        include_invalid: true,
      },
    });
    expect(strict.body.codes[0]).toMatchObject({ code: "29857009", valid: false });
    expect(strict.body.codes[0]!.reason).toMatch(/Jaccard/);
    expect(strict.headers.get("X-Hearth-Fallback")).toBeNull(); // Jaccard is not an LLM step
    const loose = await extract(a, {
      text,
      system: SNOMED,
      config: {
        validation_method: "chunk_code_jaccard_similarity",
        chunk_code_jaccard_similarity_filtering_threshold: 0.1,
      },
    });
    expect(codesOf(loose)).toEqual(["29857009"]);
    const none = await extract(a, { text, system: SNOMED, config: { validation_method: "none" } });
    expect(none.status).toBe(200);
    expect(none.headers.get("X-Hearth-Fallback")).toBeNull();
  });

  it("validation_method medication_search keeps medications taken and rejects allergies", async () => {
    const r = await extract(a, {
      text: "Lisinopril 10 mg daily. Allergic to aspirin.",
      system: { name: "RXNORM" },
      config: { validation_method: "medication_search", include_invalid: true },
    });
    expect(r.status).toBe(200);
    const byCode = Object.fromEntries(r.body.codes.map((c) => [c.code, c]));
    expect(byCode["314076"]).toMatchObject({ description: "lisinopril 10 MG Oral Tablet", valid: true });
    expect(byCode["1191"]?.valid).toBe(false);
    expect(r.headers.get("X-Hearth-Fallback")).toContain(
      "validation=medication_search(deterministic:medication_match)",
    );
    // A product code of another strength is not read from "20 mg": the ingredient is.
    const other = await extract(a, {
      text: "Lisinopril 20 mg daily.",
      system: { name: "RXNORM" },
      config: { validation_method: "medication_search" },
    });
    expect(codesOf(other)).toEqual(["29046"]);
  });

  it("include_rationale false drops reasons; include_invalid returns negated codes with valid: false", async () => {
    const bare = await extract(a, { text: NOTE, system: SNOMED, config: { include_rationale: false } });
    expect(bare.body.codes.every((c) => c.reason === undefined)).toBe(true);
    expect(bare.body.codes[0]).toEqual({ code: "44054006", description: "Diabetes mellitus type 2", valid: true });
    const all = await extract(a, { text: NOTE, system: SNOMED, config: { include_invalid: true } });
    const invalid = all.body.codes.filter((c) => !c.valid).map((c) => c.code);
    expect(invalid).toEqual(["386661006", "49727002", "254837009"]); // fever, cough (denied); breast cancer (mother)
    expect(all.body.codes.find((c) => c.code === "254837009")!.reason).toMatch(/not asserted for the patient/);
  });

  it("include_ancestors adds is_ancestor codes without citations", async () => {
    const r = await extract(a, {
      text: "Metformin 500 mg ER tablet daily.",
      system: { name: "RXNORM" },
      config: { include_ancestors: true, include_citations: true },
    });
    expect(r.body.codes.map((c) => [c.code, c.is_ancestor, c.citations?.length ?? null])).toEqual([
      ["860975", false, 1],
      ["6809", true, null],
    ]);
  });

  it("include_citations gives UTF-8 byte offsets on non-ASCII text (é, °, µ, emoji)", async () => {
    const text = "Température 38.5 °C, dose 50 µg 😷. Patient (née 1960) has chest pain and cough.";
    const r = await extract(a, { text, system: SNOMED, config: { include_citations: true } });
    expect(codesOf(r)).toEqual(["29857009", "49727002"]);
    const bytes = new TextEncoder().encode(text);
    for (const c of r.body.codes) {
      for (const cite of c.citations!) {
        expect(utf8Slice(text, cite.begin_offset, cite.end_offset)).toBe(cite.text);
        expect(cite.end_offset).toBeLessThanOrEqual(bytes.length);
      }
    }
    const cough = r.body.codes[1]!.citations![0]!;
    expect(cough).toEqual({ text: "cough", begin_offset: bytes.length - 6, end_offset: bytes.length - 1 });
    const off = await extract(a, { text, system: SNOMED });
    expect(off.body.codes.every((c) => c.citations === undefined)).toBe(true);
  });

  it("extraction_context + min_context_relevance drop chunks unrelated to the goal", async () => {
    const text = "Chest pain since Monday.\n\nMeds: lisinopril 10 mg daily for hypertension.";
    const all = await extract(a, { text, system: SNOMED, config: { chunking_method: "paragraphs" } });
    expect(codesOf(all)).toEqual(["29857009", "38341003"]);
    const meds = await extract(a, {
      text,
      system: SNOMED,
      config: {
        chunking_method: "paragraphs",
        extraction_context: "current medications and what they treat",
        min_context_relevance: 0.5,
      },
    });
    expect(codesOf(meds)).toEqual(["38341003"]);
    expect(meds.headers.get("X-Hearth-Fallback")).toContain("relevance=lexical");
  });

  it("consistency_effort is accepted and the local engine is deterministic", async () => {
    const one = await extract(a, { text: NOTE, system: SNOMED, config: { consistency_effort: "high" } });
    const two = await extract(a, { text: NOTE, system: SNOMED, config: { consistency_effort: "high" } });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(two.body);
  });
});

describe("POST /construe/extract: OpenAPI", () => {
  it("is documented with the seed's operation id, request schema and error statuses", async () => {
    const doc = await xcall<{
      paths: Record<string, { post?: { operationId: string; responses: Record<string, unknown> } }>;
    }>("/openapi.json");
    const op = doc.body.paths["/construe/extract"]?.post;
    expect(op?.operationId).toBe("construe_extract");
    expect(Object.keys(op!.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "404", "413", "503", "504"]),
    );
  });
});

describe("POST /construe/extract: errors", () => {
  const err = (r: { body: unknown }) => (r.body as ErrorBody).error.code;

  it("401 without credentials, 403 without terminology:read, 415 without JSON", async () => {
    const anon = await xcall("/construe/extract", { method: "POST", json: { text: "x" } });
    expect(anon.status).toBe(401);
    const key = await createKey(a.orgId, ["fhir:read"]);
    const forbidden = await xcall<ErrorBody>("/construe/extract", { method: "POST", auth: key, json: { text: "x" } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.success).toBe(false);
    const plain = await xcall("/construe/extract", {
      method: "POST",
      auth: a.key,
      body: "chest pain",
      headers: { "Content-Type": "text/plain" },
    });
    expect(plain.status).toBe(415);
  });

  it("400 for invalid requests (schema), naming the field", async () => {
    const cases: unknown[] = [
      {},
      { text: 42 },
      { text: "chest pain", config: { chunking_method: "chapters" } },
      { text: "chest pain", config: { max_codes_per_chunk: 0 } },
      { text: "chest pain", config: { code_similarity_filter: 1.5 } },
      { text: "chest pain", config: { include_citations: "yes" } },
      { text: "chest pain", config: { extraction_context: "x".repeat(1001) } },
      { text: "chest pain", system: { name: "" } },
    ];
    for (const json of cases) {
      const r = await extract<ErrorBody>(a, json);
      expect(r.status, JSON.stringify(json)).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
    }
    const malformed = await xcall("/construe/extract", {
      method: "POST",
      auth: a.key,
      body: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expect(malformed.status).toBe(400);
  });

  it("400 for empty or whitespace-only text", async () => {
    for (const text of ["", "   \n\t "]) {
      const r = await extract(a, { text, system: SNOMED });
      expect(r.status).toBe(400);
      expect(err(r)).toBe("invalid_text");
    }
  });

  it("400 for fasthpocr with a system other than HPO", async () => {
    const r = await extract<ErrorBody>(a, { text: "Seizures.", system: ICD, config: { chunking_method: "fasthpocr" } });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/fasthpocr requires the HPO code system/);
  });

  it("400 for min_context_relevance > 0 without extraction_context", async () => {
    const r = await extract<ErrorBody>(a, { text: "Chest pain.", config: { min_context_relevance: 0.3 } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_config", details: { field: "extraction_context" } });
  });

  it("413 for text over 200 KB, naming the limit", async () => {
    const text = "Chest pain. ".repeat(Math.ceil((200 * 1024) / 12) + 1);
    const r = await extract<ErrorBody>(a, { text, system: SNOMED });
    expect(r.status).toBe(413);
    expect(r.body.message).toMatch(/limit is 204800 bytes/);
    expect(r.body.error.details).toMatchObject({ limit: 204800 });
    // Just under the limit is processed.
    const ok = await extract(a, { text: text.slice(0, 200 * 1024 - 12), system: SNOMED });
    expect(ok.status).toBe(200);
    expect(codesOf(ok)).toEqual(["29857009"]);
  });

  it("404 for an unknown system or version; 400 when several versions exist and none is named", async () => {
    const unknown = await extract(a, { text: "Chest pain.", system: { name: "NOPE" } });
    expect(unknown.status).toBe(404);
    expect(err(unknown)).toBe("code_system_not_found");
    const version = await extract(a, { text: "Chest pain.", system: { name: "SNOMED_CT_US_LITE", version: "1999" } });
    expect(version.status).toBe(404);
    await uploadSystem(a, "MULTI_VERSION", "1", [{ code: "X1", description: "Chest pain" }]);
    await uploadSystem(a, "MULTI_VERSION", "2", [{ code: "X2", description: "Chest pain" }]);
    const ambiguous = await extract(a, { text: "Chest pain.", system: { name: "multi_version" } });
    expect(ambiguous.status).toBe(400);
    expect(err(ambiguous)).toBe("version_required");
    const v2 = await extract(a, { text: "Chest pain.", system: { name: "multi_version", version: "2" } });
    expect(v2.body).toMatchObject({ system: { name: "MULTI_VERSION", version: "2" }, codes: [{ code: "X2" }] });
  });

  it("409 while a first upload is still processing", async () => {
    const up = await xcall("/construe/upload", {
      method: "POST",
      auth: a.key,
      json: { name: "PENDING_CODES", version: "1", format: "json", codes: [{ code: "P1", description: "Cough" }] },
    });
    expect(up.status).toBe(202);
    const r = await extract(a, { text: "Cough.", system: { name: "PENDING_CODES" } });
    expect(r.status).toBe(409);
    expect(err(r)).toBe("code_system_processing");
  });
});
