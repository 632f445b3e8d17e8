import { createRoute, z } from "@hono/zod-openapi";
import { authenticateAndLimit, requireScope } from "../../middleware/authenticate";
import { limitBody, MB, requireMediaType } from "../../middleware/body";
import { RATE_POLICIES } from "../../middleware/rate-limit";
import { bearerOrApiKey, errorResponses } from "../../platform/openapi-schemas";
import { CHUNKING_METHODS, CONSISTENCY_EFFORTS, VALIDATION_METHODS } from "../nlp/engine";
import { DEFAULT_SYSTEM, MAX_TEXT_BYTES } from "./extract-limits";

/** Seed 004 "Construe" → `POST /construe/extract` (operation `construe_extract`). */

/**
 * The "ai" policy guards model spend, so it applies when a model takes part (LLM_PROVIDER set). The
 * local engine costs a few milliseconds of CPU, like a code search, and takes the platform policy.
 */
const extractAuth = authenticateAndLimit((c) => (c.var.services.llm ? RATE_POLICIES.ai : RATE_POLICIES.platform));

const SystemRefSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description: `Code system name (case-insensitive): a builtin system or a custom one uploaded with POST /construe/upload. Default ${DEFAULT_SYSTEM}.`,
        example: "ICD-10-CM",
      }),
    version: z.string().trim().min(1).max(50).optional().openapi({
      description: "Code system version; required when several versions of the name exist.",
      example: "2025",
    }),
  })
  .openapi("ConstrueSystemRef");

const unit = () => z.number().min(0).max(1);

const ExtractConfigSchema = z
  .object({
    chunking_method: z.enum(CHUNKING_METHODS).optional().openapi({
      default: "sentences",
      description:
        "How the text is split before extraction. paragraphs / topics / soap_note are LLM-based in the seed; without a configured model they fall back to deterministic paragraph/heading splitting (response header X-Hearth-Fallback). fasthpocr requires an HPO system.",
    }),
    max_codes_per_chunk: z.number().int().min(1).optional().openapi({
      description: "Default per system: SNOMED 10; LOINC, HPO, RXNORM 20; others 5.",
      example: 5,
    }),
    code_similarity_filter: unit().optional().openapi({ default: 0.9 }),
    validation_method: z.enum(VALIDATION_METHODS).optional().openapi({ default: "simple" }),
    chunk_code_jaccard_similarity_filtering_threshold: unit().optional().openapi({ default: 0.2 }),
    include_rationale: z.boolean().optional().openapi({ default: true }),
    include_ancestors: z.boolean().optional().openapi({ default: false }),
    include_invalid: z.boolean().optional().openapi({ default: false }),
    include_citations: z.boolean().optional().openapi({
      default: false,
      description: "Citations carry UTF-8 byte offsets; supported with sentences, clinical_ner_extract and fasthpocr.",
    }),
    extraction_context: z.string().max(1000).optional().openapi({
      description: "Goal of the extraction; required when min_context_relevance > 0.",
      example: "extract billing codes for an outpatient visit",
    }),
    min_context_relevance: unit().optional().openapi({ default: 0 }),
    consistency_effort: z.enum(CONSISTENCY_EFFORTS).optional().openapi({ default: "none" }),
  })
  .openapi("ConstrueExtractConfig");

export const ExtractBody = z
  .object({
    text: z.string().openapi({
      description: `Clinical text (not empty; at most ${MAX_TEXT_BYTES} bytes of UTF-8, else 413)`,
      example:
        "Patient is a 14-year-old female, previously healthy, who is here for evaluation of abnormal renal ultrasound with atrophic right kidney.",
    }),
    system: SystemRefSchema.optional(),
    config: ExtractConfigSchema.optional(),
  })
  .openapi("ConstrueExtractRequest");

const CitationSchema = z.object({
  text: z.string(),
  begin_offset: z.number().int().openapi({ description: "UTF-8 byte offset (inclusive)" }),
  end_offset: z.number().int().openapi({ description: "UTF-8 byte offset (exclusive)" }),
});

const ExtractedCodeSchema = z
  .object({
    code: z.string().openapi({ example: "R93.42" }),
    description: z.string().openapi({ example: "Abnormal findings on diagnostic imaging of kidney" }),
    valid: z.boolean(),
    reason: z.string().optional(),
    is_ancestor: z.boolean().nullable().optional(),
    citations: z.array(CitationSchema).nullable().optional(),
    categories: z
      .array(z.object({ uri: z.string(), label: z.string() }))
      .nullable()
      .optional(),
  })
  .openapi("ConstrueExtractedCode");

export const ExtractResponse = z
  .object({
    system: z.object({ name: z.string(), version: z.string() }),
    codes: z.array(ExtractedCodeSchema),
  })
  .openapi("ConstrueExtractResponse");

export const extractRoute = createRoute({
  method: "post",
  path: "/construe/extract",
  tags: ["Construe"],
  summary: "Extract medical codes from clinical text",
  description:
    "Deterministic local engine by default (dictionary matching with negation/family-history context, citations as UTF-8 byte offsets); with LLM_PROVIDER configured a model validates candidates and every code it returns is checked against the code system. Response headers: X-Hearth-Engine, X-Hearth-Fallback (local stand-ins for the seed's LLM-based steps), X-Hearth-Chunking, X-Hearth-Citations (citations requested but unsupported by the chunking method), X-Hearth-Dictionary (memory / stored / compiled, code count, load time).",
  operationId: "construe_extract",
  security: bearerOrApiKey,
  middleware: [extractAuth, requireScope("terminology:read"), limitBody(1 * MB), requireMediaType("application/json")],
  request: { body: { required: true, content: { "application/json": { schema: ExtractBody } } } },
  responses: {
    200: {
      description: "Extracted codes",
      content: { "application/json": { schema: ExtractResponse } },
    },
    ...errorResponses("platform", [400, 401, 403, 404, 409, 413, 415, 424, 429, 500, 503, 504]),
  },
});
