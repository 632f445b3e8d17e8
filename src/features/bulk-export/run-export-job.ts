/**
 * The bulk export consumer (JOBS queue, message `{ type: "bulk-export", jobId }`). Each invocation takes
 * the job's lease, exports type after type by keyset pages of the search index, and writes NDJSON files
 * to R2 under `exports/{orgId}/{jobId}/{Type}-{n}.ndjson`, starting a new file every `fileBytes`. The
 * cursor (type, last rid, file numbers) is saved in the job row each time a file is complete, so when the
 * invocation's budget is spent it closes its file, saves, and queues a continuation: a store of any size
 * is exported by as many invocations as it needs, and a crash resumes from the last complete file (a
 * file being written is simply written again under the same name).
 *
 * The caller's access recorded at kick-off applies to every page: readable types only, v2 query
 * constraints, patient context (its own compartment only), and consent (patients without an active
 * permitting Consent are left out, evaluated when each invocation starts).
 */
import type { AuthedCtx } from "../../context";
import type { JobMessage } from "../../jobs";
import { nowIso } from "../../platform/clock";
import { AppError } from "../../platform/errors";
import { logError, logEvent } from "../../platform/logging";
import { createServices } from "../../services";
import type { Principal } from "../auth/principal";
import { parseScopes } from "../auth/scopes";
import { consentedPatients } from "../consent/consent-decision";
import { isCompartmentType } from "../fhir/everything/compartment";
import { loadScopeKeys, readGrant } from "../fhir/everything/read-grants";
import type { FhirCtx } from "../fhir/fhir-ctx";
import { customParamsOf } from "../fhir/search/custom-params";
import { parseDateRange } from "../fhir/search/values";
import { requireOrgStore } from "../stores/store-row";
import {
  claimJob,
  completeJob,
  type ExportCursor,
  type ExportFile,
  type ExportJob,
  exportPrefix,
  failJob,
  findJob,
  releaseJob,
  saveProgress,
} from "./export-job-row";
import { exportPageQuery, type PageRow, type TypeExportPlan } from "./export-query";
import { readGroupPatients } from "./group-members";
import { BULK_EXPORT_JOB } from "./kick-off-export";
import { NdjsonFile } from "./ndjson-file";

export interface ExportLimits {
  /** Start a new file once one holds about this many bytes. */
  fileBytes: number;
  /** Multipart part size (at least 5 MiB). */
  partBytes: number;
  /** Rows per D1 read. */
  pageRows: number;
  /** Work per invocation before it hands over to a continuation message. */
  budgetMs: number;
  maxRows: number;
  /** How long an invocation owns the job without renewing; longer than any single page takes. */
  leaseMs: number;
}

export const DEFAULT_EXPORT_LIMITS: ExportLimits = {
  fileBytes: 64 * 1024 * 1024,
  partBytes: 8 * 1024 * 1024,
  pageRows: 500,
  budgetMs: 25_000,
  maxRows: 250_000,
  leaseMs: 120_000,
};

/** Failed invocations in a row before the job is marked failed (the queue retries in between). */
const MAX_FAILURES = 3;

export type StepResult = "completed" | "continue" | "idle" | "cancelled" | "failed";

/** JOBS queue handler for `bulk-export` messages (register it in src/jobs.ts). */
export async function handleBulkExportJob(env: Env, message: JobMessage): Promise<void> {
  const jobId = typeof message.jobId === "string" ? message.jobId : null;
  if (!jobId) {
    logEvent("bulk_export_bad_message", {});
    return;
  }
  const result = await runExportStep(env, jobId);
  if (result === "continue") await env.JOBS.send({ type: BULK_EXPORT_JOB, jobId });
}

/** R2 objects of a job, all of them (cancellation, cleanup). */
export async function removeExportFiles(bucket: R2Bucket, orgId: string, jobId: string): Promise<void> {
  const prefix = exportPrefix(orgId, jobId);
  let cursor: string | undefined;
  do {
    const list = await bucket.list({ prefix, cursor });
    if (list.objects.length) await bucket.delete(list.objects.map((o) => o.key));
    cursor = list.truncated ? list.cursor : undefined;
  } while (cursor);
}

