/** The bulk_export_jobs table (migrations/0006_bulk_export.sql): typed rows and the state transitions. */
import type { ExportLevel, ExportParams } from "./export-params";

export type ExportStatus = "accepted" | "in-progress" | "completed" | "failed" | "cancelled";

/** The caller's access at kick-off; the consumer applies it when it reads the store. */
export interface ExportAccess {
  scopes: string[];
  patientId: string | null;
  consentRequired: boolean;
  credentialKind: "api_key" | "access_token";
  clientId: string | null;
}

export interface JobParams extends ExportParams {
  /** Requested types the caller may not read: reported in the manifest's error file. */
  deniedTypes: string[];
}

export interface ExportCursor {
  /** Types to export, in order (fixed when the job starts). */
  types?: string[];
  /** Index into `types` of the type being exported. */
  unit?: number;
  /** Keyset position inside the current type (fhir_search_res.rid). */
  afterRid?: number;
  /** Next file number per type. */
  fileSeq?: Record<string, number>;
  /** Resources written so far. */
  written?: number;
  /** Consecutive failed invocations. */
  failures?: number;
}

export interface ExportFile {
  type: string;
  file: string;
  count: number;
}

export interface ExportJob {
  id: string;
  orgId: string;
  storeId: string;
  credentialId: string;
  status: ExportStatus;
  level: ExportLevel;
  groupId: string | null;
  requestUrl: string;
  baseUrl: string;
  params: JobParams;
  access: ExportAccess;
  transactionTime: string;
  cursor: ExportCursor;
  progress: string | null;
  output: ExportFile[];
  errors: ExportFile[];
  error: string | null;
  leaseUntil: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

interface RawJob {
  id: string;
  org_id: string;
  store_id: string;
  credential_id: string;
  status: ExportStatus;
  level: ExportLevel;
  group_id: string | null;
  request_url: string;
  base_url: string;
  params: string;
  access: string;
  transaction_time: string;
  cursor: string;
  progress: string | null;
  output: string;
  errors: string;
  error: string | null;
  lease_until: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

function fromRaw(r: RawJob): ExportJob {
  return {
    id: r.id,
    orgId: r.org_id,
    storeId: r.store_id,
    credentialId: r.credential_id,
    status: r.status,
    level: r.level,
    groupId: r.group_id,
    requestUrl: r.request_url,
    baseUrl: r.base_url,
    params: JSON.parse(r.params) as JobParams,
    access: JSON.parse(r.access) as ExportAccess,
    transactionTime: r.transaction_time,
    cursor: JSON.parse(r.cursor) as ExportCursor,
    progress: r.progress,
    output: JSON.parse(r.output) as ExportFile[],
    errors: JSON.parse(r.errors) as ExportFile[],
    error: r.error,
    leaseUntil: r.lease_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
  };
}

export interface NewJob {
  id: string;
  orgId: string;
  storeId: string;
  credentialId: string;
  level: ExportLevel;
  groupId: string | null;
  requestUrl: string;
  baseUrl: string;
  params: JobParams;
  access: ExportAccess;
  transactionTime: string;
}

/**
 * Inserts the job unless its credential already has `maxActive` unfinished jobs: the count and the
 * insert are one statement (one D1 round trip, and no window between them). `meta.changes` is 0 when
 * refused.
 */
export function insertJobIfRoomStatement(db: D1Database, j: NewJob, maxActive: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO bulk_export_jobs (id, org_id, store_id, credential_id, status, level, group_id, request_url, base_url, params, access,
         transaction_time, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, 'accepted', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?11
       WHERE (SELECT count(*) FROM bulk_export_jobs
              WHERE org_id = ?2 AND credential_id = ?4 AND status IN ('accepted', 'in-progress')) < ?12`,
    )
    .bind(
      j.id,
      j.orgId,
      j.storeId,
      j.credentialId,
      j.level,
      j.groupId,
      j.requestUrl,
      j.baseUrl,
      JSON.stringify(j.params),
      JSON.stringify(j.access),
      j.transactionTime,
      maxActive,
    );
}

/** A job as its owner sees it: same organization, store and credential; cancelled jobs are gone. */
export async function findOwnJob(
  db: D1Database,
  owner: { orgId: string; storeId: string; credentialId: string },
  id: string,
): Promise<ExportJob | null> {
  const r = await db
    .prepare(
      "SELECT * FROM bulk_export_jobs WHERE id = ?1 AND org_id = ?2 AND store_id = ?3 AND credential_id = ?4 AND status <> 'cancelled'",
    )
    .bind(id, owner.orgId, owner.storeId, owner.credentialId)
    .first<RawJob>();
  return r ? fromRaw(r) : null;
}

export async function findJob(db: D1Database, id: string): Promise<ExportJob | null> {
  const r = await db.prepare("SELECT * FROM bulk_export_jobs WHERE id = ?1").bind(id).first<RawJob>();
  return r ? fromRaw(r) : null;
}

/**
 * Takes the job's lease (accepted → in-progress) unless another invocation holds it or the job is
 * finished. Returns the job, or null when there is nothing to do here.
 */
export async function claimJob(db: D1Database, id: string, leaseMs: number, nowIso: string): Promise<ExportJob | null> {
  const now = Date.now();
  const r = await db
    .prepare(
      `UPDATE bulk_export_jobs SET status = 'in-progress', lease_until = ?2, updated_at = ?4
       WHERE id = ?1 AND status IN ('accepted', 'in-progress') AND lease_until < ?3 RETURNING *`,
    )
    .bind(id, now + leaseMs, now, nowIso)
    .first<RawJob>();
  return r ? fromRaw(r) : null;
}

/**
 * Records progress (cursor, files) while the job is still running; false when it was cancelled (the
 * caller then removes what it wrote). Renews the lease.
 */
export async function saveProgress(
  db: D1Database,
  id: string,
  u: { cursor: ExportCursor; output: ExportFile[]; progress: string; leaseUntil: number; at: string },
): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE bulk_export_jobs SET cursor = ?2, output = ?3, progress = ?4, lease_until = ?5, updated_at = ?6
       WHERE id = ?1 AND status = 'in-progress' RETURNING id`,
    )
    .bind(id, JSON.stringify(u.cursor), JSON.stringify(u.output), u.progress, u.leaseUntil, u.at)
    .first();
  return r !== null;
}

export async function completeJob(
  db: D1Database,
  id: string,
  u: { cursor: ExportCursor; output: ExportFile[]; errors: ExportFile[]; at: string },
): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE bulk_export_jobs SET status = 'completed', cursor = ?2, output = ?3, errors = ?4, progress = 'completed',
         lease_until = 0, updated_at = ?5, completed_at = ?5
       WHERE id = ?1 AND status = 'in-progress' RETURNING id`,
    )
    .bind(id, JSON.stringify(u.cursor), JSON.stringify(u.output), JSON.stringify(u.errors), u.at)
    .first();
  return r !== null;
}

export async function failJob(db: D1Database, id: string, message: string, at: string): Promise<void> {
  await db
    .prepare(
      `UPDATE bulk_export_jobs SET status = 'failed', error = ?2, lease_until = 0, updated_at = ?3, completed_at = ?3
       WHERE id = ?1 AND status IN ('accepted', 'in-progress')`,
    )
    .bind(id, message, at)
    .run();
}

/** Gives the lease back and records the failure count, so the queue's retry can take over at once. */
export async function releaseJob(db: D1Database, id: string, cursor: ExportCursor, at: string): Promise<void> {
  await db
    .prepare(
      "UPDATE bulk_export_jobs SET lease_until = 0, cursor = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'in-progress'",
    )
    .bind(id, JSON.stringify(cursor), at)
    .run();
}

/** Marks a job cancelled (any state); true when this call cancelled it. */
export async function markCancelled(db: D1Database, id: string, at: string): Promise<boolean> {
  const r = await db
    .prepare(
      "UPDATE bulk_export_jobs SET status = 'cancelled', lease_until = 0, updated_at = ?2 WHERE id = ?1 AND status <> 'cancelled' RETURNING id",
    )
    .bind(id, at)
    .first();
  return r !== null;
}

/** Touches a stalled job (status polling re-enqueues it), so concurrent polls do not all re-enqueue. */
export async function touchStalled(db: D1Database, id: string, olderThan: string, at: string): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE bulk_export_jobs SET updated_at = ?3 WHERE id = ?1 AND status IN ('accepted', 'in-progress')
         AND lease_until < ?4 AND updated_at < ?2 RETURNING id`,
    )
    .bind(id, olderThan, at, Date.now())
    .first();
  return r !== null;
}

/** R2 prefix of a job's files. */
export const exportPrefix = (orgId: string, jobId: string) => `exports/${orgId}/${jobId}/`;
