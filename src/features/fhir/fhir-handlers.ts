/**
 * HTTP ↔ domain verbs for the FHIR REST API: headers in (Prefer, If-Match, If-None-Exist, If-None-Match,
 * If-Modified-Since, _format, _pretty), status codes and headers out (ETag, Last-Modified, Location).
 * One handler per route name, built for each of the three bases (fhir.routes.ts).
 */
import type { Context } from "hono";
import { authedCtx } from "../../context";
import type { AppEnv } from "../../env";
import { errors } from "../../platform/errors";
import { type AuditEntry, recordAudit } from "../audit/record-audit";
import { openDefaultStore, openStore } from "../stores/open-store";
import { findAnyStore } from "../stores/store-row";
import { bundleResponseJson } from "./bundle/bundle-response";
import { processBundle } from "./bundle/process-bundle";
import { capabilityStatement } from "./capability-statement";
import type { WriteOutcome } from "./commit-writes";
import { createResource } from "./create-resource";
import { conditionalDelete, type DeleteOutcome, deleteResource } from "./delete-resource";
import type { FhirBase, FhirRouteName } from "./fhir.routes";
import type { FhirCtx } from "./fhir-ctx";
import { JSON_PATCH_MEDIA_TYPE, RESOURCE_MEDIA_TYPES, readJson, requireMedia } from "./http/body";
import { type Prefer, type Presentation, parsePrefer, presentation } from "./http/negotiate";
import { fhirJson, versionHeaders, writeResponse } from "./http/respond";
import { conditionalPatch, type PatchFormat, patchResource } from "./patch-resource";
import { readHistory } from "./read-history";
import { readResource, vreadResource } from "./read-resource";
import { etagOf, versionFromEtag } from "./resource-json";
import { shapeResource } from "./search/bundle";
import { customParamsOf } from "./search/custom-params";
import { searchType } from "./search-type";
import { conditionalUpdate, updateResource } from "./update-resource";
import { validateOperation } from "./validate-operation";
import { isResourceType } from "./validation";

type C = Context<AppEnv>;
export type FhirHandler = (c: C) => Promise<Response>;

interface Call {
  ctx: FhirCtx;
  p: Presentation;
  prefer: Prefer;
  url: URL;
}

export const SOFTWARE = { name: "Hearth", version: "0.1.0" };

/** Parameters that shape the response, never part of a search or conditional criterion. */
const FORMAT_PARAMS = ["_format", "_pretty"];

function baseUrl(origin: string, base: FhirBase, storeId: string): string {
  return origin + base.prefix.replace("{storeId}", storeId);
}

async function open(c: C, base: FhirBase, purpose: "read" | "write" = "write"): Promise<Call> {
  const url = new URL(c.req.url);
  const p = presentation(url, c.req.header("Accept"));
  const ctx = authedCtx(c);
  const store = base.hasStore
    ? await openStore(ctx, c.req.param("storeId") ?? "", purpose)
    : await openDefaultStore(ctx);
  return {
    ctx: { ...ctx, store, base: baseUrl(ctx.origin, base, store.id) },
    p,
    prefer: parsePrefer(c.req.header("Prefer")),
    url,
  };
}

/** R4 compartment definitions other than Patient (compartmentdefinition.html). */
const OTHER_COMPARTMENTS: ReadonlySet<string> = new Set(["Encounter", "RelatedPerson", "Practitioner", "Device"]);

function resourceTypeParam(c: C): string {
  return resourceTypeOf(c.req.param("type") ?? "");
}

function resourceTypeOf(type: string): string {
  if (!isResourceType(type)) {
    throw errors.notFound(`Resource type '${type}' is not supported by this server (FHIR R4 resource types only)`, {
      code: "unknown_resource_type",
    });
  }
  return type;
}

/** The query string without response-shaping parameters (conditional criteria). */
function criteriaQuery(url: URL): string {
  const q = new URLSearchParams(url.search);
  for (const k of FORMAT_PARAMS) q.delete(k);
  return q.toString();
}

const SUMMARY_MODES = new Set(["true", "text", "data", "false"]);

/**
 * `_summary` / `_elements` on read and vread (FHIR R4 search.html#summary, #elements also apply to
 * reads): the search helper's shaping, so both give the same subset and SUBSETTED tag.
 */