function jobCtx(env: Env, job: ExportJob): AuthedCtx {
  const principal: Principal = {
    orgId: job.orgId,
    credentialId: job.credentialId,
    credentialKind: job.access.credentialKind,
    clientId: job.access.clientId,
    scopes: parseScopes(job.access.scopes).scopes,
    storeId: null,
    patientId: job.access.patientId,
    consentRequired: job.access.consentRequired,
  };
  return {
    services: createServices(env),
    requestId: `export:${job.id}`,
    origin: new URL(job.baseUrl).origin,
    principal,
  };
}

/** Runs one invocation's worth of a job. */
export async function runExportStep(
  env: Env,
  jobId: string,
  limits: ExportLimits = DEFAULT_EXPORT_LIMITS,
): Promise<StepResult> {
  const db = env.DB;
  const job = await claimJob(db, jobId, limits.leaseMs, nowIso());
  if (!job) {
    const current = await findJob(db, jobId);
    if (current?.status === "cancelled") await removeExportFiles(env.BLOBS, current.orgId, current.id);
    return "idle";
  }
  const run = new ExportRun(env, job, limits);
  try {
    return await run.step();
  } catch (err) {
    await run.abortFile();
    const failures = (run.persisted.failures ?? 0) + 1;
    const permanent = err instanceof AppError && err.status < 500;
    if (permanent || failures >= MAX_FAILURES) {
      if (permanent) logEvent("bulk_export_failed", { jobId, reason: (err as AppError).message });
      else logError(`export:${jobId}`, err);
      await failJob(db, jobId, err instanceof AppError ? err.message : "The export failed unexpectedly", nowIso());
      await removeExportFiles(env.BLOBS, job.orgId, jobId);
      return "failed";
    }
    await releaseJob(db, jobId, { ...run.persisted, failures }, nowIso());
    throw err;
  }
}

class ExportRun {
  persisted: ExportCursor;
  private output: ExportFile[];
  private file: NdjsonFile | null = null;
  private fileType = "";
  private readonly started = Date.now();
  private rows = 0;

  constructor(
    private readonly env: Env,
    private readonly job: ExportJob,
    private readonly limits: ExportLimits,
  ) {
    this.persisted = { ...job.cursor, failures: job.cursor.failures ?? 0 };
    this.output = [...job.output];
  }

  private get db() {
    return this.env.DB;
  }

  async abortFile(): Promise<void> {
    try {
      await this.file?.abort();
    } catch {
      // The upload may already be gone; R2 also expires abandoned uploads on its own.
    }
    this.file = null;
  }

  private progressText(types: string[], unit: number, written: number): string {
    const current = types[unit];
    return `${unit}/${types.length} resource types done, ${written} resources exported${current ? `; exporting ${current}` : ""}`;
  }

  /** Saves the cursor (and files); false when the job was cancelled meanwhile. */
  private async save(cursor: ExportCursor, types: string[]): Promise<boolean> {
    const ok = await saveProgress(this.db, this.job.id, {
      cursor,
      output: this.output,
      progress: this.progressText(types, cursor.unit ?? 0, cursor.written ?? 0),
      leaseUntil: Date.now() + this.limits.leaseMs,
      at: nowIso(),
    });
    if (ok) this.persisted = cursor;
    return ok;
  }

  private async cancelled(): Promise<StepResult> {
    await this.abortFile();
    await removeExportFiles(this.env.BLOBS, this.job.orgId, this.job.id);
    return "cancelled";
  }

