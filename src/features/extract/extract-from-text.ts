import type { AuthedCtx } from "../../context";
import { AppError, errors } from "../../platform/errors";
import {
  type CompiledDictionary,
  checkExtractText,
  compileDictionary,
  type ExtractConfig,
  type ExtractedCode,
  type ExtractionReport,
  extractCodes,
  extractCodesAssisted,
  resolveExtractConfig,
} from "../nlp/engine";
import { type ResolvedSystem, resolveSystem, systemRef } from "../terminology/code-systems";
import { DEFAULT_SYSTEM, MAX_TEXT_BYTES, MODEL_BUDGET_MS } from "./extract-limits";
import { createLlmReranker } from "./llm-reranker";
import { type DictionarySource, loadDictionary } from "./load-dictionary";

export interface ExtractInput {
  text: string;
  system?: { name?: string; version?: string };
  config?: ExtractConfig;
}

export interface ExtractOutcome {
  body: { system: { name: string; version: string }; codes: ExtractedCode[] };
  report: ExtractionReport;
  /** Provider and model when a model took part. */
  model: { provider: string; model: string } | null;
  /**
   * Wall time of the load. Workers clocks advance only at I/O, so a compile's CPU shows because the R2
   * write follows it; the extraction itself (no I/O) cannot be timed in the Worker.
   */
  dictionary: { source: DictionarySource; ms: number; codes: number };
}

/** Config checks that need no dictionary run before one is loaded (a bad request must not cost a compile). */
let emptyDictionary: CompiledDictionary | undefined;

/**
 * Seed 004 `construe_extract`: codes of one code system (builtin, or the tenant's own custom system)
 * found in clinical text. The local engine is the default and is deterministic; with a model
 * configured (LLM_PROVIDER), the engine's LLM-based steps run on it and every code it returns is
 * checked against the system's codes. Errors: 400 bad text/config, 404 unknown system or version,
 * 409/424 a custom system with no usable generation yet, 413 text over MAX_TEXT_BYTES, 503/504 model
 * failures.
 */
export async function extractFromText({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: ExtractInput;
}): Promise<ExtractOutcome> {
  const text = checkExtractText(input.text, MAX_TEXT_BYTES);
  const name = input.system?.name ?? DEFAULT_SYSTEM;
  emptyDictionary ??= compileDictionary([]);
  // fasthpocr's "HPO only" rule depends on the codes; it is checked once the dictionary is loaded.
  resolveExtractConfig({ ...input.config, chunking_method: undefined }, emptyDictionary, { systemName: name });

  const { db, blobs, llm } = ctx.services;
  const system = usable(await resolveSystem(db, ctx.principal.orgId, name, input.system?.version));
  const t0 = performance.now();
  const { dict, source } = await loadDictionary({ db, blobs }, system);
  const t1 = performance.now();
  const options = { systemName: system.name };
  const result = llm
    ? await extractCodesAssisted(text, dict, input.config, {
        ...options,
        reranker: createLlmReranker(llm, { dict, proposeCodes: system.builtin === 1, budgetMs: MODEL_BUDGET_MS }),
      }).catch(asServiceFailure)
    : extractCodes(text, dict, input.config, options);
  return {
    body: { system: systemRef(system), codes: result.codes },
    report: result.report,
    model: llm ? { provider: llm.provider, model: llm.model } : null,
    dictionary: { source, ms: t1 - t0, codes: dict.codeCount },
  };
}

/**
 * The generation to read. A replace upload in progress keeps serving the previous one; a first
 * upload still processing is 409 and one that failed is 424 (as the seed's export answers).
 */
function usable(s: ResolvedSystem): ResolvedSystem & { active_set: number } {
  if (s.active_set !== null) return s as ResolvedSystem & { active_set: number };
  if (s.status === "failed") {
    throw new AppError(
      "failed_dependency",
      `Code system '${s.name}' ${s.version} failed processing: ${s.failure_reason ?? "unknown reason"}`,
      { code: "code_system_failed" },
    );
  }
  throw errors.conflict(
    `Code system '${s.name}' ${s.version} is still processing; poll GET /construe/codes/systems/${encodeURIComponent(s.name)}?version=${encodeURIComponent(s.version)} until it is ready`,
    { code: "code_system_processing" },
  );
}

/** The seed documents 503/504 for engine failures: an upstream model error (502 in the port) is a 503 here. */
function asServiceFailure(e: unknown): never {
  if (e instanceof AppError && e.kind === "bad_gateway") {
    throw new AppError("unavailable", e.message, { code: e.code, details: e.details, cause: e });
  }
  throw e;
}
