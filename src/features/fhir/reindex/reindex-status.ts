/**
 * `GET [base]/$reindex-status/{jobId}` (Bulk Data style, as for $export): 202 with `X-Progress` while the
 * job runs, 200 with the result Parameters once it completed (or was superseded by a newer $reindex). A
 * job answers only in its own store, to callers who may reindex what it covers.
 */
import { nowIso } from "../../../platform/clock";
import { AppError, errors } from "../../../platform/errors";
import type { FhirCtx } from "../fhir-ctx";
import { findStoreJob, type ReindexJob } from "./reindex-job-row";
import { REINDEX_JOB } from "./run-reindex-job";
import { authorizeReindex } from "./start-reindex";

/** A running job nobody has touched for this long (lost message, dead consumer) is queued again. */
const STALL_MS = 30_000;

export type ReindexStatusResult = { state: "running"; progress: string } | { state: "done"; job: ReindexJob };

export async function readReindexStatus({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { jobId: string };
}): Promise<ReindexStatusResult> {
  const db = ctx.services.db;
  const job = await findStoreJob(db, ctx.store.id, input.jobId);
  if (!job) throw errors.notFound(`Reindex job '${input.jobId}' is not known`, { code: "reindex_not_found" });
  authorizeReindex(ctx, job.resourceType);
  if (job.status === "failed")
    throw new AppError("internal", `The reindex failed: ${job.error ?? "unknown error"}`, { code: "reindex_failed" });
  if (job.status !== "in-progress") return { state: "done", job };
  const stale = await db
    .prepare(
      `UPDATE fhir_reindex_jobs SET updated_at = ?2
       WHERE id = ?1 AND status = 'in-progress' AND lease_until < ?3 AND updated_at < ?4 RETURNING id`,
    )
    .bind(job.id, nowIso(), Date.now(), new Date(Date.now() - STALL_MS).toISOString())
    .first();
  if (stale) await ctx.services.jobs.send({ type: REINDEX_JOB, jobId: job.id });
  return { state: "running", progress: `${job.processed} of ${job.total} resources reindexed` };
}

/** The result of a finished job (FHIR Parameters; `outcome` carries the summary and any warnings). */
export function reindexParameters(job: ReindexJob): Record<string, unknown> {
  const what = job.resourceType ?? "every type";
  const summary =
    job.status === "cancelled"
      ? `Superseded by a newer $reindex after ${job.processed} of ${job.total} resources (${what})`
      : `Reindexed ${job.processed} resources (${what}) with ${job.params} custom search parameter(s)`;
  return {
    resourceType: "Parameters",
    parameter: [
      { name: "status", valueCode: job.status },
      { name: "job", valueString: job.id },
      { name: "reindexed", valueInteger: job.processed },
      { name: "total", valueInteger: job.total },
      { name: "searchParameters", valueInteger: job.params },
      {
        name: "outcome",
        resource: {
          resourceType: "OperationOutcome",
          issue: [
            { severity: "information", code: "informational", diagnostics: summary },
            ...job.issues.map((i) => ({ severity: i.severity ?? "warning", code: i.code, diagnostics: i.diagnostics })),
          ],
        },
      },
    ],
  };
}