function shapedBody(url: URL, body: string): string {
  const summary = url.searchParams.get("_summary");
  const elements = url.searchParams.get("_elements");
  if (summary === null && elements === null) return body;
  if (summary !== null && !SUMMARY_MODES.has(summary)) {
    throw errors.invalid(`_summary must be true, text, data or false on a read (got '${summary}')`, {
      code: "invalid_parameter",
    });
  }
  const names = elements
    ?.split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const mode = (summary ?? "false") as "true" | "text" | "data" | "false";
  return JSON.stringify(
    shapeResource(JSON.parse(body) as Record<string, unknown>, mode, summary === null ? names : undefined),
  );
}

/** Audits a read without holding the response for it (waitUntil keeps the Worker alive until it lands). */
function auditRead(c: C, call: Call, entry: AuditEntry): void {
  const done = recordAudit(call.ctx, { storeId: call.ctx.store.id, ...entry });
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // No execution context (not reachable in the Worker): the promise still runs to completion.
  }
}

function writeReply(call: Call, out: WriteOutcome, verb: string): Response {
  const v = out.version;
  const headers: Record<string, string> = versionHeaders(v);
  const location = `${call.ctx.base}/${v.resourceType}/${v.id}/_history/${v.versionId}`;
  if (out.status === 201) headers.Location = location;
  else headers["Content-Location"] = location;
  const summary =
    out.outcome === "unchanged"
      ? `${v.resourceType}/${v.id} unchanged: the content equals version ${v.versionId}`
      : out.outcome === "existing"
        ? `If-None-Exist matched ${v.resourceType}/${v.id}; nothing created`
        : `${verb} ${v.resourceType}/${v.id} version ${v.versionId}`;
  return writeResponse(call.p, call.prefer, out.status, v.body, headers, summary);
}

function deleteReply(call: Call, out: DeleteOutcome): Response {
  const headers: Record<string, string> = out.deleted ? { ETag: etagOf(out.versionId!) } : {};
  if (call.prefer.return === "OperationOutcome") {
    const text = out.deleted
      ? `Deleted ${out.resourceType}/${out.id} (version ${out.versionId})`
      : `Nothing to delete: ${out.resourceType}${out.id ? `/${out.id}` : ""} does not exist or was already deleted`;
    return fhirJson(
      call.p,
      200,
      {
        resourceType: "OperationOutcome",
        issue: [{ severity: "information", code: "informational", diagnostics: text, details: { text } }],
      },
      headers,
    );
  }
  return new Response(null, { status: 204, headers });
}

function patchFormat(c: C): PatchFormat {
  const ct = requireMedia(c, [JSON_PATCH_MEDIA_TYPE, ...RESOURCE_MEDIA_TYPES]);
  return ct === JSON_PATCH_MEDIA_TYPE ? "json-patch" : "fhirpath-patch";
}

/** Search parameters of a request: the URL query, plus the form body of POST _search. */
async function searchParams(c: C, url: URL, form: boolean): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  if (form) {
    requireMedia(c, ["application/x-www-form-urlencoded"]);
    // Decoded by hand: Request.text() warns on non-text media types in workerd.
    const formText = new TextDecoder().decode(await c.req.arrayBuffer());
    for (const [k, v] of new URLSearchParams(formText)) params.append(k, v);
  }
  for (const k of FORMAT_PARAMS) params.delete(k);
  return params;
}

const strictOf = (prefer: Prefer) => prefer.handling === "strict";

