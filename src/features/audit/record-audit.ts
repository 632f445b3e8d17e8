import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { prefixedId } from "../../platform/ids";
import { logError } from "../../platform/logging";

export interface AuditEntry {
  action: string;
  entityType?: string | null;
  entityId?: string | null;
  storeId?: string | null;
  /** HTTP-like status of the outcome (200, 201, 403, 404 ...). */
  outcome: number;
  /** Non-PHI detail, e.g. a search's parameter names or an operation name. */
  detail?: string | null;
}

const SQL =
  "INSERT INTO audit_events (id, org_id, recorded_at, request_id, actor_type, actor_id, action, entity_type, entity_id, store_id, outcome, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";

/** The audit row as a statement, so writes can put it in the same atomic batch as the data they change. */
export function auditStatement(ctx: AuthedCtx, e: AuditEntry, db: D1Database = ctx.services.db): D1PreparedStatement {
  const p = ctx.principal;
  return db
    .prepare(SQL)
    .bind(
      prefixedId("aud"),
      p.orgId,
      nowIso(),
      ctx.requestId,
      p.credentialKind,
      p.credentialId,
      e.action,
      e.entityType ?? null,
      e.entityId ?? null,
      e.storeId ?? null,
      e.outcome,
      e.detail ?? null,
    );
}

/**
 * Read events are written in batches: every read of an isolate within `FLUSH_DELAY_MS` goes into one
 * `db.batch()`. D1 has one writer per database, so a row per read written at once would queue each
 * next request behind an INSERT; coalesced, reads cost no write of their own on the request path.
 */
const FLUSH_DELAY_MS = 20;
const MAX_BATCH = 100;

interface Pending {
  statements: { stmt: D1PreparedStatement; requestId: string }[];
  flushing: Promise<void> | null;
}
const pendingByDb = new WeakMap<D1Database, Pending>();

/**
 * Records a read (or any event not tied to a write batch). The promise settles once the event is
 * stored: hand it to `waitUntil` so the Worker stays alive until then. A failure to audit is logged
 * rather than failing the caller's read.
 */
export function recordAudit(ctx: AuthedCtx, e: AuditEntry): Promise<void> {
  // The binding itself (not the per-request timing wrapper), so one isolate's reads share a batch.
  const db = ctx.services.env.DB;
  let pending = pendingByDb.get(db);
  if (!pending) {
    pending = { statements: [], flushing: null };
    pendingByDb.set(db, pending);
  }
  pending.statements.push({ stmt: auditStatement(ctx, e, db), requestId: ctx.requestId });
  pending.flushing ??= flushLater(db, pending);
  return pending.flushing;
}

async function flushLater(db: D1Database, pending: Pending): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS));
  // Events that arrive while this batch is written start the next one.
  const taken = pending.statements.splice(0);
  pending.flushing = null;
  for (let i = 0; i < taken.length; i += MAX_BATCH) {
    const part = taken.slice(i, i + MAX_BATCH);
    try {
      await db.batch(part.map((p) => p.stmt));
    } catch (err) {
      for (const p of part) logError(p.requestId, err);
    }
  }
}
