import { createRoute, z } from "@hono/zod-openapi";
import { authenticateAndLimit } from "../../middleware/authenticate";
import { KB, limitBody, requireMediaType } from "../../middleware/body";
import { RATE_POLICIES } from "../../middleware/rate-limit";
import { bearerOrApiKey, envelopeSchema, errorResponses } from "../../platform/openapi-schemas";

export const TokenBody = z
  .object({
    grant_type: z.string().max(100).optional().openapi({ example: "client_credentials" }),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(500).optional(),
    scope: z
      .string()
      .max(4000)
      .optional()
      .openapi({ description: "Optional: narrows the client's scopes (RFC 6749 §3.3)" }),
  })
  .openapi("TokenRequest");

const tokenBodyDoc = z.toJSONSchema(TokenBody, { target: "openapi-3.0" }) as Record<string, unknown>;

export const tokenRoute = createRoute({
  method: "post",
  path: "/v2/auth/token",
  tags: ["Authentication"],
  summary: "OAuth 2.0 client credentials token (RFC 6749 §4.4)",
  description:
    "Client id and secret in a JSON body, a form body, or HTTP Basic (RFC 6749 §2.3.1). Returns a JWT access token.",
  security: [{}, { basicAuth: [] }],
  middleware: [limitBody(8 * KB), requireMediaType("application/json", "application/x-www-form-urlencoded")],
  // Documented as a plain JSON Schema (not zod) so the framework does not validate it: the handler parses
  // JSON, form and empty bodies itself, so every media type gets the same RFC 6749 §5.2 errors.
  request: {
    body: {
      required: false,
      content: {
        "application/json": { schema: tokenBodyDoc },
        "application/x-www-form-urlencoded": { schema: tokenBodyDoc },
      },
    },
  },
  responses: {
    200: {
      description: "Access token",
      content: {
        "application/json": {
          schema: z
            .object({
              access_token: z.string(),
              token_type: z.literal("Bearer"),
              expires_in: z.number().int(),
              scope: z.string(),
            })
            .openapi("TokenResponse"),
        },
      },
    },
    ...errorResponses("oauth", [400, 401, 413, 415, 500]),
  },
});

export const legacyTokenRoute = createRoute({
  method: "post",
  path: "/auth/token",
  tags: ["Authentication"],
  summary: "Legacy token: HTTP Basic client_id:secret → JWT",
  security: [{ basicAuth: [] }],
  middleware: [limitBody(8 * KB)],
  responses: {
    200: {
      description: "Token",
      content: { "application/json": { schema: z.object({ token: z.string() }).openapi("LegacyToken") } },
    },
    401: {
      description: "Invalid credentials",
      content: {
        "application/json": {
          schema: z.object({ code: z.number().int(), message: z.string(), data: z.null() }).openapi("LegacyAuthError"),
        },
      },
    },
  },
});

export const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["Authentication"],
  summary: "Describe the calling credential (organization, scopes, context)",
  security: bearerOrApiKey,
  middleware: [authenticateAndLimit(RATE_POLICIES.platform)],
  responses: {
    200: {
      description: "The caller",
      content: {
        "application/json": {
          schema: envelopeSchema(
            z.object({
              orgId: z.string(),
              credentialId: z.string(),
              credentialKind: z.enum(["api_key", "access_token"]),
              scopes: z.array(z.string()),
              storeId: z.string().nullable(),
              patientId: z.string().nullable(),
              consentRequired: z.boolean(),
            }),
            "Caller",
          ),
        },
      },
    },
    ...errorResponses("platform", [401, 429]),
  },
});

const SmartConfigurationSchema = z
  .object({
    issuer: z.string(),
    token_endpoint: z.string(),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    capabilities: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
  })
  .openapi("SmartConfiguration");

const smartResponses = {
  200: { description: "SMART configuration", content: { "application/json": { schema: SmartConfigurationSchema } } },
};

export const smartConfigurationRoute = createRoute({
  method: "get",
  path: "/.well-known/smart-configuration",
  tags: ["Authentication"],
  summary: "SMART on FHIR discovery (SMART App Launch 2.0)",
  responses: smartResponses,
});

/** Clients discover relative to a FHIR base URL, so every store base answers too. */
export const storeSmartConfigurationRoute = createRoute({
  method: "get",
  path: "/fhir/{storeId}/.well-known/smart-configuration",
  tags: ["Authentication"],
  summary: "SMART on FHIR discovery for a store's FHIR base",
  request: { params: z.object({ storeId: z.string().min(1).max(64) }) },
  responses: smartResponses,
});
