/**
 * Route declarations of the FHIR REST API (FHIR R4 http.html), declared once and mounted on the three
 * bases Hearth serves: `/fhir/{storeId}` (seed 000's store endpoint), `/datastore/{storeId}/r4`
 * (seed 002's URL shape) and `/FHIR/R4` (seed 001's: the caller's default store).
 *
 * Order matters: literal segments (metadata, _history, _search, $validate) are registered before the
 * `{type}` / `{id}` patterns that would also match them.
 */
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { authenticateAndLimit } from "../../middleware/authenticate";
import { limitBody } from "../../middleware/body";
import { RATE_POLICIES } from "../../middleware/rate-limit";
import { bearerOrApiKey, errorResponses, pathParam } from "../../platform/openapi-schemas";
import { MAX_BUNDLE_BODY_BYTES, MAX_RESOURCE_BODY_BYTES } from "./limits";
import { prefetchRead } from "./read-prefetch";

export interface FhirBase {
  /** OpenAPI-style prefix, e.g. `/fhir/{storeId}`. */
  prefix: string;
  hasStore: boolean;
  tag: string;
}

export const FHIR_BASES: FhirBase[] = [
  { prefix: "/fhir/{storeId}", hasStore: true, tag: "FHIR" },
  { prefix: "/datastore/{storeId}/r4", hasStore: true, tag: "FHIR (HealthLake-style base)" },
  { prefix: "/FHIR/R4", hasStore: false, tag: "FHIR (default store)" },
];

const resourceSchema = { type: "object" as const, description: "A FHIR R4 resource (application/fhir+json)" };
const bundleSchema = { type: "object" as const, description: "A FHIR R4 Bundle" };
const fhirContent = (schema: object) => ({ "application/fhir+json": { schema } });

const p = pathParam;

const storeParam = { storeId: p("storeId", "The FHIR store id") };
const typeParam = { type: p("type", "A FHIR R4 resource type, e.g. Patient") };
const idParam = { id: p("id", "The logical id of the resource") };
const vidParam = { vid: p("vid", "A version id") };

const errs = (...statuses: number[]) => errorResponses("fhir", [400, 401, 403, 404, 406, 429, 500, ...statuses]);

/**
 * Credential check + rate limit of a FHIR base, overlapped; the base's store (`{storeId}`, or the
 * caller's default store on `/FHIR/R4`) comes back from the credential's D1 query.
 */
export const fhirAuth = (base: FhirBase) => authenticateAndLimit(RATE_POLICIES.fhir, { defaultStore: !base.hasStore });

export type FhirRouteName =
  | "metadata"
  | "historySystem"
  | "transaction"
  | "searchSystem"
  | "searchSystemPost"
  | "historyType"
  | "searchTypePost"
  | "validateType"
  | "searchType"
  | "create"
  | "conditionalUpdate"
  | "conditionalPatch"
  | "conditionalDelete"
  | "historyInstance"
  | "vread"
  | "searchCompartment"
  | "validateInstance"
  | "read"
  | "update"
  | "patch"
  | "delete";

interface Spec {
  name: FhirRouteName;
  method: "get" | "post" | "put" | "patch" | "delete";
  sub: string;
  summary: string;
  params: Record<string, z.ZodString>;
  public?: boolean;
  body?: { schema: object; bytes: number; patch?: boolean; form?: boolean };
  ok: RouteConfig["responses"];
  extra?: number[];
}

const okResource = (description: string, status = 200) => ({
  [status]: { description, content: fhirContent(resourceSchema) },
});

