import { createRoute, z } from "@hono/zod-openapi";
import { authenticateAndLimit, requireScope } from "../../middleware/authenticate";
import { limitBody, MB, requireMediaType } from "../../middleware/body";
import { RATE_POLICIES } from "../../middleware/rate-limit";
import { bearerOrApiKey, errorResponses } from "../../platform/openapi-schemas";
import { prefetchCode } from "./code-prefetch";
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from "./list-codes";
import { SEMANTIC_DEFAULT_LIMIT, SEMANTIC_MAX_LIMIT } from "./search-codes-semantic";
import { TEXT_DEFAULT_LIMIT, TEXT_MAX_LIMIT } from "./search-codes-text";

/** Seed 004, "Construe / Code Systems" and "Construe / Codes" (+ POST /construe/feedback). */
const tags = ["Construe"];
const authed = authenticateAndLimit(RATE_POLICIES.platform);
const read = [authed, requireScope("terminology:read")];
const write = [authed, requireScope("terminology:write")];
const errs = (...extra: number[]) => errorResponses("platform", [400, 401, 403, 404, 429, 500, ...extra]);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const SystemParam = z.object({
  codesystem: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "codesystem", in: "path" }, example: "ICD-10-CM" }),
});
const CodeParam = SystemParam.extend({
  codeID: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "codeID", in: "path" }, example: "E11.65" }),
});
const VersionQuery = z.object({
  version: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .openapi({ example: "2025", description: "Required if several versions exist" }),
});
const limitParam = (def: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .optional()
    .openapi({ description: `Maximum results (default ${def}, max ${max})`, example: def });

const SystemRefSchema = z.object({
  name: z.string().openapi({ example: "ICD-10-CM" }),
  version: z.string().openapi({ example: "2025" }),
});
const CodeSchema = z
  .object({
    code: z.string().openapi({ example: "E11.65" }),
    description: z.string().openapi({ example: "Type 2 diabetes mellitus with hyperglycemia" }),
    definition: z.string().nullable().optional(),
  })
  .openapi("ConstrueCode");
const HitSchema = z.object({ code: z.string(), description: z.string() });

const SystemSummarySchema = z.object({
  name: z.string(),
  version: z.string(),
  code_count: z.number().int(),
  builtin: z.boolean(),
});
const SystemDetailSchema = SystemSummarySchema.extend({
  status: z.enum(["processing", "ready", "failed"]),
  created_at: z.string(),
  updated_at: z.string(),
  failure_reason: z.string().optional().openapi({ description: "Why processing failed (only when status is failed)" }),
}).openapi("ConstrueCodeSystem");

export const listSystemsRoute = createRoute({
  method: "get",
  path: "/construe/codes/systems",
  tags,
  summary: "List available code systems (builtin and your custom ones)",
  operationId: "construe_list",
  security: bearerOrApiKey,
  middleware: read,
  responses: { 200: json(z.object({ systems: z.array(SystemSummarySchema) }), "Code systems"), ...errs() },
});

export const getSystemRoute = createRoute({
  method: "get",
  path: "/construe/codes/systems/{codesystem}",
  tags,
  summary: "Get code system detail",
  operationId: "construe_find",
  security: bearerOrApiKey,
  middleware: read,
  request: { params: SystemParam, query: VersionQuery },
  responses: { 200: json(SystemDetailSchema, "Code system detail"), ...errs() },
});

export const deleteSystemRoute = createRoute({
  method: "delete",
  path: "/construe/codes/systems/{codesystem}",
  tags,
  summary: "Delete a custom code system (builtin systems cannot be deleted)",
  operationId: "construe_delete",
  security: bearerOrApiKey,
  middleware: write,
  request: { params: SystemParam, query: VersionQuery },
  responses: { 200: json(z.object({ message: z.string() }), "Deleted"), ...errs() },
});

export const exportSystemRoute = createRoute({
  method: "get",
  path: "/construe/codes/systems/{codesystem}/export",
  tags,
  summary: "Export a custom code system in the JSON upload format",
  operationId: "construe_export",
  security: bearerOrApiKey,
  middleware: read,
  request: { params: SystemParam, query: VersionQuery },
  responses: {
    200: json(
      z
        .object({ name: z.string(), version: z.string(), format: z.literal("json"), codes: z.array(CodeSchema) })
        .openapi("ConstrueExport"),
      "The code system, re-uploadable as is",
    ),
    ...errs(409, 424),
  },
});

export const UploadBody = z
  .object({
    name: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "letters, digits, '_', '.', '-' (up to 100)")
      .openapi({ example: "CUSTOM_CODES" }),
    version: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/, "letters, digits, '_', '.', '-' (up to 50)")
      .openapi({ example: "1.0" }),
    revision: z.number().optional(),
    format: z.enum(["csv", "json"]),
    file: z.string().optional().openapi({ description: "base64 file contents (CSV, or a JSON array of codes)" }),
    code_col: z.string().min(1).max(200).optional(),
    desc_col: z.string().min(1).max(200).optional(),
    defn_col: z.string().min(1).max(200).optional(),
    codes: z
      .array(z.unknown())
      .max(1_000_000)
      .optional()
      .openapi({ description: "{code, description, definition?} items" }),
    replace: z.boolean().optional(),
  })
  .openapi("ConstrueUpload");

