/**
 * Runs a $reindex job: rebuilds the index rows of the job's resources (the whole store, or one type) with
 * the standard and the store's custom search parameters, in keyset pages of fhir_resources
 * (resource_type, id). Each page is one D1 batch: indexStatements (delete + re-insert the rows of those
 * resources, JSON payloads of at most ~450 KB, 1-3 bound parameters per statement) plus the job's progress,
 * so a crash resumes after the last committed page.
 *
 * The same step serves the request ($reindex answers synchronously while the store is small, see
 * INLINE_LIMITS) and the JOBS queue (message `{type: "fhir-reindex", jobId}`, QUEUE_LIMITS per
 * invocation, then a continuation message), so a store of any size stays inside D1's and the Worker's
 * per-invocation limits.
 *
 * A write racing a page could have its fresh rows overwritten by the page's older body: after each page,
 * resources whose version moved are indexed again from their current body.
 */
import type { JobMessage } from "../../../jobs";
import { nowIso } from "../../../platform/clock";
import { AppError } from "../../../platform/errors";
import { logError, logEvent } from "../../../platform/logging";
import { customParamsOf } from "../search/custom-params";
import type { CustomParams } from "../search/definitions";
import { type IndexTarget, indexStatements } from "../search/index-writer";
import { claimJob, completeJob, failJob, progressStatement, type ReindexJob, releaseJob } from "./reindex-job-row";

export const REINDEX_JOB = "fhir-reindex";

export interface ReindexLimits {
  /** Resources per D1 read + batch. */
  pageSize: number;
  /** Work per invocation before handing over to a continuation. */
  budgetMs: number;
  /** Resources per invocation before handing over. */
  maxResources: number;
  /** How long an invocation owns the job without renewing (longer than any page takes). */
  leaseMs: number;
}

/** In the $reindex request: small stores complete synchronously (200 with the count). */
export const INLINE_LIMITS: ReindexLimits = { pageSize: 200, budgetMs: 10_000, maxResources: 2_000, leaseMs: 60_000 };
/** One queue invocation. */
export const QUEUE_LIMITS: ReindexLimits = { pageSize: 200, budgetMs: 20_000, maxResources: 50_000, leaseMs: 60_000 };

/** Failed invocations in a row before the job is marked failed (the queue retries in between). */
const MAX_FAILURES = 3;

export type ReindexStep = "completed" | "continue" | "idle" | "failed";

interface PageRow {
  rt: string;
  id: string;
  v: number;
  body: string;
}

/** Bodies up to this size come with the page; bigger ones (Binary, large documents) are read one by one. */
const INLINE_BODY_BYTES = 64 * 1024;

async function readPage(
  db: D1Database,
  job: ReindexJob,
  after: { type: string; id: string },
  size: number,
): Promise<{ rows: PageRow[]; last: { type: string; id: string } | null; full: boolean }> {
  const body = `CASE WHEN length(CAST(body AS BLOB)) <= ${INLINE_BODY_BYTES} THEN body END AS body`;
  // Two shapes so that each is a plain range scan of the (store_id, resource_type, id) primary key.
  const stmt =
    job.resourceType === null
      ? db
          .prepare(
            `SELECT resource_type AS rt, id, version_id AS v, ${body} FROM fhir_resources
             WHERE store_id = ?1 AND (resource_type, id) > (?2, ?3) AND deleted = 0
             ORDER BY resource_type, id LIMIT ?4`,
          )
          .bind(job.storeId, after.type, after.id, size)
      : db
          .prepare(
            `SELECT resource_type AS rt, id, version_id AS v, ${body} FROM fhir_resources
             WHERE store_id = ?1 AND resource_type = ?2 AND id > ?3 AND deleted = 0
             ORDER BY id LIMIT ?4`,
          )
          .bind(job.storeId, job.resourceType, after.id, size);
  const rows = (await stmt.all<Omit<PageRow, "body"> & { body: string | null }>()).results;
  const out: PageRow[] = [];
  for (const r of rows) {
    if (r.body !== null) {
      out.push({ ...r, body: r.body });
      continue;
    }
    const big = await db
      .prepare(
        "SELECT version_id AS v, body FROM fhir_resources WHERE store_id = ?1 AND resource_type = ?2 AND id = ?3 AND deleted = 0",
      )
      .bind(job.storeId, r.rt, r.id)
      .first<{ v: number; body: string }>();
    // Gone meanwhile: its deletion removed its rows; the version check after the page settles any race.
    if (big) out.push({ rt: r.rt, id: r.id, v: big.v, body: big.body });
  }
  const last = rows[rows.length - 1];
  return { rows: out, last: last ? { type: last.rt, id: last.id } : null, full: rows.length === size };
}