/** The routes in registration order. */
const SPECS: Spec[] = [
  {
    name: "metadata",
    method: "get",
    sub: "/metadata",
    summary: "CapabilityStatement (capabilities)",
    params: {},
    public: true,
    ok: okResource("CapabilityStatement"),
  },
  {
    name: "historySystem",
    method: "get",
    sub: "/_history",
    summary: "System history",
    params: {},
    ok: okResource("Bundle of type history"),
  },
  {
    name: "transaction",
    method: "post",
    sub: "",
    summary: "batch or transaction",
    params: {},
    body: { schema: bundleSchema, bytes: MAX_BUNDLE_BODY_BYTES },
    ok: okResource("batch-response or transaction-response Bundle"),
    extra: [409, 412, 413, 415, 422],
  },
  {
    name: "searchSystem",
    method: "get",
    sub: "",
    summary: "System search (_type=...)",
    params: {},
    ok: okResource("searchset Bundle"),
  },
  {
    name: "searchSystemPost",
    method: "post",
    sub: "/_search",
    summary: "System search (POST, form-encoded)",
    params: {},
    body: { schema: { type: "object" }, bytes: MAX_RESOURCE_BODY_BYTES, form: true },
    ok: okResource("searchset Bundle"),
    extra: [415],
  },
  {
    name: "historyType",
    method: "get",
    sub: "/{type}/_history",
    summary: "Type history",
    params: typeParam,
    ok: okResource("Bundle of type history"),
  },
  {
    name: "searchTypePost",
    method: "post",
    sub: "/{type}/_search",
    summary: "Search (POST, form-encoded)",
    params: typeParam,
    body: { schema: { type: "object" }, bytes: MAX_RESOURCE_BODY_BYTES, form: true },
    ok: okResource("searchset Bundle"),
    extra: [415],
  },
  {
    name: "validateType",
    method: "post",
    sub: "/{type}/$validate",
    summary: "$validate a resource",
    params: typeParam,
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES },
    ok: okResource("OperationOutcome"),
    extra: [413, 415],
  },
  {
    name: "searchType",
    method: "get",
    sub: "/{type}",
    summary: "Search",
    params: typeParam,
    ok: okResource("searchset Bundle"),
  },
  {
    name: "create",
    method: "post",
    sub: "/{type}",
    summary: "create (If-None-Exist: conditional create)",
    params: typeParam,
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES },
    ok: { ...okResource("Created", 201), ...okResource("If-None-Exist matched an existing resource") },
    extra: [412, 413, 415, 422],
  },
  {
    name: "conditionalUpdate",
    method: "put",
    sub: "/{type}",
    summary: "Conditional update (PUT [type]?criteria)",
    params: typeParam,
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES },
    ok: { ...okResource("Updated"), ...okResource("Created", 201) },
    extra: [409, 412, 413, 415, 422],
  },
  {
    name: "conditionalPatch",
    method: "patch",
    sub: "/{type}",
    summary: "Conditional patch (PATCH [type]?criteria)",
    params: typeParam,
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES, patch: true },
    ok: okResource("Patched"),
    extra: [409, 412, 413, 415, 422],
  },
  {
    name: "conditionalDelete",
    method: "delete",
    sub: "/{type}",
    summary: "Conditional delete (DELETE [type]?criteria)",
    params: typeParam,
    ok: { 204: { description: "Deleted (or nothing matched)" } },
    extra: [412],
  },
  {
    name: "historyInstance",
    method: "get",
    sub: "/{type}/{id}/_history",
    summary: "Instance history",
    params: { ...typeParam, ...idParam },
    ok: okResource("Bundle of type history"),
  },
  {
    name: "vread",
    method: "get",
    sub: "/{type}/{id}/_history/{vid}",
    summary: "vread",
    params: { ...typeParam, ...idParam, ...vidParam },
    ok: okResource("The version"),
    extra: [410],
  },
  {
    // After _history (a literal third segment) so `Patient/1/_history` stays a history read.
    name: "searchCompartment",
    method: "get",
    sub: "/{type}/{id}/{target}",
    summary: "Patient compartment search (Patient/[id]/[type] or Patient/[id]/*)",
    params: {
      ...typeParam,
      ...idParam,
      target: p("target", "A resource type of the compartment, or * for all of them"),
    },
    ok: okResource("searchset Bundle"),
  },
  {
    name: "validateInstance",
    method: "post",
    sub: "/{type}/{id}/$validate",
    summary: "$validate against an existing resource",
    params: { ...typeParam, ...idParam },
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES },
    ok: okResource("OperationOutcome"),
    extra: [413, 415],
  },
  {
    name: "read",
    method: "get",
    sub: "/{type}/{id}",
    summary: "read (If-None-Match / If-Modified-Since: conditional read)",
    params: { ...typeParam, ...idParam },
    ok: { ...okResource("The resource"), 304: { description: "Not modified" } },
    extra: [410],
  },
  {
    name: "update",
    method: "put",
    sub: "/{type}/{id}",
    summary: "update (update-as-create; If-Match)",
    params: { ...typeParam, ...idParam },
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES },
    ok: { ...okResource("Updated"), ...okResource("Created", 201) },
    extra: [409, 412, 413, 415, 422],
  },
  {
    name: "patch",
    method: "patch",
    sub: "/{type}/{id}",
    summary: "patch (JSON Patch or FHIRPath Patch)",
    params: { ...typeParam, ...idParam },
    body: { schema: resourceSchema, bytes: MAX_RESOURCE_BODY_BYTES, patch: true },
    ok: okResource("Patched"),
    extra: [409, 410, 412, 413, 415, 422],
  },
  {
    name: "delete",
    method: "delete",
    sub: "/{type}/{id}",
    summary: "delete",
    params: { ...typeParam, ...idParam },
    ok: { 204: { description: "Deleted (also when it did not exist)" } },
    extra: [412],
  },
];

/** Interactions on `{type}/{id}` that start from the resource's current row. */
const PREFETCHED = new Set<FhirRouteName>(["read", "update", "patch"]);

/** createRoute configs for one base, in registration order. */
export function fhirRoutes(base: FhirBase) {
  const authed = [fhirAuth(base)];
  return SPECS.map((s) => {
    const params = { ...(base.hasStore ? storeParam : {}), ...s.params };
    const middleware = [
      // Before authentication, so the current row is read with the credential check (read-prefetch.ts).
      ...(PREFETCHED.has(s.name) ? [prefetchRead] : []),
      ...(s.public ? [] : authed),
      ...(s.body ? [limitBody(s.body.bytes)] : []),
    ];
    const bodyContent = s.body
      ? s.body.form
        ? { "application/x-www-form-urlencoded": { schema: s.body.schema } }
        : s.body.patch
          ? {
              "application/json-patch+json": { schema: { type: "array" as const, description: "RFC 6902 JSON Patch" } },
              "application/fhir+json": {
                schema: { type: "object" as const, description: "FHIRPath Patch Parameters" },
              },
            }
          : fhirContent(s.body.schema)
      : undefined;
    const route = createRoute({
      method: s.method,
      path: `${base.prefix}${s.sub}`,
      tags: [base.tag],
      summary: s.summary,
      ...(s.public ? {} : { security: bearerOrApiKey }),
      middleware,
      request: {
        ...(Object.keys(params).length ? { params: z.object(params) } : {}),
        ...(bodyContent ? { body: { required: true, content: bodyContent } } : {}),
      },
      responses: { ...s.ok, ...errs(...(s.extra ?? [])) },
    });
    return { name: s.name, route };
  });
}