  async step(): Promise<StepResult> {
    const job = this.job;
    const base = jobCtx(this.env, job);
    const store = await requireOrgStore(base, job.storeId);
    const ctx: FhirCtx = { ...base, store, base: job.baseUrl };
    const scopes = await loadScopeKeys(this.db, store.id);
    const custom = await customParamsOf(this.db, store.id, store.searchParamsVersion);
    const restricted = job.level !== "system";

    const types =
      this.persisted.types ??
      (job.params.types ?? [...scopes.keys()])
        .filter((t) => {
          const grant = readGrant(ctx, t);
          if (!grant) return false;
          return !(restricted || grant.patientId !== null) || isCompartmentType(t);
        })
        .sort();

    // Patients whose data this export covers (null = not limited to a list).
    let patients: string[] | null = job.params.patients;
    if (job.level === "group") {
      const members = await readGroupPatients(this.db, store.id, job.groupId ?? "");
      if (members === null) throw new AppError("not_found", `Group/${job.groupId} no longer exists`);
      patients = patients ? patients.filter((p) => members.includes(p)) : members;
    }
    const consentAllow = job.access.consentRequired
      ? [...(await consentedPatients(this.db, store.id, job.orgId))].sort()
      : null;
    const until = Date.parse(job.transactionTime);
    const since = job.params.since ? (parseDateRange(job.params.since)?.lo ?? null) : null;

    let unit = this.persisted.unit ?? 0;
    let afterRid = this.persisted.afterRid ?? 0;
    const fileSeq: Record<string, number> = { ...(this.persisted.fileSeq ?? {}) };
    let written = this.persisted.written ?? 0;
    // Failed invocations count until one makes progress (completes a file or a type).
    let failures = this.persisted.failures ?? 0;
    const cursorNow = (): ExportCursor => ({ types, unit, afterRid, fileSeq: { ...fileSeq }, written, failures });
    if (!(await this.save(cursorNow(), types))) return this.cancelled();

    const closeFile = async (): Promise<boolean> => {
      const file = this.file;
      if (!file) return true;
      await file.close();
      this.file = null;
      const name = file.key.slice(exportPrefix(job.orgId, job.id).length);
      this.output.push({ type: this.fileType, file: name, count: file.count });
      fileSeq[this.fileType] = (fileSeq[this.fileType] ?? 1) + 1;
      failures = 0;
      return this.save(cursorNow(), types);
    };

    while (unit < types.length) {
      const type = types[unit]!;
      const sk = scopes.get(type);
      const grant = readGrant(ctx, type);
      if (sk !== undefined && grant) {
        let typePatients = patients;
        if (grant.patientId !== null)
          typePatients = (typePatients ?? [grant.patientId]).filter((p) => p === grant.patientId);
        const plan: TypeExportPlan = {
          type,
          sk,
          patients: typePatients,
          anyPatient: restricted,
          consentAllow,
          typeFilters: job.params.typeFilters[type]?.map((q) => new URLSearchParams(q)) ?? null,
          constraints: grant.constraints,
          custom,
          since,
          until,
        };
        for (;;) {
          const q = exportPageQuery(store.id, job.baseUrl, plan, afterRid, this.limits.pageRows);
          const page = (
            await this.db
              .prepare(q.sql)
              .bind(...q.params)
              .all<PageRow>()
          ).results;
          for (const row of page) {
            if (!this.file) {
              this.fileType = type;
              const name = `${type}-${fileSeq[type] ?? 1}.ndjson`;
              this.file = new NdjsonFile(this.env.BLOBS, exportPrefix(job.orgId, job.id) + name, this.limits.partBytes);
            }
            await this.file.append(row.body);
            afterRid = row.rid;
            written++;
            this.rows++;
            if (this.file.size >= this.limits.fileBytes && !(await closeFile())) return this.cancelled();
          }
          if (page.length < this.limits.pageRows) break;
          if (Date.now() - this.started > this.limits.budgetMs || this.rows >= this.limits.maxRows) {
            // Hand over: finish the open file so the saved cursor sits on a file boundary.
            if (this.file ? !(await closeFile()) : !(await this.save(cursorNow(), types))) return this.cancelled();
            await releaseJob(this.db, job.id, this.persisted, nowIso());
            return "continue";
          }
        }
        if (!(await closeFile())) return this.cancelled();
      }
      unit++;
      afterRid = 0;
      failures = 0;
      if (!(await this.save(cursorNow(), types))) return this.cancelled();
    }

    const errorsOut: ExportFile[] = [];
    if (job.params.deniedTypes.length) {
      // Not "OperationOutcome-1": stored OperationOutcome resources may be exported under that name.
      const name = "ExportErrors-1.ndjson";
      const file = new NdjsonFile(this.env.BLOBS, exportPrefix(job.orgId, job.id) + name, this.limits.partBytes);
      for (const t of job.params.deniedTypes) {
        await file.append(
          JSON.stringify({
            resourceType: "OperationOutcome",
            issue: [
              {
                severity: "error",
                code: "forbidden",
                diagnostics: `${t} resources were not exported: this credential's scopes do not allow reading them`,
                expression: [t],
              },
            ],
          }),
        );
      }
      await file.close();
      errorsOut.push({ type: "OperationOutcome", file: name, count: file.count });
    }
    const done = await completeJob(this.db, job.id, {
      cursor: cursorNow(),
      output: this.output,
      errors: errorsOut,
      at: nowIso(),
    });
    if (!done) return this.cancelled();
    return "completed";
  }
}
