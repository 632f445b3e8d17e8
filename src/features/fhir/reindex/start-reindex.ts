/**
 * `POST [base]/$reindex` and `POST [base]/{type}/$reindex`: activates the store's SearchParameter
 * resources as custom search parameters and rebuilds the index rows of the store (or of one type) with
 * them. Needs write access to every type (system level) or to the type (type level); patient-context
 * credentials may not reindex.
 *
 * 1. The SearchParameters are validated (validate-search-parameters.ts); an error → 400 naming them.
 * 2. One batch replaces the store's active definitions (all of them, or the type's), bumps
 *    `fhir_stores.search_params_version` (writes index with the new set from now on), supersedes running
 *    jobs it covers and records the job.
 * 3. The job runs in the request up to INLINE_LIMITS (a store of up to ~2,000 resources completes: 200
 *    with the count); a bigger store, or `Prefer: respond-async`, continues on the JOBS queue: 202 with
 *    `Content-Location: [base]/$reindex-status/{jobId}`.
 */
import { nowIso } from "../../../platform/clock";
import { AppError, type ErrorIssue, errors } from "../../../platform/errors";
import { prefixedId } from "../../../platform/ids";
import { logError } from "../../../platform/logging";
import { auditStatement } from "../../audit/record-audit";
import { forgetStore } from "../../stores/open-store";
import { authorize } from "../access";
import type { FhirCtx } from "../fhir-ctx";
import { type CustomParamDetail, type CustomParamSpec, forgetCustomParams } from "../search/custom-params";
import { isResourceType } from "../search/definitions";
import { findStoreJob, insertJobStatement, type ReindexJob, supersedeStatement } from "./reindex-job-row";
import { INLINE_LIMITS, REINDEX_JOB, type ReindexLimits, type ReindexStep, runReindexStep } from "./run-reindex-job";
import { checkSearchParameters, MAX_CUSTOM_PARAMS, type StoredSearchParameter } from "./validate-search-parameters";

/** SearchParameter resources a store may hold for $reindex to look at. */
const MAX_SEARCH_PARAMETERS = 1_000;

export type ReindexStart =
  | { state: "completed"; job: ReindexJob }
  | { state: "accepted"; job: ReindexJob; statusUrl: string };

/** Checks the caller may reindex `resourceType` (null = the whole store). */
export function authorizeReindex(ctx: FhirCtx, resourceType: string | null): void {
  if (resourceType !== null && !isResourceType(resourceType))
    throw new AppError("invalid", `Unknown resource type '${resourceType}'`, {
      issues: [{ severity: "error", code: "not-supported", diagnostics: `Unknown resource type '${resourceType}'` }],
    });
  const grant = authorize(ctx, "update", resourceType ?? "*");
  if (grant.patientId !== null)
    throw errors.forbidden("A patient-context credential may not reindex a store", {
      details: { interaction: "update", resourceType: resourceType ?? "*" },
    });
}

async function loadSearchParameters(db: D1Database, storeId: string): Promise<StoredSearchParameter[]> {
  const { results } = await db
    .prepare(
      `SELECT id, body FROM fhir_resources WHERE store_id = ?1 AND resource_type = 'SearchParameter' AND deleted = 0
       ORDER BY id LIMIT ?2`,
    )
    .bind(storeId, MAX_SEARCH_PARAMETERS + 1)
    .all<{ id: string; body: string }>();
  if (results.length > MAX_SEARCH_PARAMETERS)
    throw new AppError("invalid", `The store holds more than ${MAX_SEARCH_PARAMETERS} SearchParameter resources`, {
      issues: [
        {
          severity: "error",
          code: "too-costly",
          diagnostics: `The store holds more than ${MAX_SEARCH_PARAMETERS} SearchParameter resources (at most ${MAX_CUSTOM_PARAMS} can be active)`,
        },
      ],
    });
  return results.map((r) => ({ id: r.id, resource: JSON.parse(r.body) as Record<string, unknown> }));
}

