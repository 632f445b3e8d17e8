import type { CompiledDictionary } from "../concepts/dictionary";
import { detectContext } from "../context/detect-context";
import {
  type ChunkCandidate,
  type ChunkResult,
  type ExtractionPlan,
  type ExtractionResult,
  finishExtraction,
  planExtraction,
  validateChunk,
} from "./extract-codes";
import type { EngineOptions, ExtractConfig } from "./extract-config";
import type { Evidence } from "./recognize";

/** A candidate code as shown to a model. */
export interface RerankCandidate {
  code: string;
  description: string;
  /** Local match score 0..1. */
  score: number;
  /** The text spans that led to it. */
  mentions: string[];
}

/**
 * What the engine asks of a language model (implemented by the AI ports: Workers AI, OpenAI-compatible).
 * Every code a model returns is checked against the dictionary: unknown codes are dropped (or reported
 * `valid: false` with `include_invalid`), and context rules (negation, family history) still apply.
 */
export interface CandidateReranker {
  /** Judge one chunk's candidates (`validation_method` simple / medication_search). */
  validate(input: {
    chunk: string;
    method: "simple" | "medication_search";
    extractionContext?: string;
    system: string | null;
    candidates: RerankCandidate[];
  }): Promise<Array<{ code: string; valid: boolean; reason?: string }>>;
  /** Optional: codes the dictionary matcher may have missed, with the supporting text if any. */
  propose?(input: {
    chunk: string;
    extractionContext?: string;
    system: string | null;
    maxCodes: number;
  }): Promise<Array<{ code: string; reason?: string; text?: string }>>;
  /** Optional: relevance 0..1 of a chunk to the extraction goal (`min_context_relevance`). */
  relevance?(input: { chunk: string; extractionContext: string }): Promise<number>;
}

const ROUNDS = { none: 1, low: 2, medium: 3, high: 5 } as const;

/**
 * `extractCodes` with a model in the loop for the seed's LLM-based steps (validation, relevance,
 * candidate proposals). `consistency_effort` repeats the model step and keeps only unanimous results.
 * Model failures propagate (the route maps them to 503/504).
 */
export async function extractCodesAssisted(
  text: string,
  dict: CompiledDictionary,
  config: ExtractConfig | undefined,
  options: EngineOptions & { reranker: CandidateReranker },
): Promise<ExtractionResult> {
  const { reranker } = options;
  const plan = planExtraction(text, dict, config, options);
  const cfg = plan.config;
  const rounds = ROUNDS[cfg.consistency];
  const modelValidation = cfg.validation === "simple" || cfg.validation === "medication_search";
  for (const c of plan.chunks) {
    const chunkText = text.slice(c.chunk.start, c.chunk.end);
    if (cfg.minContextRelevance > 0 && cfg.extractionContext && reranker.relevance) {
      const n = cfg.validation === "none" ? rounds : 1;
      let min = 1;
      for (let r = 0; r < n; r++) {
        min = Math.min(
          min,
          clamp01(await reranker.relevance({ chunk: chunkText, extractionContext: cfg.extractionContext })),
        );
      }
      c.relevance = min;
      if (min < cfg.minContextRelevance) continue;
    }
    if (reranker.propose && cfg.chunking !== "fasthpocr") {
      const proposals = await reranker.propose({
        chunk: chunkText,
        extractionContext: cfg.extractionContext,
        system: dict.system,
        maxCodes: cfg.maxCodesPerChunk,
      });
      for (const p of proposals) addProposal(plan, c, p);
    }
    if (modelValidation && cfg.chunking !== "fasthpocr") {
      await modelValidate(plan, reranker, c, chunkText, rounds);
    } else {
      validateChunk(plan, c);
    }
  }
  return finishExtraction(plan, {
    assisted: true,
    validationFallback: false,
    modelValidation: modelValidation && cfg.chunking !== "fasthpocr",
    rounds,
    relevanceFallback: !reranker.relevance,
  });
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0;
}

