/**
 * FHIR Bulk Data Access v2 routes on the three FHIR bases (export.html):
 *   GET|POST [base]/$export, [base]/Patient/$export, [base]/Group/{id}/$export   kick-off → 202
 *   GET    [base]/$export-status/{jobId}   202 + X-Progress while running, 200 + manifest when done
 *   DELETE [base]/$export-status/{jobId}   cancel → 202
 *   GET    [base]/$export-file/{jobId}/{file}   an NDJSON file (same credential)
 * Mounted through `operationRouters` in src/features/fhir/index.ts, before the generic routes that
 * would otherwise read `$export` as a resource type or id.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { limitBody } from "../../middleware/body";
import { errors } from "../../platform/errors";
import { bearerOrApiKey, errorResponses, pathParam } from "../../platform/openapi-schemas";
import { createRouter } from "../../platform/router";
import { recordAudit } from "../audit/record-audit";
import { openFhirCtx } from "../fhir/everything/open-fhir-ctx";
import { FHIR_BASES, type FhirBase, fhirAuth } from "../fhir/fhir.routes";
import { RESOURCE_MEDIA_TYPES, readJson, requireMedia } from "../fhir/http/body";
import { parsePrefer, presentation } from "../fhir/http/negotiate";
import { informationOutcome } from "../fhir/http/respond";
import { MAX_RESOURCE_BODY_BYTES } from "../fhir/limits";
import { customParamsOf } from "../fhir/search/custom-params";
import { type ExportLevel, parametersOf, parseExportParams, type RawParam } from "./export-params";
import { cancelExport, readExportFile, readExportStatus } from "./export-status";
import { kickOffExport } from "./kick-off-export";

export const bulkExportRouter = createRouter();

type C = Context<AppEnv>;

const repeatable = () => z.union([z.string(), z.array(z.string())]).optional();
const kickOffQuery = z.object({
  _outputFormat: repeatable().openapi({
    description: "application/fhir+ndjson (the only format)",
    example: "application/fhir+ndjson",
  }),
  _since: repeatable().openapi({
    description: "Only resources changed at or after this instant",
    example: "2026-02-27T12:00:00Z",
  }),
  _type: repeatable().openapi({ description: "Comma-separated resource types", example: "Patient,Observation" }),
  _typeFilter: repeatable().openapi({
    description: "Type?search queries limiting a type",
    example: "Observation?category=laboratory",
  }),
});
const json = (description: string) => ({
  "application/fhir+json": { schema: { type: "object" as const, description } },
});
const fhirErrors = (...extra: number[]) => errorResponses("fhir", [400, 401, 403, 404, 406, 429, 500, ...extra]);

/** Bulk Data requires `Prefer: respond-async` on kick-off (export.html#headers). */
function preferences(c: C): { lenient: boolean } {
  const prefer = parsePrefer(c.req.header("Prefer"));
  if (!prefer.respondAsync) {
    throw errors.invalid("Bulk export runs asynchronously: send the header 'Prefer: respond-async'", {
      code: "respond_async_required",
    });
  }
  return { lenient: prefer.handling === "lenient" };
}

function audit(
  c: C,
  ctx: Parameters<typeof recordAudit>[0],
  storeId: string,
  action: string,
  entityId: string | null,
  detail: string | null,
) {
  const done = recordAudit(ctx, { action, storeId, entityType: null, entityId, outcome: 200, detail });
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // Outside the Worker runtime the promise completes on its own.
  }
}

function kickOff(base: FhirBase, level: ExportLevel, method: "get" | "post") {
  const sub = level === "system" ? "/$export" : level === "patient" ? "/Patient/$export" : "/Group/{id}/$export";
  const route = createRoute({
    method,
    path: `${base.prefix}${sub}`,
    tags: [base.tag],
    summary: `Bulk Data export kick-off (${level} level${method === "post" ? ", Parameters body" : ""}); needs Prefer: respond-async`,
    security: bearerOrApiKey,
    middleware: method === "post" ? [fhirAuth(base), limitBody(MAX_RESOURCE_BODY_BYTES)] : [fhirAuth(base)],
    request: {
      params: z.object({
        ...(base.hasStore ? { storeId: pathParam("storeId", "The FHIR store id") } : {}),
        ...(level === "group" ? { id: pathParam("id", "The Group id") } : {}),
      }),
      query: kickOffQuery,
      ...(method === "post"
        ? { body: { required: false, content: json("A Parameters resource with the export parameters") } }
        : {}),
    },
    responses: {
      202: {
        description: "Accepted; poll the URL in Content-Location",
        headers: { "Content-Location": { schema: { type: "string" }, description: "The status URL" } },
        content: json("OperationOutcome (informational)"),
      },
      ...fhirErrors(413, 415),
    },
  });
  bulkExportRouter.openapi(route, (async (c: C) => {
    presentation(new URL(c.req.url), c.req.header("Accept"));
    const { lenient } = preferences(c);
    const raw: RawParam[] = [...new URL(c.req.url).searchParams].filter(([k]) => k !== "_format" && k !== "_pretty");
    if (method === "post" && (await c.req.raw.clone().text()).trim()) {
      requireMedia(c, RESOURCE_MEDIA_TYPES);
      raw.push(...parametersOf(await readJson(c)));
    }
    const ctx = await openFhirCtx(c, base);
    // `_typeFilter` may use the store's custom search parameters: parsed once the store is known.
    const custom = await customParamsOf(ctx.services.db, ctx.store.id, ctx.store.searchParamsVersion);
    const params = parseExportParams(raw, level, lenient, custom);
    const groupId = level === "group" ? (c.req.param("id") ?? "") : null;
    const { jobId, statusUrl } = await kickOffExport({ ctx, input: { level, groupId, params, requestUrl: c.req.url } });
    audit(c, ctx, ctx.store.id, "fhir.export", jobId, [level, ...new Set(raw.map(([k]) => k))].join(","));
    return new Response(JSON.stringify(informationOutcome(`Export ${jobId} accepted; poll ${statusUrl}`)), {
      status: 202,
      headers: { "Content-Type": "application/fhir+json; charset=utf-8", "Content-Location": statusUrl },
    });
  }) as never);
}

