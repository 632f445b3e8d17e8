import { KB } from "../../middleware/body";

/**
 * Largest text one request may carry (UTF-8 bytes); larger texts are refused with 413 naming this
 * limit rather than chunked across calls. 200 KB is ≈ 100–150 ms of CPU for the local engine, well
 * inside a Worker's budget, and far more than a clinical note (a 2,000-character note is ~2 KB).
 */
export const MAX_TEXT_BYTES = 200 * KB;

/** The system used when a request names none (the seed's `system.name` example). */
export const DEFAULT_SYSTEM = "SNOMED_CT_US_LITE";

/**
 * Wall-clock budget for all model calls of one assisted extraction (several per chunk, more with
 * consistency_effort). Past it the request fails with 504 `llm_timeout` instead of running on.
 */
export const MODEL_BUDGET_MS = 120_000;
