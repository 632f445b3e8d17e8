import type { CompiledDictionary } from "../concepts/dictionary";
import type { Assertion } from "../context/detect-context";
import { extractLabs } from "../extractors/extract-labs";
import { extractMedications, type MedicationMention } from "../extractors/extract-medications";
import { extractVitals } from "../extractors/extract-vitals";
import { analyzeText, type TextDocument } from "../text/segment";
import { type Chunk, type ChunkKind, chunkDocument } from "./chunk-text";
import { type ChunkFeatures, chunkRelevance } from "./context-relevance";
import {
  type ChunkingMethod,
  type ConsistencyEffort,
  type EngineOptions,
  type ExtractConfig,
  type ResolvedConfig,
  resolveExtractConfig,
  type ValidationMethod,
} from "./extract-config";
import { hpoCategories } from "./hpo-categories";
import { type Evidence, explainEvidence, recognize } from "./recognize";
import { codeDescriptionKeys, jaccard, rangeKeys } from "./similarity";

/** One code of the seed's response (`POST /construe/extract` → `codes[]`). */
export interface ExtractedCode {
  code: string;
  description: string;
  valid: boolean;
  reason?: string;
  is_ancestor?: boolean;
  citations?: Citation[];
  categories?: Array<{ uri: string; label: string }>;
}

export interface Citation {
  text: string;
  /** UTF-8 byte offsets into the input (seed 004). */
  begin_offset: number;
  end_offset: number;
}

/** How the request was carried out, for response headers and logs (not part of the seed's body). */
export interface ExtractionReport {
  /** "local": deterministic engine only; "assisted": a model took part (extractCodesAssisted). */
  engine: "local" | "assisted";
  chunking: { requested: ChunkingMethod; applied: ChunkKind; fallback: boolean; note?: string; chunks: number };
  validation: {
    requested: ValidationMethod;
    applied: "none" | "match_score" | "medication_match" | "jaccard" | "model";
    fallback: boolean;
  };
  relevance: { applied: boolean; droppedChunks: number; fallback: boolean };
  consistency: { requested: ConsistencyEffort; rounds: number };
  citations: "included" | "not_requested" | "unsupported_for_chunking";
  mentions: number;
}

export interface ExtractionResult {
  codes: ExtractedCode[];
  report: ExtractionReport;
}

/** A code proposed for one chunk, before output shaping (also what a reranker sees). */
export interface ChunkCandidate {
  code: string;
  codeIndex: number;
  description: string;
  score: number;
  evidence: Evidence[];
  valid: boolean;
  reason: string;
  /** Set when context (negation, family history, ...) rules the code out. */
  contextExcluded: boolean;
  firstStart: number;
  /** Position of its first evidence in document order (stable output order for equal starts). */
  order: number;
  /** The evidence whose account is the default reason. */
  best?: Evidence;
}

export interface ChunkResult {
  chunk: Chunk;
  relevance: number | null;
  candidates: ChunkCandidate[];
}

/** Everything computed before validation: shared by `extractCodes` and the model-assisted variant. */
export interface ExtractionPlan {
  doc: TextDocument;
  dict: CompiledDictionary;
  config: ResolvedConfig;
  evidence: Evidence[];
  chunking: ReturnType<typeof chunkDocument>;
  chunks: ChunkResult[];
  medications: MedicationMention[];
}

/**
 * Stands for the account of the best match inside a candidate's reason until output, so the (string-heavy)
 * account is only built for codes that are returned with `include_rationale`.
 */
export const MATCH_REASON = "\u0000match\u0000";

const CITABLE: ReadonlySet<ChunkingMethod> = new Set(["sentences", "clinical_ner_extract", "fasthpocr"]);

/**
 * Extract codes of one code system from clinical text, deterministically (seed 004 semantics; the
 * LLM-based steps of the seed have local stand-ins, reported in `report`). Throws `AppError`
 * "invalid" for contradictory config (400).
 */
export function extractCodes(
  text: string,
  dict: CompiledDictionary,
  config?: ExtractConfig,
  options: EngineOptions = {},
): ExtractionResult {
  const plan = planExtraction(text, dict, config, options);
  for (const c of plan.chunks) validateChunk(plan, c);
  return finishExtraction(plan, {
    validationFallback: plan.config.validation === "simple" || plan.config.validation === "medication_search",
    rounds: 1,
  });
}

