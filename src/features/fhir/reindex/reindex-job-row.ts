/** The fhir_reindex_jobs table (migrations/0007_search_custom_params.sql): typed rows and state changes. */
import type { ErrorIssue } from "../../../platform/errors";

export type ReindexStatus = "in-progress" | "completed" | "failed" | "cancelled";

export interface ReindexJob {
  id: string;
  orgId: string;
  storeId: string;
  /** null = every type of the store. */
  resourceType: string | null;
  status: ReindexStatus;
  cursor: { type: string; id: string };
  total: number;
  processed: number;
  params: number;
  issues: ErrorIssue[];
  error: string | null;
  failures: number;
  leaseUntil: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

interface RawJob {
  id: string;
  org_id: string;
  store_id: string;
  resource_type: string | null;
  status: ReindexStatus;
  cursor_type: string;
  cursor_id: string;
  total: number;
  processed: number;
  params: number;
  issues: string;
  error: string | null;
  failures: number;
  lease_until: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

function fromRaw(r: RawJob): ReindexJob {
  let issues: ErrorIssue[] = [];
  try {
    issues = JSON.parse(r.issues) as ErrorIssue[];
  } catch {
    // Written by us as JSON; an unreadable value only loses the warnings.
  }
  return {
    id: r.id,
    orgId: r.org_id,
    storeId: r.store_id,
    resourceType: r.resource_type,
    status: r.status,
    cursor: { type: r.cursor_type, id: r.cursor_id },
    total: r.total,
    processed: r.processed,
    params: r.params,
    issues,
    error: r.error,
    failures: r.failures,
    leaseUntil: r.lease_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
  };
}

export function insertJobStatement(
  db: D1Database,
  j: Pick<ReindexJob, "id" | "orgId" | "storeId" | "resourceType" | "total" | "params" | "issues">,
  at: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO fhir_reindex_jobs (id, org_id, store_id, resource_type, status, total, params, issues, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, 'in-progress', ?5, ?6, ?7, ?8, ?8)`,
    )
    .bind(j.id, j.orgId, j.storeId, j.resourceType, j.total, j.params, JSON.stringify(j.issues), at);
}

/** A newer $reindex supersedes running ones it covers (system level covers every type). */
export function supersedeStatement(
  db: D1Database,
  storeId: string,
  resourceType: string | null,
  at: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE fhir_reindex_jobs SET status = 'cancelled', updated_at = ?3, completed_at = ?3
       WHERE store_id = ?1 AND status = 'in-progress' AND (?2 IS NULL OR resource_type = ?2)`,
    )
    .bind(storeId, resourceType, at);
}

export async function findStoreJob(db: D1Database, storeId: string, id: string): Promise<ReindexJob | null> {
  const r = await db
    .prepare("SELECT * FROM fhir_reindex_jobs WHERE id = ?1 AND store_id = ?2")
    .bind(id, storeId)
    .first<RawJob>();
  return r ? fromRaw(r) : null;
}

/** Takes the job's lease (null when it is finished or another invocation holds it). */
export async function claimJob(db: D1Database, id: string, leaseMs: number, at: string): Promise<ReindexJob | null> {
  const now = Date.now();
  const r = await db
    .prepare(
      `UPDATE fhir_reindex_jobs SET lease_until = ?2, updated_at = ?4
       WHERE id = ?1 AND status = 'in-progress' AND lease_until < ?3 RETURNING *`,
    )
    .bind(id, now + leaseMs, now, at)
    .first<RawJob>();
  return r ? fromRaw(r) : null;
}

/** Progress of one page, in the page's batch; RETURNING tells whether the job still runs. */
export function progressStatement(
  db: D1Database,
  id: string,
  u: { cursor: { type: string; id: string }; count: number; leaseUntil: number; at: string },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE fhir_reindex_jobs SET cursor_type = ?2, cursor_id = ?3, processed = processed + ?4, lease_until = ?5,
         failures = 0, updated_at = ?6
       WHERE id = ?1 AND status = 'in-progress' RETURNING id`,
    )
    .bind(id, u.cursor.type, u.cursor.id, u.count, u.leaseUntil, u.at);
}

export async function completeJob(db: D1Database, id: string, at: string): Promise<void> {
  await db
    .prepare(
      `UPDATE fhir_reindex_jobs SET status = 'completed', lease_until = 0, updated_at = ?2, completed_at = ?2
       WHERE id = ?1 AND status = 'in-progress'`,
    )
    .bind(id, at)
    .run();
}

export async function failJob(db: D1Database, id: string, error: string, at: string): Promise<void> {
  await db
    .prepare(
      `UPDATE fhir_reindex_jobs SET status = 'failed', error = ?2, lease_until = 0, updated_at = ?3, completed_at = ?3
       WHERE id = ?1 AND status = 'in-progress'`,
    )
    .bind(id, error, at)
    .run();
}

/** Hands the job over (to a continuation message); `failures` counts consecutive failed invocations. */
export async function releaseJob(db: D1Database, id: string, failures: number, at: string): Promise<void> {
  await db
    .prepare(
      "UPDATE fhir_reindex_jobs SET lease_until = 0, failures = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'in-progress'",
    )
    .bind(id, failures, at)
    .run();
}
