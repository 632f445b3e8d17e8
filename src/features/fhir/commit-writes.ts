/**
 * Committing version writes: uniqueness pre-check, then resource + history + search index + uniqueness
 * keys + the caller's extra statements (audit, ingestion record) in ONE atomic db.batch().
 */
import type { AppError } from "../../platform/errors";
import { type AuditEntry, auditStatement } from "../audit/record-audit";
import type { FhirCtx } from "./fhir-ctx";
import { commitBatch } from "./repo/commit";
import { duplicateError, findUniqueConflicts, identifierKeys, type UniqueKeyWrite } from "./repo/unique-keys";
import { type WriteOp, writeStatements } from "./repo/write-ops";
import { customParamsOf } from "./search/custom-params";

/**
 * Writes among `ops` that would reuse an identifier of a type with a uniqueness rule (422 `duplicate`):
 * against other ops of the same commit and against the stored keys (one query).
 */
export async function uniqueViolations(ctx: FhirCtx, ops: WriteOp[]): Promise<Map<WriteOp, AppError>> {
  const out = new Map<WriteOp, AppError>();
  const rules = ctx.store.settings.uniqueIdentifiers;
  if (rules.length === 0) return out;
  const targeted = ops.filter((o) => o.resource && rules.includes(o.resourceType));
  if (targeted.length === 0) return out;
  const writes: UniqueKeyWrite[] = targeted.map((o) => ({
    resourceType: o.resourceType,
    id: o.id,
    keys: identifierKeys(o.resource!),
  }));
  const seen = new Map<string, string>();
  writes.forEach((w, i) => {
    for (const k of w.keys) {
      const owner = seen.get(`${w.resourceType} ${k}`);
      if (owner !== undefined && owner !== w.id) out.set(targeted[i]!, duplicateError(w.resourceType, k, owner));
      seen.set(`${w.resourceType} ${k}`, w.id);
    }
  });
  const conflicts = await findUniqueConflicts(ctx.services.db, ctx.store.id, writes);
  // A resource deleted or re-keyed in the same commit frees its keys.
  const rewritten = new Set(ops.map((o) => `${o.resourceType}/${o.id}`));
  for (const c of conflicts) {
    if (rewritten.has(`${c.resourceType}/${c.ownerId}`)) continue;
    const op = targeted.find((o) => o.resourceType === c.resourceType && o.id === c.id);
    if (op && !out.has(op)) out.set(op, duplicateError(c.resourceType, c.key, c.ownerId));
  }
  return out;
}

/** Throws the first uniqueness violation among `ops`. */
export async function assertUnique(ctx: FhirCtx, ops: WriteOp[]): Promise<void> {
  const violations = await uniqueViolations(ctx, ops);
  for (const err of violations.values()) throw err;
}

export async function commitWrites(
  ctx: FhirCtx,
  ops: WriteOp[],
  audit: AuditEntry[],
  extra: D1PreparedStatement[] = [],
): Promise<void> {
  await assertUnique(ctx, ops);
  const db = ctx.services.db;
  const custom = await customParamsOf(db, ctx.store.id, ctx.store.searchParamsVersion);
  await commitBatch(db, [
    ...writeStatements(db, ctx.store.id, ops, ctx.store.settings.uniqueIdentifiers, custom),
    ...audit.map((a) => auditStatement(ctx, { storeId: ctx.store.id, ...a })),
    ...extra,
  ]);
}

/** What a write interaction reports back: status, and the version the client now sees. */
export interface WriteOutcome {
  status: 200 | 201;
  /** created / updated: a new version; unchanged: identical content, version kept; existing: If-None-Exist matched. */
  outcome: "created" | "updated" | "unchanged" | "existing";
  version: { resourceType: string; id: string; versionId: number; lastUpdated: string; body: string };
}

export const outcomeOfOp = (op: WriteOp): WriteOutcome => ({
  status: op.created ? 201 : 200,
  outcome: op.created ? "created" : "updated",
  version: {
    resourceType: op.resourceType,
    id: op.id,
    versionId: op.versionId,
    lastUpdated: op.lastUpdated,
    body: op.body,
  },
});