export function planExtraction(
  text: string,
  dict: CompiledDictionary,
  config: ExtractConfig | undefined,
  options: EngineOptions = {},
): ExtractionPlan {
  const resolved = resolveExtractConfig(config, dict, options);
  const doc = analyzeText(text);
  const evidence = recognize(doc, dict, {
    abbreviations: options.abbreviations,
    localAbbreviations: options.localAbbreviations,
    structuredCodes: options.structuredCodes,
  });
  const needMeds = resolved.validation === "medication_search" || resolved.minContextRelevance > 0;
  const medications = needMeds ? extractMedications(doc) : [];
  const chunking = chunkDocument(doc, resolved.chunking, evidence);
  const evidenceOrder = new Map(evidence.map((e, i) => [e, i]));
  const sorted = evidence.every((e, i) => i === 0 || evidence[i - 1]!.tokenStart <= e.tokenStart);
  const chunks: ChunkResult[] = chunking.chunks.map((chunk) => ({
    chunk,
    relevance: null,
    candidates: candidatesOf(
      dict,
      resolved,
      evidenceIn(evidence, sorted, chunk.tokenStart, chunk.tokenEnd),
      evidenceOrder,
    ),
  }));
  const plan: ExtractionPlan = { doc, dict, config: resolved, evidence, chunking, chunks, medications };
  if (resolved.minContextRelevance > 0 && resolved.extractionContext && resolved.chunking !== "fasthpocr") {
    const vitals = resolved.minContextRelevance > 0 ? extractVitals(doc.utf8) : [];
    const labs = resolved.minContextRelevance > 0 ? extractLabs(doc.utf8) : [];
    for (const c of chunks) {
      const inChunk = (start: number) => start >= c.chunk.start && start < c.chunk.end;
      const features: ChunkFeatures = {
        medications: medications.filter((m) => inChunk(m.span.start)).length,
        labs: labs.filter((m) => inChunk(m.span.start)).length,
        vitals: vitals.filter((m) => inChunk(m.span.start)).length,
        findings: c.candidates.filter((x) => !x.contextExcluded).length,
      };
      c.relevance = chunkRelevance(doc, c.chunk, features, resolved.extractionContext);
    }
  }
  return plan;
}

/**
 * The evidence starting in a chunk's tokens. `recognize` returns evidence in text order, so a binary
 * search finds it without scanning all evidence per chunk (a long note has thousands of chunks).
 */
function evidenceIn(evidence: Evidence[], sorted: boolean, tokenStart: number, tokenEnd: number): Evidence[] {
  if (!sorted) return evidence.filter((e) => e.tokenStart >= tokenStart && e.tokenStart < tokenEnd);
  let lo = 0;
  let hi = evidence.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (evidence[mid]!.tokenStart < tokenStart) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < evidence.length && evidence[end]!.tokenStart < tokenEnd) end++;
  return evidence.slice(lo, end);
}

function candidatesOf(
  dict: CompiledDictionary,
  config: ResolvedConfig,
  evidence: Evidence[],
  evidenceOrder: Map<Evidence, number>,
): ChunkCandidate[] {
  const byCode = new Map<string, Evidence[]>();
  for (const e of evidence) {
    const list = byCode.get(e.code);
    if (list) list.push(e);
    else byCode.set(e.code, [e]);
  }
  const out: ChunkCandidate[] = [];
  for (const [code, list] of byCode) {
    const present = list.filter((e) => !excludedBy(e.assertion, config, e.requires));
    const excluded = present.length === 0;
    const used = excluded ? list : present;
    const best = used.reduce((a, b) => (b.score > a.score ? b : a));
    out.push({
      code,
      codeIndex: best.codeIndex,
      description: dict.data.displays[best.codeIndex] ?? code,
      score: best.score,
      evidence: used,
      valid: !excluded,
      reason: excluded ? contextReason(best.assertion, config) : MATCH_REASON,
      best,
      contextExcluded: excluded,
      firstStart: Math.min(...used.map((e) => e.start)),
      order: evidenceOrder.get(used[0]!) ?? 0,
    });
  }
  return out;
}

function excludedBy(a: Assertion, config: ResolvedConfig, requires: Evidence["requires"]): boolean {
  for (const category of config.invalidAssertions) if (a[category] && category !== requires) return true;
  return false;
}

function contextReason(a: Assertion, config: ResolvedConfig): string {
  const why = a.evidence.filter((e) =>
    [...config.invalidAssertions].some((c) => e.startsWith(c) || e.startsWith("family")),
  );
  return `not asserted for the patient: ${(why.length ? why : a.evidence).join("; ")}`;
}