const target = (r: { rt: string; id: string; body: string }, deleted = false): IndexTarget => ({
  resourceType: r.rt,
  id: r.id,
  resource: deleted ? null : (JSON.parse(r.body) as Record<string, unknown>),
});

/** Re-indexes resources of the page written since it was read (see the header). */
async function catchUp(db: D1Database, storeId: string, page: PageRow[], custom: CustomParams | undefined) {
  const { results } = await db
    .prepare(
      `SELECT f.resource_type AS rt, f.id AS id, f.deleted AS deleted, f.body AS body FROM json_each(?2) j
       CROSS JOIN fhir_resources f ON f.store_id = ?1 AND f.resource_type = j.value->>0 AND f.id = j.value->>1
       WHERE f.version_id != j.value->>2`,
    )
    .bind(storeId, JSON.stringify(page.map((r) => [r.rt, r.id, r.v])))
    .all<{ rt: string; id: string; deleted: number; body: string }>();
  if (results.length === 0) return;
  await db.batch(
    indexStatements(
      db,
      storeId,
      results.map((r) => target(r, r.deleted === 1)),
      custom,
    ),
  );
}

/** One invocation's worth of a job. */
export async function runReindexStep(db: D1Database, jobId: string, limits: ReindexLimits): Promise<ReindexStep> {
  const job = await claimJob(db, jobId, limits.leaseMs, nowIso());
  if (!job) return "idle";
  try {
    const store = await db
      .prepare("SELECT search_params_version AS v FROM fhir_stores WHERE id = ?1")
      .bind(job.storeId)
      .first<{ v: number }>();
    if (!store) {
      await failJob(db, jobId, "The store no longer exists", nowIso());
      return "failed";
    }
    const custom = await customParamsOf(db, job.storeId, Number(store.v));
    const started = Date.now();
    let cursor = job.cursor;
    let done = 0;
    for (;;) {
      const { rows: page, last, full } = await readPage(db, job, cursor, limits.pageSize);
      if (last) {
        cursor = last;
        const stmts = indexStatements(
          db,
          job.storeId,
          page.map((r) => target(r)),
          custom,
        );
        stmts.push(
          progressStatement(db, jobId, {
            cursor,
            count: page.length,
            leaseUntil: Date.now() + limits.leaseMs,
            at: nowIso(),
          }),
        );
        const results = await db.batch(stmts);
        // Superseded by a newer $reindex (or the store was deleted): its run takes over.
        if ((results[results.length - 1]?.results.length ?? 0) === 0) return "idle";
        if (page.length) await catchUp(db, job.storeId, page, custom);
        done += page.length;
      }
      if (!full) {
        await completeJob(db, jobId, nowIso());
        return "completed";
      }
      if (Date.now() - started >= limits.budgetMs || done >= limits.maxResources) {
        await releaseJob(db, jobId, 0, nowIso());
        return "continue";
      }
    }
  } catch (err) {
    const failures = job.failures + 1;
    const permanent = err instanceof AppError && err.status < 500;
    if (permanent || failures >= MAX_FAILURES) {
      logError(`reindex:${jobId}`, err);
      await failJob(db, jobId, err instanceof AppError ? err.message : "The reindex failed unexpectedly", nowIso());
      return "failed";
    }
    await releaseJob(db, jobId, failures, nowIso());
    throw err;
  }
}

/** JOBS queue handler for `fhir-reindex` messages (registered in src/jobs.ts). */
export async function handleReindexJob(env: Env, message: JobMessage): Promise<void> {
  const jobId = typeof message.jobId === "string" ? message.jobId : null;
  if (!jobId) {
    logEvent("reindex_bad_message", {});
    return;
  }
  const result = await runReindexStep(env.DB, jobId, QUEUE_LIMITS);
  if (result === "continue") await env.JOBS.send({ type: REINDEX_JOB, jobId });
}
