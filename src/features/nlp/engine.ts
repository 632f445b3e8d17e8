/**
 * Public API of Hearth's local clinical language engine: deterministic, in-process, no network.
 * Pure functions over text; no HTTP and no storage inside (the routes load dictionaries and call these).
 */
export { type ClinicalFacts, type ClinicalFactsOptions, extractClinicalFacts } from "./analyze-clinical-text";
export {
  CompiledDictionary,
  type CompiledDictionaryData,
  type CompileOptions,
  compileDictionary,
  type DictionaryEntry,
  deserializeDictionary,
  serializeDictionary,
} from "./concepts/dictionary";
export { DictionaryCache } from "./concepts/dictionary-cache";
export type { ConceptMention } from "./concepts/match-concepts";
export type { ContextCategory } from "./context/context-rules";
export { type Assertion, detectContext } from "./context/detect-context";
export { type DateMention, type DateOptions, extractDates } from "./extractors/extract-dates";
export { type Demographics, extractDemographics, type IdentifierMention } from "./extractors/extract-demographics";
export { extractLabs } from "./extractors/extract-labs";
export { extractMedications, type MedicationMention } from "./extractors/extract-medications";
export { extractVitals } from "./extractors/extract-vitals";
export type { Measurement } from "./extractors/measurement";
export { type CandidateReranker, extractCodesAssisted, type RerankCandidate } from "./pipeline/assisted-extraction";
export {
  type Citation,
  describeFallbacks,
  type ExtractedCode,
  type ExtractionReport,
  type ExtractionResult,
  extractCodes,
} from "./pipeline/extract-codes";
export {
  CHUNKING_METHODS,
  type ChunkingMethod,
  CONSISTENCY_EFFORTS,
  checkExtractText,
  defaultMaxCodes,
  type EngineOptions,
  type ExtractConfig,
  isHpoSystem,
  MAX_EXTRACT_TEXT_BYTES,
  resolveExtractConfig,
  VALIDATION_METHODS,
  type ValidationMethod,
} from "./pipeline/extract-config";
export { type Evidence, recognize } from "./pipeline/recognize";
export { analyzeText, type TextDocument } from "./text/segment";
export { sliceUtf8, Utf8Index } from "./text/utf8";