/** Deterministic validation of one chunk's candidates (the local stand-in for the seed's methods). */
export function validateChunk(plan: ExtractionPlan, c: ChunkResult): void {
  const { config, doc } = plan;
  if (config.chunking === "fasthpocr") {
    for (const cand of c.candidates) if (!cand.contextExcluded) scoreCheck(cand, config.minScore);
    return;
  }
  const chunkWords =
    config.validation === "chunk_code_jaccard_similarity" ? rangeKeys(doc, c.chunk.tokenStart, c.chunk.tokenEnd) : null;
  for (const cand of c.candidates) {
    if (cand.contextExcluded) continue;
    switch (config.validation) {
      case "none":
        break;
      case "simple":
        scoreCheck(cand, config.minScore);
        break;
      case "chunk_code_jaccard_similarity": {
        const sim = jaccard(chunkWords!, codeDescriptionKeys(plan.dict, cand.codeIndex, cand.description));
        if (sim < config.jaccardThreshold) {
          cand.valid = false;
          cand.reason = `token Jaccard similarity ${sim.toFixed(2)} between chunk and description is below ${config.jaccardThreshold}`;
        } else cand.reason = `${cand.reason}; chunk/description Jaccard ${sim.toFixed(2)}`;
        break;
      }
      case "medication_search":
        medicationCheck(cand, plan.medications);
        break;
    }
  }
}

function scoreCheck(cand: ChunkCandidate, minScore: number): void {
  if (cand.score < minScore) {
    cand.valid = false;
    cand.reason = `weak match (score ${cand.score.toFixed(2)} < ${minScore}): ${cand.reason}`;
  }
}

const STRENGTH_IN_DESCRIPTION = /(\d+(?:\.\d+)?)\s*(MG|MCG|UG|G|ML|UNT|UNITS?|MEQ|%)\b/i;

/** A medication code must sit on a medication mention, and a strength in its description must agree. */
function medicationCheck(cand: ChunkCandidate, meds: MedicationMention[]): void {
  const hit = meds.find((m) =>
    cand.evidence.some((e) => e.start < m.fullSpan.end && e.end > m.fullSpan.start && !m.allergy && !m.negated),
  );
  if (!hit) {
    cand.valid = false;
    cand.reason = `not a medication the patient takes: ${cand.reason}`;
    return;
  }
  const d = STRENGTH_IN_DESCRIPTION.exec(cand.description);
  if (d && hit.strength) {
    const unit = d[2]!
      .toLowerCase()
      .replace(/^unt$|^units?$/, "u")
      .replace(/^mcg$/, "ug");
    const textUnit = hit.strength.unit.toLowerCase();
    if (Number(d[1]) !== hit.strength.value || unit !== textUnit) {
      cand.valid = false;
      cand.reason = `strength in the description (${d[0]}) differs from the text (${hit.strength.text})`;
      return;
    }
  }
  cand.reason = `${cand.reason}; medication "${hit.fullSpan.text}"`;
}

interface FinishOptions {
  validationFallback: boolean;
  /** Set when a model did the validation (assisted extraction). */
  modelValidation?: boolean;
  assisted?: boolean;
  rounds: number;
  relevanceFallback?: boolean;
}

