import { createRoute, z } from "@hono/zod-openapi";
import { authenticateAndLimit, requireScope } from "../../middleware/authenticate";
import { limitBody, MB } from "../../middleware/body";
import { RATE_POLICIES } from "../../middleware/rate-limit";
import { errorResponses } from "../../platform/openapi-schemas";

const tags = ["Ingestion"];
const security: { [name: string]: string[] }[] = [{ apiKeyHeader: [] }, { bearerAuth: [] }];
const GroupParam = z.object({
  groupId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "groupId", in: "path" }, description: "Your organization id" }),
});

/** A 100-entry bundle of large resources stays far below this. */
export const INGESTION_BODY_LIMIT = 10 * MB;

export const ingestRoute = createRoute({
  method: "post",
  path: "/api/g/{groupId}/ingestion/fhir/v4",
  tags,
  summary: "Ingest a FHIR R4 transaction Bundle (seed 003)",
  description:
    "At most 100 entries. Resources go to the organization's default FHIR store (created on first use). Idempotent by fullUrl: POST entries with urn:uuid fullUrls are stored as Type/<uuid>.",
  security,
  middleware: [
    // Seed 003's policy; the default store the bundle goes to is read with the credential.
    authenticateAndLimit(RATE_POLICIES.ingestion, { defaultStore: true }),
    requireScope("ingestion:write"),
    limitBody(INGESTION_BODY_LIMIT),
  ],
  request: {
    params: GroupParam,
    body: {
      required: true,
      content: {
        "application/json": { schema: { type: "object", description: "FHIR R4 Bundle of type transaction" } },
      },
    },
  },
  responses: {
    200: {
      description: "Ingested",
      content: {
        "application/json": {
          schema: z
            .object({ transactionId: z.string().openapi({ example: "t3zL38PrPDaFp2fLL4DvtY" }) })
            .openapi("IngestionAccepted"),
        },
      },
    },
    ...errorResponses("ingestion", [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500]),
  },
});

const ResourceSchema = z.object({
  resourceType: z.string(),
  id: z.string(),
  versionId: z.number().int().nullable(),
  outcome: z.enum(["created", "updated", "unchanged", "existing", "deleted"]),
});

export const IngestionRecordSchema = z
  .object({
    transactionId: z.string(),
    groupId: z.string(),
    storeId: z.string(),
    status: z.enum(["completed", "failed"]),
    entryCount: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    resources: z.array(ResourceSchema),
    error: z.object({ statusCode: z.number().int(), message: z.string(), details: z.unknown().optional() }).nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi("IngestionTransaction");

export const getIngestionRoute = createRoute({
  method: "get",
  path: "/api/g/{groupId}/ingestion/transactions/{transactionId}",
  tags,
  summary: "What an ingestion transaction did (status, counts, resource ids)",
  security,
  middleware: [authenticateAndLimit(RATE_POLICIES.platform), requireScope("ingestion:read")],
  request: {
    params: GroupParam.extend({
      transactionId: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: "transactionId", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "The ingestion record", content: { "application/json": { schema: IngestionRecordSchema } } },
    ...errorResponses("ingestion", [400, 401, 403, 404, 429, 500]),
  },
});
