import { AppError } from "../../../platform/errors";
import type { CompiledDictionary } from "../concepts/dictionary";
import type { ContextCategory } from "../context/context-rules";

/** Seed 004 `POST /construe/extract` config, field names as on the wire. */
export const CHUNKING_METHODS = [
  "none",
  "sentences",
  "paragraphs",
  "topics",
  "soap_note",
  "clinical_ner_extract",
  "fasthpocr",
] as const;
export type ChunkingMethod = (typeof CHUNKING_METHODS)[number];

export const VALIDATION_METHODS = ["none", "simple", "medication_search", "chunk_code_jaccard_similarity"] as const;
export type ValidationMethod = (typeof VALIDATION_METHODS)[number];

export const CONSISTENCY_EFFORTS = ["none", "low", "medium", "high"] as const;
export type ConsistencyEffort = (typeof CONSISTENCY_EFFORTS)[number];

export interface ExtractConfig {
  chunking_method?: ChunkingMethod;
  max_codes_per_chunk?: number;
  code_similarity_filter?: number;
  validation_method?: ValidationMethod;
  chunk_code_jaccard_similarity_filtering_threshold?: number;
  include_rationale?: boolean;
  include_ancestors?: boolean;
  include_invalid?: boolean;
  include_citations?: boolean;
  extraction_context?: string;
  min_context_relevance?: number;
  consistency_effort?: ConsistencyEffort;
}

/** Engine settings that are not part of the seed's request (chosen by the route or the operator). */
export interface EngineOptions {
  /** Code system name, for the seed's per-system `max_codes_per_chunk` defaults. Default: the dictionary's. */
  systemName?: string;
  /** Reference date for relative dates (ISO). */
  referenceDate?: string;
  /** Assertion categories that make a code invalid (default: negated, family, hypothetical). */
  invalidAssertions?: readonly ContextCategory[];
  /** Minimum match score for the deterministic `simple` validation (default 0.75). */
  minScore?: number;
  /** Expand Hearth's clinical abbreviations (default true). */
  abbreviations?: boolean;
  /** Expand abbreviations defined in the text, "long form (SF)" (default true). */
  localAbbreviations?: boolean;
  /** Add LOINC codes of recognised vital signs and lab values when the dictionary has them (default true). */
  structuredCodes?: boolean;
}

export interface ResolvedConfig {
  chunking: ChunkingMethod;
  maxCodesPerChunk: number;
  similarityFilter: number;
  validation: ValidationMethod;
  jaccardThreshold: number;
  includeRationale: boolean;
  includeAncestors: boolean;
  includeInvalid: boolean;
  includeCitations: boolean;
  extractionContext: string | undefined;
  minContextRelevance: number;
  consistency: ConsistencyEffort;
  invalidAssertions: ReadonlySet<ContextCategory>;
  minScore: number;
}

/** Per-system default of `max_codes_per_chunk` (seed 004: SNOMED 10; LOINC, HPO, RXNORM 20; others 5). */
export function defaultMaxCodes(systemName: string | null | undefined, dict?: CompiledDictionary): number {
  const name = (systemName ?? "").toUpperCase();
  if (name.startsWith("SNOMED")) return 10;
  if (name.startsWith("LOINC") || name.startsWith("HPO") || name.startsWith("RXNORM")) return 20;
  if (dict?.looksLikeHpo) return 20;
  return 5;
}

function invalid(message: string, field: string): AppError {
  return new AppError("invalid", message, {
    code: "invalid_config",
    details: { field },
    issues: [{ severity: "error", code: "invalid", diagnostics: message, expression: [`config.${field}`] }],
  });
}

function number01(v: unknown, field: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1)
    throw invalid(`config.${field} must be a number between 0 and 1`, field);
  return v;
}

function bool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw invalid(`config.${field} must be a boolean`, field);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string, fallback: T): T {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw invalid(`config.${field} must be one of: ${allowed.join(", ")}`, field);
  }
  return v as T;
}

/**
 * Apply the seed's defaults and reject contradictory settings with a 400 (`AppError` "invalid"):
 * `min_context_relevance` > 0 needs `extraction_context`; `fasthpocr` needs an HPO system.
 */