export function fhirHandlers(base: FhirBase): Record<FhirRouteName, FhirHandler> {
  const search =
    (system: boolean, form: boolean): FhirHandler =>
    async (c) => {
      const call = await open(c, base, "read");
      const type = system ? null : resourceTypeParam(c);
      const params = await searchParams(c, call.url, form);
      const bundle = await searchType({
        ctx: call.ctx,
        input: { resourceType: type, params, strict: strictOf(call.prefer) },
      });
      auditRead(c, call, {
        action: "fhir.search",
        entityType: type,
        outcome: 200,
        detail: [...new Set(params.keys())].join(","),
      });
      return fhirJson(call.p, 200, bundle);
    };
  /** GET Patient/[id]/[type]?… (R4 search.html#compartments); the other compartments are not offered. */
  const searchCompartment: FhirHandler = async (c) => {
    const compartment = c.req.param("type") ?? "";
    if (compartment !== "Patient") {
      throw OTHER_COMPARTMENTS.has(compartment)
        ? errors.invalid(`Compartment search is offered for the Patient compartment only (not ${compartment})`, {
            code: "unsupported_compartment",
          })
        : errors.notFound(`'${compartment}' is not a compartment; compartment search is Patient/[id]/[type]`, {
            code: "unknown_compartment",
          });
    }
    const call = await open(c, base, "read");
    const id = c.req.param("id") ?? "";
    const target = c.req.param("target") ?? "";
    const type = target === "*" ? null : resourceTypeOf(target);
    const params = await searchParams(c, call.url, false);
    const bundle = await searchType({
      ctx: call.ctx,
      input: { resourceType: type, params, strict: strictOf(call.prefer), patientCompartment: id },
    });
    auditRead(c, call, {
      action: "fhir.search",
      entityType: type,
      entityId: `Patient/${id}`,
      outcome: 200,
      detail: [...new Set(params.keys())].join(","),
    });
    return fhirJson(call.p, 200, bundle);
  };
  const history =
    (level: "system" | "type" | "instance"): FhirHandler =>
    async (c) => {
      const call = await open(c, base, "read");
      const resourceType = level === "system" ? undefined : resourceTypeParam(c);
      const id = level === "instance" ? c.req.param("id") : undefined;
      const body = await readHistory({
        ctx: call.ctx,
        input: { resourceType, id, params: call.url.searchParams },
        strict: strictOf(call.prefer),
      });
      auditRead(c, call, {
        action: "fhir.history",
        entityType: resourceType ?? null,
        entityId: id ?? null,
        outcome: 200,
      });
      return fhirJson(call.p, 200, body);
    };
  const validate =
    (instance: boolean): FhirHandler =>
    async (c) => {
      const call = await open(c, base, "read");
      const resourceType = resourceTypeParam(c);
      requireMedia(c, RESOURCE_MEDIA_TYPES);
      const outcome = await validateOperation({
        ctx: call.ctx,
        input: {
          resourceType,
          id: instance ? c.req.param("id") : undefined,
          body: await readJson(c),
          mode: call.url.searchParams.get("mode"),
        },
      });
      return fhirJson(call.p, 200, outcome);
    };

  return {
    metadata: async (c) => {
      const url = new URL(c.req.url);
      const p = presentation(url, c.req.header("Accept"));
      let root = url.origin + base.prefix;
      if (base.hasStore) {
        // Public (SMART clients read it before authorising); the same document for every store, so
        // only an unknown store id is told apart (404), never whose store it is.
        const storeId = c.req.param("storeId") ?? "";
        if (!(await findAnyStore(c.var.services.db, storeId))) {
          throw errors.notFound("FHIR server not found", { code: "fhir_server_not_found" });
        }
        root = baseUrl(url.origin, base, storeId);
      }
      // The store's custom search parameters (none for /FHIR/R4, whose store is known only once authenticated).
      const custom = base.hasStore ? await customParamsOf(c.var.services.db, c.req.param("storeId") ?? "") : undefined;
      return fhirJson(p, 200, capabilityStatement(root, SOFTWARE, custom));
    },
    historySystem: history("system"),
    historyType: history("type"),
    historyInstance: history("instance"),
    searchSystem: search(true, false),
    searchSystemPost: search(true, true),
    searchType: search(false, false),
    searchCompartment,
    searchTypePost: search(false, true),
    validateType: validate(false),
    validateInstance: validate(true),

    transaction: async (c) => {
      const call = await open(c, base);
      requireMedia(c, RESOURCE_MEDIA_TYPES);
      const result = await processBundle({
        ctx: call.ctx,
        input: { bundle: await readJson(c), options: { prefer: call.prefer } },
      });
      return fhirJson(call.p, 200, bundleResponseJson(call.ctx.base, result, call.prefer));
    },

    create: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      requireMedia(c, RESOURCE_MEDIA_TYPES);
      const out = await createResource({
        ctx: call.ctx,
        input: { resourceType, resource: await readJson(c), ifNoneExist: c.req.header("If-None-Exist") ?? null },
      });
      return writeReply(call, out, "Created");
    },

    conditionalUpdate: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      requireMedia(c, RESOURCE_MEDIA_TYPES);
      const out = await conditionalUpdate({
        ctx: call.ctx,
        input: {
          resourceType,
          query: criteriaQuery(call.url),
          resource: await readJson(c),
          ifMatch: c.req.header("If-Match") ?? null,
        },
      });
      return writeReply(call, out, out.status === 201 ? "Created" : "Updated");
    },

    conditionalPatch: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      const format = patchFormat(c);
      const out = await conditionalPatch({
        ctx: call.ctx,
        input: {
          resourceType,
          query: criteriaQuery(call.url),
          patch: await readJson(c),
          format,
          ifMatch: c.req.header("If-Match") ?? null,
        },
      });
      return writeReply(call, out, "Patched");
    },

    conditionalDelete: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      const out = await conditionalDelete({
        ctx: call.ctx,
        input: { resourceType, query: criteriaQuery(call.url), ifMatch: c.req.header("If-Match") ?? null },
      });
      return deleteReply(call, out);
    },

    read: async (c) => {
      const call = await open(c, base, "read");
      const resourceType = resourceTypeParam(c);
      const id = c.req.param("id") ?? "";
      const row = await readResource({
        ctx: call.ctx,
        input: { resourceType, id, prefetched: c.var.prefetchedRead },
      });
      auditRead(c, call, { action: "fhir.read", entityType: resourceType, entityId: id, outcome: 200 });
      const headers = versionHeaders(row);
      // Conditional read (FHIR R4 http.html#cread): If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
      const inm = c.req.header("If-None-Match");
      if (inm !== undefined) {
        const match = inm.trim() === "*" || inm.split(",").some((t) => versionFromEtag(t) === row.versionId);
        if (match) return new Response(null, { status: 304, headers });
      } else {
        const ims = c.req.header("If-Modified-Since");
        const since = ims ? Date.parse(ims) : Number.NaN;
        if (!Number.isNaN(since) && Math.floor(Date.parse(row.lastUpdated) / 1000) <= Math.floor(since / 1000)) {
          return new Response(null, { status: 304, headers });
        }
      }
      return fhirJson(call.p, 200, shapedBody(call.url, row.body), headers);
    },

    vread: async (c) => {
      const call = await open(c, base, "read");
      const resourceType = resourceTypeParam(c);
      const id = c.req.param("id") ?? "";
      const row = await vreadResource({
        ctx: call.ctx,
        input: { resourceType, id, versionId: c.req.param("vid") ?? "" },
      });
      auditRead(c, call, { action: "fhir.vread", entityType: resourceType, entityId: id, outcome: 200 });
      return fhirJson(call.p, 200, shapedBody(call.url, row.body), versionHeaders(row));
    },

    update: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      requireMedia(c, RESOURCE_MEDIA_TYPES);
      const out = await updateResource({
        ctx: call.ctx,
        input: {
          resourceType,
          id: c.req.param("id") ?? "",
          resource: await readJson(c),
          ifMatch: c.req.header("If-Match") ?? null,
          prefetched: c.var.prefetchedRead,
        },
      });
      return writeReply(call, out, out.status === 201 ? "Created" : "Updated");
    },

    patch: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      const format = patchFormat(c);
      const out = await patchResource({
        ctx: call.ctx,
        input: {
          resourceType,
          id: c.req.param("id") ?? "",
          patch: await readJson(c),
          format,
          ifMatch: c.req.header("If-Match") ?? null,
          prefetched: c.var.prefetchedRead,
        },
      });
      return writeReply(call, out, "Patched");
    },

    delete: async (c) => {
      const call = await open(c, base);
      const resourceType = resourceTypeParam(c);
      const out = await deleteResource({
        ctx: call.ctx,
        input: { resourceType, id: c.req.param("id") ?? "", ifMatch: c.req.header("If-Match") ?? null },
      });
      return deleteReply(call, out);
    },
  };
}