function statusRoutes(base: FhirBase) {
  const params = z.object({
    ...(base.hasStore ? { storeId: pathParam("storeId", "The FHIR store id") } : {}),
    jobId: pathParam("jobId", "The export job id"),
  });
  bulkExportRouter.openapi(
    createRoute({
      method: "get",
      path: `${base.prefix}/$export-status/{jobId}`,
      tags: [base.tag],
      summary: "Bulk Data export status: 202 + X-Progress while running, 200 + manifest when complete",
      security: bearerOrApiKey,
      middleware: [fhirAuth(base)],
      request: { params },
      responses: {
        200: {
          description: "Complete: the manifest",
          content: { "application/json": { schema: { type: "object" as const } } },
        },
        202: { description: "Still running (X-Progress)" },
        ...fhirErrors(),
      },
    }),
    (async (c: C) => {
      const ctx = await openFhirCtx(c, base);
      const status = await readExportStatus({ ctx, input: { jobId: c.req.param("jobId") ?? "" } });
      if (status.state === "running") {
        return new Response(null, { status: 202, headers: { "X-Progress": status.progress, "Retry-After": "2" } });
      }
      return new Response(JSON.stringify(status.manifest), {
        status: 200,
        headers: { "Content-Type": "application/json; charset=utf-8" },
      });
    }) as never,
  );
  bulkExportRouter.openapi(
    createRoute({
      method: "delete",
      path: `${base.prefix}/$export-status/{jobId}`,
      tags: [base.tag],
      summary: "Cancel a Bulk Data export and delete its files",
      security: bearerOrApiKey,
      middleware: [fhirAuth(base)],
      request: { params },
      responses: {
        202: { description: "Cancelled", content: json("OperationOutcome (informational)") },
        ...fhirErrors(),
      },
    }),
    (async (c: C) => {
      const ctx = await openFhirCtx(c, base);
      const jobId = c.req.param("jobId") ?? "";
      await cancelExport({ ctx, input: { jobId } });
      return new Response(JSON.stringify(informationOutcome(`Export ${jobId} cancelled; its files are deleted`)), {
        status: 202,
        headers: { "Content-Type": "application/fhir+json; charset=utf-8" },
      });
    }) as never,
  );
  bulkExportRouter.openapi(
    createRoute({
      method: "get",
      path: `${base.prefix}/$export-file/{jobId}/{file}`,
      tags: [base.tag],
      summary: "Download one NDJSON file of a completed export",
      security: bearerOrApiKey,
      middleware: [fhirAuth(base)],
      request: {
        params: z.object({
          ...(base.hasStore ? { storeId: pathParam("storeId", "The FHIR store id") } : {}),
          jobId: pathParam("jobId", "The export job id"),
          file: pathParam("file", "A file name from the manifest, e.g. Observation-1.ndjson"),
        }),
      },
      responses: {
        200: {
          description: "NDJSON, one resource per line",
          content: { "application/fhir+ndjson": { schema: { type: "string" as const } } },
        },
        ...fhirErrors(),
      },
    }),
    (async (c: C) => {
      const ctx = await openFhirCtx(c, base);
      const jobId = c.req.param("jobId") ?? "";
      const file = c.req.param("file") ?? "";
      const out = await readExportFile({ ctx, input: { jobId, file } });
      audit(c, ctx, ctx.store.id, "fhir.export-file", jobId, file);
      return new Response(out.body, {
        status: 200,
        headers: { "Content-Type": "application/fhir+ndjson", "Content-Length": String(out.size) },
      });
    }) as never,
  );
}

for (const base of FHIR_BASES) {
  for (const level of ["system", "patient", "group"] as ExportLevel[]) {
    kickOff(base, level, "get");
    kickOff(base, level, "post");
  }
  statusRoutes(base);
}