export function resolveExtractConfig(
  config: ExtractConfig | undefined,
  dict: CompiledDictionary,
  options: EngineOptions = {},
): ResolvedConfig {
  const c = config ?? {};
  const chunking = oneOf(c.chunking_method, CHUNKING_METHODS, "chunking_method", "sentences");
  const systemName = options.systemName ?? dict.system;
  let maxCodes = defaultMaxCodes(systemName, dict);
  if (c.max_codes_per_chunk !== undefined && c.max_codes_per_chunk !== null) {
    if (!Number.isInteger(c.max_codes_per_chunk) || c.max_codes_per_chunk < 1) {
      throw invalid("config.max_codes_per_chunk must be an integer ≥ 1", "max_codes_per_chunk");
    }
    maxCodes = c.max_codes_per_chunk;
  }
  const extractionContext = c.extraction_context ?? undefined;
  if (extractionContext !== undefined && typeof extractionContext !== "string") {
    throw invalid("config.extraction_context must be a string", "extraction_context");
  }
  if (extractionContext !== undefined && extractionContext.length > 1000) {
    throw invalid("config.extraction_context must be at most 1000 characters", "extraction_context");
  }
  const minContextRelevance = number01(c.min_context_relevance, "min_context_relevance", 0);
  if (minContextRelevance > 0 && (extractionContext === undefined || extractionContext.trim().length === 0)) {
    throw invalid(
      "config.extraction_context is required when config.min_context_relevance is greater than 0",
      "extraction_context",
    );
  }
  if (chunking === "fasthpocr" && !isHpoSystem(systemName, dict)) {
    throw invalid("chunking_method fasthpocr requires the HPO code system", "chunking_method");
  }
  return {
    chunking,
    maxCodesPerChunk: maxCodes,
    similarityFilter: number01(c.code_similarity_filter, "code_similarity_filter", 0.9),
    validation: oneOf(c.validation_method, VALIDATION_METHODS, "validation_method", "simple"),
    jaccardThreshold: number01(
      c.chunk_code_jaccard_similarity_filtering_threshold,
      "chunk_code_jaccard_similarity_filtering_threshold",
      0.2,
    ),
    includeRationale: bool(c.include_rationale, "include_rationale", true),
    includeAncestors: bool(c.include_ancestors, "include_ancestors", false),
    includeInvalid: bool(c.include_invalid, "include_invalid", false),
    includeCitations: bool(c.include_citations, "include_citations", false),
    extractionContext,
    minContextRelevance,
    consistency: oneOf(c.consistency_effort, CONSISTENCY_EFFORTS, "consistency_effort", "none"),
    invalidAssertions: new Set(options.invalidAssertions ?? ["negated", "family", "hypothetical"]),
    minScore: options.minScore ?? 0.75,
  };
}

/** HPO by name ("HPO", "HPO_2025", "HUMAN_PHENOTYPE_ONTOLOGY") or by its codes (HP:nnnnnnn). */
export function isHpoSystem(systemName: string | null | undefined, dict: CompiledDictionary): boolean {
  const name = (systemName ?? "").toUpperCase();
  return name.startsWith("HPO") || name.includes("PHENOTYPE") || dict.looksLikeHpo;
}

/** Largest text the local engine accepts in one call (UTF-8 bytes): ≈ 0.1–0.2 s of CPU on one core. */
export const MAX_EXTRACT_TEXT_BYTES = 256 * 1024;

/**
 * Input checks the route shares with the engine: empty or whitespace-only text is a 400 (seed 004
 * `text` is required), text over `maxBytes` a 413 naming the limit.
 */
export function checkExtractText(text: unknown, maxBytes = MAX_EXTRACT_TEXT_BYTES): string {
  if (typeof text !== "string" || text.trim().length === 0) {
    throw new AppError("invalid", "text must be a non-empty string", {
      code: "invalid_text",
      issues: [
        { severity: "error", code: "required", diagnostics: "text must be a non-empty string", expression: ["text"] },
      ],
    });
  }
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > maxBytes) {
    throw new AppError("too_large", `text is ${bytes} bytes; the limit is ${maxBytes} bytes`, {
      code: "payload_too_large",
      details: { limit: maxBytes, size: bytes },
    });
  }
  return text;
}