/** Relevance filter, similarity filter, per-chunk limits, merging, ancestors and output shaping. */
export function finishExtraction(plan: ExtractionPlan, finish: FinishOptions): ExtractionResult {
  const { config, dict } = plan;
  const fast = config.chunking === "fasthpocr";
  let dropped = 0;
  // Citations are kept per validity, so a code found present in one sentence and negated in another
  // cites only the present mentions.
  const merged = new Map<
    string,
    { cand: ChunkCandidate; citations: Map<string, Citation>; invalidCitations: Map<string, Citation>; valid: boolean }
  >();
  for (const c of plan.chunks) {
    if (!fast && config.minContextRelevance > 0 && (c.relevance ?? 0) < config.minContextRelevance) {
      dropped++;
      continue;
    }
    const ranked = [...c.candidates].sort(
      (a, b) => Number(b.valid) - Number(a.valid) || b.score - a.score || a.firstStart - b.firstStart,
    );
    const kept: Array<{ cand: ChunkCandidate; keys: Set<string> }> = [];
    for (const cand of ranked) {
      if (!fast) {
        const keys = codeDescriptionKeys(dict, cand.codeIndex, cand.description);
        if (kept.some((k) => k.cand.valid === cand.valid && jaccard(k.keys, keys) >= config.similarityFilter)) continue;
        kept.push({ cand, keys });
      } else kept.push({ cand, keys: new Set() });
    }
    const limit = fast ? Number.POSITIVE_INFINITY : config.maxCodesPerChunk;
    const valid = kept.filter((k) => k.cand.valid).slice(0, limit);
    const invalid = config.includeInvalid ? kept.filter((k) => !k.cand.valid).slice(0, limit) : [];
    for (const { cand } of [...valid, ...invalid]) {
      let entry = merged.get(cand.code);
      if (!entry) {
        entry = { cand, citations: new Map(), invalidCitations: new Map(), valid: cand.valid };
        merged.set(cand.code, entry);
      } else if (cand.valid && (!entry.valid || cand.score > entry.cand.score)) {
        entry.cand = cand;
        entry.valid = true;
      }
      const target = cand.valid ? entry.citations : entry.invalidCitations;
      for (const e of cand.evidence) {
        target.set(`${e.begin}:${e.endByte}`, { text: e.text, begin_offset: e.begin, end_offset: e.endByte });
      }
    }
  }
  const citationsSupported = CITABLE.has(config.chunking);
  const withCitations = config.includeCitations && citationsSupported;
  const direct = [...merged.values()].sort(
    (a, b) => a.cand.firstStart - b.cand.firstStart || a.cand.order - b.cand.order,
  );
  const codes: ExtractedCode[] = direct.map(({ cand, citations: validCitations, invalidCitations, valid }) => {
    const citations = valid ? validCitations : invalidCitations;
    const out: ExtractedCode = { code: cand.code, description: cand.description, valid };
    if (config.includeRationale) {
      const base = cand.best ? explainEvidence(cand.best, dict) : "";
      out.reason = withAssertionNote(cand).replace(MATCH_REASON, base);
    }
    if (config.includeAncestors) out.is_ancestor = false;
    if (withCitations) out.citations = [...citations.values()].sort((a, b) => a.begin_offset - b.begin_offset);
    if (fast) out.categories = hpoCategories(dict, cand.code);
    return out;
  });
  if (config.includeAncestors) {
    const present = new Set(codes.map((c) => c.code));
    for (const c of direct) {
      if (!c.valid) continue;
      for (const ancestor of dict.ancestorsOf(c.cand.code)) {
        if (present.has(ancestor)) continue;
        present.add(ancestor);
        const out: ExtractedCode = {
          code: ancestor,
          description: dict.display(ancestor) ?? ancestor,
          valid: true,
          is_ancestor: true,
        };
        if (config.includeRationale) out.reason = `ancestor of ${c.cand.code} "${c.cand.description}"`;
        if (fast) out.categories = hpoCategories(dict, ancestor);
        codes.push(out);
      }
    }
  }
  return {
    codes,
    report: {
      engine: finish.assisted ? "assisted" : "local",
      chunking: {
        requested: config.chunking,
        applied: plan.chunking.applied,
        fallback: plan.chunking.fallback,
        ...(plan.chunking.note ? { note: plan.chunking.note } : {}),
        chunks: plan.chunks.length,
      },
      validation: {
        requested: config.validation,
        applied: finish.modelValidation
          ? "model"
          : fast
            ? "match_score"
            : config.validation === "none"
              ? "none"
              : config.validation === "simple"
                ? "match_score"
                : config.validation === "medication_search"
                  ? "medication_match"
                  : "jaccard",
        fallback: !fast && finish.validationFallback,
      },
      relevance: {
        applied: !fast && config.minContextRelevance > 0,
        droppedChunks: dropped,
        fallback: !fast && config.minContextRelevance > 0 && (finish.relevanceFallback ?? true),
      },
      consistency: { requested: config.consistency, rounds: finish.rounds },
      citations: !config.includeCitations
        ? "not_requested"
        : citationsSupported
          ? "included"
          : "unsupported_for_chunking",
      mentions: plan.evidence.length,
    },
  };
}

function withAssertionNote(cand: ChunkCandidate): string {
  if (cand.contextExcluded) return cand.reason;
  const notes = new Set<string>();
  for (const e of cand.evidence) {
    if (e.assertion.uncertain) notes.add("uncertain");
    if (e.assertion.historical) notes.add("historical");
  }
  return notes.size ? `${cand.reason}; ${[...notes].join(", ")}` : cand.reason;
}

/**
 * A compact summary of the local stand-ins used, for a response header such as
 * `X-Hearth-Engine: local; chunking=paragraphs(deterministic); validation=simple(match_score)`.
 * Null when nothing stood in for a model-based step.
 */
export function describeFallbacks(report: ExtractionReport): string | null {
  const parts: string[] = [];
  if (report.chunking.fallback)
    parts.push(`chunking=${report.chunking.requested}(deterministic:${report.chunking.applied})`);
  if (report.validation.fallback)
    parts.push(`validation=${report.validation.requested}(deterministic:${report.validation.applied})`);
  if (report.relevance.fallback) parts.push("relevance=lexical");
  return parts.length ? `${report.engine}; ${parts.join("; ")}` : null;
}
