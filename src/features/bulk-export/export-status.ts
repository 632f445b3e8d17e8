/**
 * Status, cancellation and file download of an export (Bulk Data export.html#bulk-data-status-request,
 * #bulk-data-delete-request, #file-request). A job answers only to the credential that started it, in
 * the store it was started on: anyone else gets 404, as for an unknown job.
 */
import { nowIso } from "../../platform/clock";
import { AppError, errors } from "../../platform/errors";
import type { FhirCtx } from "../fhir/fhir-ctx";
import { type ExportJob, exportPrefix, findOwnJob, markCancelled, touchStalled } from "./export-job-row";
import { BULK_EXPORT_JOB } from "./kick-off-export";
import { removeExportFiles } from "./run-export-job";

/** A running job whose lease lapsed this long ago without progress is queued again when polled. */
const STALL_MS = 30_000;

const notFoundJob = (id: string) => errors.notFound(`Export job '${id}' is not known`, { code: "export_not_found" });

async function ownJob(ctx: FhirCtx, jobId: string): Promise<ExportJob> {
  const p = ctx.principal;
  const job = await findOwnJob(
    ctx.services.db,
    { orgId: p.orgId, storeId: ctx.store.id, credentialId: p.credentialId },
    jobId,
  );
  if (!job) throw notFoundJob(jobId);
  return job;
}

export interface ExportManifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: true;
  output: { type: string; url: string; count: number }[];
  deleted: never[];
  error: { type: string; url: string; count: number }[];
}

export type ExportStatusResult =
  | { state: "running"; progress: string }
  | { state: "completed"; manifest: ExportManifest };

export const fileUrl = (job: ExportJob, file: string) => `${job.baseUrl}/$export-file/${job.id}/${file}`;

export async function readExportStatus({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { jobId: string };
}): Promise<ExportStatusResult> {
  const job = await ownJob(ctx, input.jobId);
  if (job.status === "failed") {
    throw new AppError("internal", `The export failed: ${job.error ?? "unknown error"}`, {
      code: "export_failed",
      reported: true,
    });
  }
  if (job.status === "completed") {
    return {
      state: "completed",
      manifest: {
        transactionTime: job.transactionTime,
        request: job.requestUrl,
        requiresAccessToken: true,
        output: job.output.map((f) => ({ type: f.type, url: fileUrl(job, f.file), count: f.count })),
        deleted: [],
        error: job.errors.map((f) => ({ type: f.type, url: fileUrl(job, f.file), count: f.count })),
      },
    };
  }
  // Self-healing: a job nobody works on (its message was lost, or the consumer died) is queued again.
  const at = nowIso();
  if (await touchStalled(ctx.services.db, job.id, new Date(Date.now() - STALL_MS).toISOString(), at)) {
    await ctx.services.jobs.send({ type: BULK_EXPORT_JOB, jobId: job.id });
  }
  return {
    state: "running",
    progress: job.progress ?? (job.status === "accepted" ? "accepted, waiting to start" : "in progress"),
  };
}

/** DELETE: stops the job (the consumer notices at its next save) and removes its files. */
export async function cancelExport({ ctx, input }: { ctx: FhirCtx; input: { jobId: string } }): Promise<void> {
  const job = await ownJob(ctx, input.jobId);
  await markCancelled(ctx.services.db, job.id, nowIso());
  await removeExportFiles(ctx.services.blobs, job.orgId, job.id);
}

const FILE_RE = /^[A-Z][A-Za-z]{1,63}-\d{1,9}\.ndjson$/;

/** One output or error file of a completed job, as an R2 object body. */
export async function readExportFile({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { jobId: string; file: string };
}): Promise<{ body: ReadableStream; size: number }> {
  const job = await ownJob(ctx, input.jobId);
  const listed = [...job.output, ...job.errors].some((f) => f.file === input.file);
  if (job.status !== "completed" || !FILE_RE.test(input.file) || !listed) {
    throw errors.notFound(`Export file '${input.file}' is not known`, { code: "export_file_not_found" });
  }
  const object = await ctx.services.blobs.get(exportPrefix(job.orgId, job.id) + input.file);
  if (!object)
    throw errors.notFound(`Export file '${input.file}' is no longer available`, { code: "export_file_not_found" });
  return { body: object.body, size: object.size };
}