function definitionRows(specs: CustomParamSpec[]): string {
  return JSON.stringify(
    specs.map((s) => {
      const detail: CustomParamDetail = {
        ...(s.targets ? { targets: s.targets } : {}),
        ...(s.components ? { components: s.components } : {}),
      };
      return [s.resourceType, s.code, s.type, s.expression, JSON.stringify(detail), s.sourceId, s.url];
    }),
  );
}

export async function startReindex(
  {
    ctx,
    input,
  }: {
    ctx: FhirCtx;
    input: { resourceType: string | null; respondAsync: boolean };
  },
  limits: ReindexLimits = INLINE_LIMITS,
): Promise<ReindexStart> {
  authorizeReindex(ctx, input.resourceType);
  const db = ctx.services.db;
  const storeId = ctx.store.id;
  const {
    specs,
    errors: problems,
    warnings,
  } = checkSearchParameters(await loadSearchParameters(db, storeId), input.resourceType);
  if (problems.length)
    throw new AppError("invalid", problems.map((p) => p.diagnostics).join("; "), {
      code: "invalid_search_parameter",
      issues: problems,
    });

  const total = await db
    .prepare(
      input.resourceType === null
        ? "SELECT count(*) AS n FROM fhir_resources WHERE store_id = ?1 AND deleted = 0"
        : "SELECT count(*) AS n FROM fhir_resources WHERE store_id = ?1 AND resource_type = ?2 AND deleted = 0",
    )
    .bind(...(input.resourceType === null ? [storeId] : [storeId, input.resourceType]))
    .first<{ n: number }>();
  const at = nowIso();
  const issues: ErrorIssue[] = warnings;
  const job = {
    id: prefixedId("rix"),
    orgId: ctx.principal.orgId,
    storeId,
    resourceType: input.resourceType,
    total: Number(total?.n ?? 0),
    params: specs.length,
    issues,
  };
  await db.batch([
    db
      .prepare("DELETE FROM fhir_search_custom_params WHERE store_id = ?1 AND (?2 IS NULL OR resource_type = ?2)")
      .bind(storeId, input.resourceType),
    db
      .prepare(
        `INSERT INTO fhir_search_custom_params (store_id, resource_type, code, type, expression, detail, source_id, url)
         SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6 FROM json_each(?2)`,
      )
      .bind(storeId, definitionRows(specs)),
    db.prepare("UPDATE fhir_stores SET search_params_version = search_params_version + 1 WHERE id = ?1").bind(storeId),
    supersedeStatement(db, storeId, input.resourceType, at),
    insertJobStatement(db, job, at),
    auditStatement(ctx, {
      action: "fhir.reindex",
      entityType: input.resourceType,
      entityId: job.id,
      storeId,
      outcome: 200,
      detail: `params=${specs.length} resources=${job.total}`,
    }),
  ]);
  // This isolate sees the new definitions at once (others within a few seconds, custom-params.ts).
  forgetCustomParams(storeId);
  forgetStore(storeId);

  const statusUrl = `${ctx.base}/$reindex-status/${job.id}`;
  let step: ReindexStep = "continue";
  if (!input.respondAsync) {
    try {
      step = await runReindexStep(db, job.id, limits);
    } catch (err) {
      // The job is released; the queue retries it (the caller polls the status URL).
      logError(`reindex:${job.id}`, err);
    }
  }
  const current = await findStoreJob(db, storeId, job.id);
  if (!current) throw errors.notFound("The store no longer exists");
  if (step === "completed" || step === "failed" || current.status !== "in-progress")
    return current.status === "completed"
      ? { state: "completed", job: current }
      : { state: "accepted", job: current, statusUrl };
  await ctx.services.jobs.send({ type: REINDEX_JOB, jobId: job.id });
  return { state: "accepted", job: current, statusUrl };
}
