import { describeFallbacks } from "../nlp/engine";
import type { ExtractOutcome } from "./extract-from-text";

/** Header values are ASCII tokens; model names come from configuration and are cleaned to be sure. */
const token = (s: string) => s.replace(/[^\x21-\x7e]/g, "_").replace(/[;,"=]/g, "_");

/**
 * How the request was carried out, outside the seed's body: which engine, which local stand-ins
 * replaced the seed's LLM-based steps (e.g. LLM chunking → deterministic paragraph splitting), the
 * chunking applied, whether citations were dropped for the chunking method, and where the dictionary
 * came from (this isolate's memory, the copy stored in R2, or a fresh compile) with its load time.
 */
export function extractHeaders(outcome: ExtractOutcome): Record<string, string> {
  const { report, model, dictionary } = outcome;
  const headers: Record<string, string> = {
    "X-Hearth-Engine": model ? `assisted; provider=${token(model.provider)}; model=${token(model.model)}` : "local",
    "X-Hearth-Chunking": `${report.chunking.applied}; chunks=${report.chunking.chunks}`,
    "X-Hearth-Dictionary": `${dictionary.source}; codes=${dictionary.codes}; load_ms=${dictionary.ms.toFixed(1)}`,
  };
  const fallback = describeFallbacks(report);
  if (fallback) headers["X-Hearth-Fallback"] = fallback;
  if (report.citations === "unsupported_for_chunking") headers["X-Hearth-Citations"] = "unsupported_for_chunking";
  return headers;
}
