/**
 * $reindex routes on the three FHIR bases:
 *   POST [base]/$reindex               every resource of the store → 200 Parameters, or 202 + Content-Location
 *   POST [base]/{type}/$reindex        one type
 *   GET  [base]/$reindex-status/{id}   202 + X-Progress while running, 200 Parameters when done
 * `Prefer: respond-async` always answers 202. Mounted through `operationRouters` in
 * src/features/fhir/index.ts, before the generic routes that would read `$reindex` as a type or id.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../../env";
import { bearerOrApiKey, errorResponses, pathParam } from "../../../platform/openapi-schemas";
import { createRouter } from "../../../platform/router";
import { openFhirCtx } from "../everything/open-fhir-ctx";
import { FHIR_BASES, type FhirBase, fhirAuth } from "../fhir.routes";
import { parsePrefer, presentation } from "../http/negotiate";
import { fhirJson, informationOutcome } from "../http/respond";
import { readReindexStatus, reindexParameters } from "./reindex-status";
import { startReindex } from "./start-reindex";

export const reindexRouter = createRouter();

type C = Context<AppEnv>;

const json = (description: string) => ({
  "application/fhir+json": { schema: { type: "object" as const, description } },
});
const fhirErrors = () => errorResponses("fhir", [400, 401, 403, 404, 406, 429, 500]);

const wantsAsync = (c: C) => parsePrefer(c.req.header("Prefer")).respondAsync === true;

function reindexRoute(base: FhirBase, typeLevel: boolean) {
  const route = createRoute({
    method: "post",
    path: `${base.prefix}${typeLevel ? "/{type}" : ""}/$reindex`,
    tags: [base.tag],
    summary: typeLevel
      ? "Activate the store's SearchParameters for a type and rebuild that type's search indexes"
      : "Activate the store's SearchParameters and rebuild its search indexes",
    description:
      "Validates the SearchParameter resources of the store (400 naming a bad one), makes them searchable, and re-indexes the resources. Small stores complete in the request (200 Parameters with the count); bigger ones, or `Prefer: respond-async`, continue in the background (202, poll Content-Location).",
    security: bearerOrApiKey,
    middleware: [fhirAuth(base)],
    request: {
      params: z.object({
        ...(base.hasStore ? { storeId: pathParam("storeId", "The FHIR store id") } : {}),
        ...(typeLevel ? { type: pathParam("type", "A FHIR R4 resource type, e.g. Patient") } : {}),
      }),
    },
    responses: {
      200: {
        description: "Reindexed: Parameters (status, reindexed, total, searchParameters, outcome)",
        content: json("Parameters"),
      },
      202: {
        description: "Accepted; poll the URL in Content-Location",
        headers: { "Content-Location": { schema: { type: "string" }, description: "The status URL" } },
        content: json("OperationOutcome (informational)"),
      },
      ...fhirErrors(),
    },
  });
  reindexRouter.openapi(route, (async (c: C) => {
    const p = presentation(new URL(c.req.url), c.req.header("Accept"));
    const ctx = await openFhirCtx(c, base);
    const started = await startReindex({
      ctx,
      input: { resourceType: typeLevel ? (c.req.param("type") ?? "") : null, respondAsync: wantsAsync(c) },
    });
    if (started.state === "completed") return fhirJson(p, 200, reindexParameters(started.job));
    return fhirJson(
      p,
      202,
      informationOutcome(
        `Reindex ${started.job.id} accepted (${started.job.total} resources); poll ${started.statusUrl}`,
      ),
      { "Content-Location": started.statusUrl },
    );
  }) as never);
}

function statusRoute(base: FhirBase) {
  const route = createRoute({
    method: "get",
    path: `${base.prefix}/$reindex-status/{jobId}`,
    tags: [base.tag],
    summary: "$reindex status: 202 + X-Progress while running, 200 Parameters when done",
    security: bearerOrApiKey,
    middleware: [fhirAuth(base)],
    request: {
      params: z.object({
        ...(base.hasStore ? { storeId: pathParam("storeId", "The FHIR store id") } : {}),
        jobId: pathParam("jobId", "The reindex job id"),
      }),
    },
    responses: {
      200: { description: "Done: Parameters", content: json("Parameters") },
      202: { description: "Still running (X-Progress)" },
      ...fhirErrors(),
    },
  });
  reindexRouter.openapi(route, (async (c: C) => {
    const p = presentation(new URL(c.req.url), c.req.header("Accept"));
    const ctx = await openFhirCtx(c, base);
    const status = await readReindexStatus({ ctx, input: { jobId: c.req.param("jobId") ?? "" } });
    if (status.state === "running")
      return new Response(null, { status: 202, headers: { "X-Progress": status.progress, "Retry-After": "2" } });
    return fhirJson(p, 200, reindexParameters(status.job));
  }) as never);
}

for (const base of FHIR_BASES) {
  reindexRoute(base, false);
  reindexRoute(base, true);
  statusRoute(base);
}