export const uploadRoute = createRoute({
  method: "post",
  path: "/construe/upload",
  tags,
  summary: "Upload a custom code system (processed asynchronously)",
  operationId: "construe_upload",
  security: bearerOrApiKey,
  middleware: [...write, limitBody(32 * MB), requireMediaType("application/json")],
  request: { body: { required: true, content: { "application/json": { schema: UploadBody } } } },
  responses: {
    202: json(z.object({ status: z.string(), name: z.string(), version: z.string() }), "Accepted for processing"),
    ...errs(409, 413, 415),
  },
});

export const listCodesRoute = createRoute({
  method: "get",
  path: "/construe/codes/{codesystem}",
  tags,
  summary: "List codes in a code system (cursor paging)",
  operationId: "construe_listCodes",
  security: bearerOrApiKey,
  middleware: read,
  request: {
    params: SystemParam,
    query: VersionQuery.extend({
      cursor: z.string().min(1).max(2000).optional(),
      limit: limitParam(LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT),
    }),
  },
  responses: {
    200: json(
      z.object({
        system: SystemRefSchema,
        codes: z.array(CodeSchema),
        next_cursor: z.string().nullable(),
        has_more: z.boolean(),
      }),
      "A page of codes",
    ),
    ...errs(),
  },
});

export const searchSemanticRoute = createRoute({
  method: "get",
  path: "/construe/codes/{codesystem}/search/semantic",
  tags,
  summary: "Semantic search (embedding-based)",
  operationId: "construe_searchSemantic",
  security: bearerOrApiKey,
  middleware: read,
  request: {
    params: SystemParam,
    query: VersionQuery.extend({
      text: z.string().min(1).max(2000).openapi({ example: "trouble breathing at night" }),
      limit: limitParam(SEMANTIC_DEFAULT_LIMIT, SEMANTIC_MAX_LIMIT),
    }),
  },
  responses: {
    200: json(z.object({ system: SystemRefSchema, results: z.array(HitSchema) }), "Codes by similarity"),
    ...errs(),
  },
});

export const searchTextRoute = createRoute({
  method: "get",
  path: "/construe/codes/{codesystem}/search/text",
  tags,
  summary: "Text search (code substrings, words, prefixes, typo tolerance)",
  operationId: "construe_searchText",
  security: bearerOrApiKey,
  middleware: read,
  request: {
    params: SystemParam,
    query: VersionQuery.extend({
      q: z.string().min(1).max(500).openapi({ example: "diabtes" }),
      limit: limitParam(TEXT_DEFAULT_LIMIT, TEXT_MAX_LIMIT),
    }),
  },
  responses: {
    200: json(
      z.object({ system: SystemRefSchema, results: z.array(HitSchema), found: z.number().int() }),
      "Matching codes",
    ),
    ...errs(),
  },
});

export const getCodeRoute = createRoute({
  method: "get",
  path: "/construe/codes/{codesystem}/{codeID}",
  tags,
  summary: "Get a specific code (ICD-10 codes with or without the dot)",
  operationId: "construe_lookup",
  security: bearerOrApiKey,
  // Before authentication, so the lookup rides in the credential check's round trip (code-prefetch.ts).
  middleware: [prefetchCode, ...read],
  request: { params: CodeParam, query: VersionQuery },
  responses: { 200: json(CodeSchema.extend({ system: SystemRefSchema }), "Code details"), ...errs() },
});

const ExtractedCodeSchema = z.looseObject({ code: z.string(), description: z.string(), valid: z.boolean() });
const ExtractResultSchema = z.looseObject({
  system: z.looseObject({ name: z.string().optional(), version: z.string().optional() }),
  codes: z.array(ExtractedCodeSchema),
});

export const FeedbackBody = z
  .object({
    text: z.string().min(1).max(100_000),
    received_result: ExtractResultSchema,
    expected_result: ExtractResultSchema,
    detail: z.string().max(10_000).optional(),
  })
  .openapi("ConstrueFeedback");

export const feedbackRoute = createRoute({
  method: "post",
  path: "/construe/feedback",
  tags,
  summary: "Submit feedback on extraction results",
  operationId: "construe_submitFeedback",
  security: bearerOrApiKey,
  middleware: [...write, limitBody(1 * MB), requireMediaType("application/json")],
  request: { body: { required: true, content: { "application/json": { schema: FeedbackBody } } } },
  responses: { 201: json(z.object({ id: z.string() }), "Feedback saved"), ...errs(413, 415) },
});
