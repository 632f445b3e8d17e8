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
export function auditStatement(ctx: AuthedCtx, e: AuditEntry): D1PreparedStatement {
  const p = ctx.principal;
  return ctx.services.db
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
 * Records a read (or any event not tied to a write batch). Awaited so no event is lost; a failure to
 * audit is logged rather than failing the caller's read.
 */
export async function recordAudit(ctx: AuthedCtx, e: AuditEntry): Promise<void> {
  try {
    await auditStatement(ctx, e).run();
  } catch (err) {
    logError(ctx.requestId, err);
  }
}
