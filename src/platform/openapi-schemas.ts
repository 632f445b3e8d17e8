import { z } from "@hono/zod-openapi";

/** Wire shapes of errors, documented once and referenced by every route (docs/architecture.md, "Errors"). */
export const PlatformErrorSchema = z
  .object({
    success: z.literal(false),
    message: z.string(),
    data: z.null(),
    error: z.object({ code: z.string().openapi({ example: "fhir_server_not_found" }), details: z.unknown() }),
  })
  .openapi("PlatformError");

export const IngestionErrorSchema = z
  .object({
    error: z.string().openapi({ example: "Bad Request" }),
    message: z.string(),
    statusCode: z.number().int(),
    details: z.unknown().optional(),
    retryAfter: z.number().int().optional(),
  })
  .openapi("IngestionError");

export const OAuthErrorSchema = z
  .object({
    error: z.enum(["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope", "server_error"]),
    error_description: z.string().optional(),
  })
  .openapi("OAuthError");

export const OperationOutcomeSchema = z
  .object({
    resourceType: z.literal("OperationOutcome"),
    issue: z.array(
      z.object({
        severity: z.enum(["fatal", "error", "warning", "information"]),
        code: z.string(),
        diagnostics: z.string().optional(),
        details: z.object({ text: z.string() }).optional(),
        expression: z.array(z.string()).optional(),
      }),
    ),
  })
  .openapi("OperationOutcome");

const describe: Record<number, string> = {
  400: "Invalid request",
  401: "Missing or invalid credentials",
  403: "Insufficient permissions",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  410: "Gone (deleted)",
  412: "Precondition failed",
  413: "Request body too large",
  415: "Unsupported media type",
  422: "Unprocessable entity",
  424: "Failed dependency",
  429: "Rate limit exceeded",
  500: "Unexpected error",
  502: "Upstream failure",
  503: "Temporarily unavailable",
  504: "Upstream timed out",
};

type Shape = "platform" | "fhir" | "ingestion" | "oauth";
const schemaOf = {
  platform: PlatformErrorSchema,
  fhir: OperationOutcomeSchema,
  ingestion: IngestionErrorSchema,
  oauth: OAuthErrorSchema,
};
const mediaOf = {
  platform: "application/json",
  fhir: "application/fhir+json",
  ingestion: "application/json",
  oauth: "application/json",
};

/** OpenAPI `responses` entries for the error statuses a route documents. */
export function errorResponses(shape: Shape, statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: describe[s] ?? "Error", content: { [mediaOf[shape]]: { schema: schemaOf[shape] } } },
    ]),
  );
}

/** Seed 000's success envelope around `data`. */
export function envelopeSchema<T extends z.ZodTypeAny>(data: T, name?: string) {
  const s = z.object({ success: z.literal(true), message: z.string(), data });
  return name ? s.openapi(name) : s;
}

/** Security requirement for routes that take an API key or a bearer access token. */
export const bearerOrApiKey: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/** A path segment id (store, resource, job) as the OpenAPI document describes it. */
export const pathParam = (name: string, description: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name, in: "path" }, description });
