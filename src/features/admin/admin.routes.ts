import { createRoute, z } from "@hono/zod-openapi";
import { adminAuth } from "../../middleware/admin-auth";
import { KB, limitBody, requireMediaType } from "../../middleware/body";
import { envelopeSchema, errorResponses } from "../../platform/openapi-schemas";

const security = [{ adminToken: [] }];
const jsonBody = [adminAuth, limitBody(16 * KB), requireMediaType("application/json")];
const common = errorResponses("platform", [400, 401, 404, 413, 415, 500]);

const OrgParam = z.object({
  orgId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "orgId", in: "path" } }),
});
const ScopesSchema = z
  .array(z.string().min(1).max(200))
  .min(1)
  .max(100)
  .openapi({ example: ["fhir:read", "terminology:read", "system/Observation.rs?category=laboratory"] });

export const ApiKeyCreatedSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    key: z.string().openapi({ description: "The secret. Shown once; store it now." }),
    prefix: z.string(),
    scopes: z.array(z.string()),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ApiKeyCreated");

const ApiKeySummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    storeId: z.string().nullable(),
    patientId: z.string().nullable(),
    consentRequired: z.boolean(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ApiKeySummary");

const OAuthClientCreatedSchema = z
  .object({
    client_id: z.string(),
    client_secret: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    created_at: z.string(),
  })
  .openapi("OAuthClientCreated");

const OAuthClientSummarySchema = z
  .object({
    client_id: z.string(),
    name: z.string(),
    secret_prefix: z.string(),
    scopes: z.array(z.string()),
    patient_id: z.string().nullable(),
    consent_required: z.boolean(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("OAuthClientSummary");

const NameSchema = z.string().trim().min(1).max(200);
const ContextFields = {
  patientId: z.string().min(1).max(64).nullable().optional().openapi({ description: "SMART patient launch context" }),
  consentRequired: z
    .boolean()
    .optional()
    .openapi({ description: "Seed 001: data visible only with an active permit Consent" }),
};

export const createOrganizationRoute = createRoute({
  method: "post",
  path: "/admin/organizations",
  tags: ["Admin"],
  summary: "Create an organization (tenant) and its first API key",
  security,
  middleware: jsonBody,
  request: { body: { required: true, content: { "application/json": { schema: z.object({ name: NameSchema }) } } } },
  responses: {
    201: {
      description: "Created; the API key is shown once",
      content: {
        "application/json": {
          schema: envelopeSchema(
            z.object({ id: z.string(), name: z.string(), createdAt: z.string(), apiKey: ApiKeyCreatedSchema }),
            "OrganizationCreated",
          ),
        },
      },
    },
    ...common,
  },
});

export const createApiKeyRoute = createRoute({
  method: "post",
  path: "/admin/organizations/{orgId}/api-keys",
  tags: ["Admin"],
  summary: "Create an API key with scopes",
  security,
  middleware: jsonBody,
  request: {
    params: OrgParam,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            name: NameSchema,
            scopes: ScopesSchema,
            expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
            ...ContextFields,
          }),
        },
      },
    },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: envelopeSchema(ApiKeyCreatedSchema) } } },
    ...common,
  },
});

export const listApiKeysRoute = createRoute({
  method: "get",
  path: "/admin/organizations/{orgId}/api-keys",
  tags: ["Admin"],
  summary: "List API keys (prefix only)",
  security,
  middleware: [adminAuth],
  request: { params: OrgParam },
  responses: {
    200: {
      description: "Keys",
      content: { "application/json": { schema: envelopeSchema(z.array(ApiKeySummarySchema)) } },
    },
    ...common,
  },
});

export const revokeApiKeyRoute = createRoute({
  method: "delete",
  path: "/admin/organizations/{orgId}/api-keys/{keyId}",
  tags: ["Admin"],
  summary: "Revoke an API key (immediate)",
  security,
  middleware: [adminAuth],
  request: { params: OrgParam.extend({ keyId: z.string().min(1).max(64) }) },
  responses: {
    200: { description: "Revoked", content: { "application/json": { schema: envelopeSchema(z.null()) } } },
    ...common,
  },
});

export const createOAuthClientRoute = createRoute({
  method: "post",
  path: "/admin/organizations/{orgId}/oauth-clients",
  tags: ["Admin"],
  summary: "Create an OAuth client for the client-credentials grant",
  security,
  middleware: jsonBody,
  request: {
    params: OrgParam,
    body: {
      required: true,
      content: {
        "application/json": { schema: z.object({ name: NameSchema, scopes: ScopesSchema, ...ContextFields }) },
      },
    },
  },
  responses: {
    201: {
      description: "Created; the secret is shown once",
      content: { "application/json": { schema: envelopeSchema(OAuthClientCreatedSchema) } },
    },
    ...common,
  },
});

export const listOAuthClientsRoute = createRoute({
  method: "get",
  path: "/admin/organizations/{orgId}/oauth-clients",
  tags: ["Admin"],
  summary: "List OAuth clients",
  security,
  middleware: [adminAuth],
  request: { params: OrgParam },
  responses: {
    200: {
      description: "Clients",
      content: { "application/json": { schema: envelopeSchema(z.array(OAuthClientSummarySchema)) } },
    },
    ...common,
  },
});

export const revokeOAuthClientRoute = createRoute({
  method: "delete",
  path: "/admin/organizations/{orgId}/oauth-clients/{clientId}",
  tags: ["Admin"],
  summary: "Revoke an OAuth client and its tokens",
  security,
  middleware: [adminAuth],
  request: { params: OrgParam.extend({ clientId: z.string().min(1).max(64) }) },
  responses: {
    200: { description: "Revoked", content: { "application/json": { schema: envelopeSchema(z.null()) } } },
    ...common,
  },
});