async function modelValidate(
  plan: ExtractionPlan,
  reranker: CandidateReranker,
  c: ChunkResult,
  chunkText: string,
  rounds: number,
): Promise<void> {
  const open = c.candidates.filter((x) => !x.contextExcluded);
  if (open.length === 0) return;
  const votes = new Map<string, { yes: number; reason?: string }>();
  for (let r = 0; r < rounds; r++) {
    const verdicts = await reranker.validate({
      chunk: chunkText,
      method: plan.config.validation === "medication_search" ? "medication_search" : "simple",
      extractionContext: plan.config.extractionContext,
      system: plan.dict.system,
      candidates: open.map((x) => ({
        code: x.code,
        description: x.description,
        score: x.score,
        mentions: x.evidence.map((e) => e.text),
      })),
    });
    for (const v of verdicts) {
      if (!open.some((x) => x.code === v.code)) continue; // a code the model made up
      const entry = votes.get(v.code) ?? { yes: 0 };
      if (v.valid) entry.yes++;
      if (v.reason && !entry.reason) entry.reason = v.reason;
      votes.set(v.code, entry);
    }
  }
  for (const cand of open) {
    const vote = votes.get(cand.code);
    if (!vote) continue; // not judged: keep the local judgement
    if (vote.yes === rounds) {
      cand.valid = true;
      if (vote.reason) cand.reason = `${cand.reason}; model: ${vote.reason}`;
    } else {
      cand.valid = false;
      cand.reason = `rejected by model validation${rounds > 1 ? ` (${vote.yes}/${rounds} rounds)` : ""}${vote.reason ? `: ${vote.reason}` : ""}`;
    }
  }
}

function addProposal(plan: ExtractionPlan, c: ChunkResult, p: { code: string; reason?: string; text?: string }): void {
  const { dict, doc } = plan;
  if (c.candidates.some((x) => x.code === p.code)) return;
  const codeIndex = dict.codeIndex.get(p.code);
  if (codeIndex === undefined) {
    if (!plan.config.includeInvalid) return;
    c.candidates.push({
      code: p.code,
      codeIndex: -1,
      description: `(code not in ${dict.system ?? "the code system"})`,
      score: 0,
      evidence: [],
      valid: false,
      reason: `proposed by the model but not in ${dict.system ?? "the code system"}`,
      contextExcluded: true,
      firstStart: c.chunk.start,
      order: Number.MAX_SAFE_INTEGER,
    });
    return;
  }
  const evidence: Evidence[] = [];
  if (p.text && p.text.trim().length > 0) {
    const chunkText = doc.text.slice(c.chunk.start, c.chunk.end);
    const at = chunkText.indexOf(p.text.trim());
    if (at >= 0) {
      const start = c.chunk.start + at;
      const end = start + p.text.trim().length;
      let tokenStart = c.chunk.tokenStart;
      while (tokenStart < c.chunk.tokenEnd && doc.tokens[tokenStart]!.end <= start) tokenStart++;
      let tokenEnd = tokenStart;
      while (tokenEnd < c.chunk.tokenEnd && doc.tokens[tokenEnd]!.start < end) tokenEnd++;
      const sentence = doc.sentences.find((s) => s.tokenStart <= tokenStart && tokenStart < s.tokenEnd);
      if (sentence && tokenEnd > tokenStart) {
        const target = { sentence: sentence.index, tokenStart, tokenEnd };
        const [assertion] = detectContext(doc, [target]);
        evidence.push({
          code: p.code,
          codeIndex,
          ...target,
          start,
          end,
          begin: doc.utf8.byteOffset(start),
          endByte: doc.utf8.byteOffset(end),
          text: doc.text.slice(start, end),
          score: 0.7,
          how: `proposed by the model${p.reason ? `: ${p.reason}` : ""}`,
          assertion: assertion!,
          source: "dictionary",
          requires: null,
        });
      }
    }
  }
  const excluded = evidence.length > 0 && [...plan.config.invalidAssertions].some((k) => evidence[0]!.assertion[k]);
  const cand: ChunkCandidate = {
    code: p.code,
    codeIndex,
    description: dict.data.displays[codeIndex] ?? p.code,
    score: 0.7,
    evidence,
    valid: !excluded,
    reason: excluded
      ? `not asserted for the patient: ${evidence[0]!.assertion.evidence.join("; ")}`
      : `proposed by the model${p.reason ? `: ${p.reason}` : ""}`,
    contextExcluded: excluded,
    firstStart: evidence[0]?.start ?? c.chunk.start,
    order: Number.MAX_SAFE_INTEGER,
  };
  c.candidates.push(cand);
}
