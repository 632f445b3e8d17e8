import { createRoute, z } from "@hono/zod-openapi";
import { authenticateAndLimit, requireScope } from "../../middleware/authenticate";
import { KB, limitBody, requireMediaType } from "../../middleware/body";
import { RATE_POLICIES } from "../../middleware/rate-limit";
import { bearerOrApiKey, envelopeSchema, errorResponses } from "../../platform/openapi-schemas";
import { StoreSettingsSchema } from "./store-settings";
import { StoreViewSchema } from "./store-view";

const tags = ["FHIR stores"];
const authed = authenticateAndLimit(RATE_POLICIES.platform);
const read = [authed, requireScope("stores:read")];
const write = [authed, requireScope("stores:write")];
const jsonBody = [limitBody(16 * KB), requireMediaType("application/json")];
const errs = (...extra: number[]) => errorResponses("platform", [400, 401, 403, 429, 500, ...extra]);

const StoreIdParam = z.object({
  serverId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "serverId", in: "path" }, example: "fhs_3kTMd9e2Jq8wZb1xYc4LpA" }),
});

export const CreateStoreBody = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "my-fhir-server" }),
    description: z.string().max(1000).nullable().optional(),
    region: z.string().min(1).max(64).default("global").openapi({ example: "global" }),
    fhirVersion: z.string().min(1).max(16).default("R4").openapi({ example: "R4" }),
    type: z.string().min(1).max(32).optional().openapi({ example: "serverless" }),
    settings: StoreSettingsSchema.optional(),
  })
  .openapi("CreateFhirStore");

export const createStoreRoute = createRoute({
  method: "post",
  path: "/api/fhirserver/create",
  tags,
  summary: "Create a FHIR R4 store (seed 000); the response shows the store's API key once",
  security: bearerOrApiKey,
  middleware: [...write, ...jsonBody],
  request: { body: { required: true, content: { "application/json": { schema: CreateStoreBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: envelopeSchema(StoreViewSchema) } } },
    ...errs(413, 415),
  },
});

export const listStoresRoute = createRoute({
  method: "get",
  path: "/api/fhirserver/list",
  tags,
  summary: "List the organization's FHIR stores",
  security: bearerOrApiKey,
  middleware: read,
  responses: {
    200: {
      description: "Stores",
      content: { "application/json": { schema: envelopeSchema(z.array(StoreViewSchema)) } },
    },
    ...errs(),
  },
});

export const getStoreRoute = createRoute({
  method: "get",
  path: "/api/fhirserver/{serverId}",
  tags,
  summary: "Get a FHIR store",
  security: bearerOrApiKey,
  middleware: read,
  request: { params: StoreIdParam },
  responses: {
    200: { description: "The store", content: { "application/json": { schema: envelopeSchema(StoreViewSchema) } } },
    ...errs(404),
  },
});

export const deleteStoreRoute = createRoute({
  method: "delete",
  path: "/api/fhirserver/{serverId}",
  tags,
  summary: "Delete a FHIR store and all of its data",
  security: bearerOrApiKey,
  middleware: write,
  request: { params: StoreIdParam },
  responses: {
    200: { description: "Deleted", content: { "application/json": { schema: envelopeSchema(z.null()) } } },
    ...errs(404),
  },
});

export const getStoreSettingsRoute = createRoute({
  method: "get",
  path: "/api/fhirserver/{serverId}/settings",
  tags,
  summary: "Get a store's settings (uniqueness rules)",
  security: bearerOrApiKey,
  middleware: read,
  request: { params: StoreIdParam },
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: envelopeSchema(StoreSettingsSchema) } } },
    ...errs(404),
  },
});

export const putStoreSettingsRoute = createRoute({
  method: "put",
  path: "/api/fhirserver/{serverId}/settings",
  tags,
  summary: "Replace a store's settings; enabling a uniqueness rule checks the data already stored",
  security: bearerOrApiKey,
  middleware: [...write, ...jsonBody],
  request: {
    params: StoreIdParam,
    body: { required: true, content: { "application/json": { schema: StoreSettingsSchema } } },
  },
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: envelopeSchema(StoreSettingsSchema) } } },
    ...errs(404, 409, 413, 415),
  },
});
