/** Rows of `ingestion_transactions` (migration 0005): what one ingestion request did. */
import type { EntryResult } from "../fhir/bundle/bundle-result";

export interface IngestedResource {
  resourceType: string;
  id: string;
  versionId: number | null;
  outcome: "created" | "updated" | "unchanged" | "existing" | "deleted";
}

export interface IngestionRecord {
  transactionId: string;
  groupId: string;
  storeId: string;
  status: "completed" | "failed";
  entryCount: number;
  created: number;
  updated: number;
  unchanged: number;
  resources: IngestedResource[];
  error: { statusCode: number; message: string; details?: unknown } | null;
  createdAt: string;
  completedAt: string | null;
}

export function ingestedResources(results: EntryResult[]): IngestedResource[] {
  const out: IngestedResource[] = [];
  for (const r of results) {
    if (!r.resourceType || !r.id) continue;
    if (
      r.outcome === "created" ||
      r.outcome === "updated" ||
      r.outcome === "unchanged" ||
      r.outcome === "existing" ||
      r.outcome === "deleted"
    ) {
      out.push({ resourceType: r.resourceType, id: r.id, versionId: r.versionId ?? null, outcome: r.outcome });
    }
  }
  return out;
}

const INSERT =
  "INSERT INTO ingestion_transactions (id, org_id, store_id, credential_id, status, entry_count, created_count, updated_count, unchanged_count, resources, error, created_at, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

export interface RecordInput {
  id: string;
  orgId: string;
  storeId: string;
  credentialId: string;
  entryCount: number;
  createdAt: string;
}

export function completedStatement(db: D1Database, r: RecordInput, resources: IngestedResource[], at: string) {
  const count = (o: IngestedResource["outcome"]) => resources.filter((x) => x.outcome === o).length;
  return db
    .prepare(INSERT)
    .bind(
      r.id,
      r.orgId,
      r.storeId,
      r.credentialId,
      "completed",
      r.entryCount,
      count("created"),
      count("updated"),
      count("unchanged") + count("existing"),
      JSON.stringify(resources),
      null,
      r.createdAt,
      at,
    );
}

export function failedStatement(db: D1Database, r: RecordInput, error: IngestionRecord["error"], at: string) {
  return db
    .prepare(INSERT)
    .bind(
      r.id,
      r.orgId,
      r.storeId,
      r.credentialId,
      "failed",
      r.entryCount,
      0,
      0,
      0,
      "[]",
      JSON.stringify(error),
      r.createdAt,
      at,
    );
}

interface RawRecord {
  id: string;
  org_id: string;
  store_id: string;
  status: "completed" | "failed";
  entry_count: number;
  created_count: number;
  updated_count: number;
  unchanged_count: number;
  resources: string;
  error: string | null;
  created_at: string;
  completed_at: string | null;
}

export async function findRecord(db: D1Database, orgId: string, id: string): Promise<IngestionRecord | null> {
  const r = await db
    .prepare(
      "SELECT id, org_id, store_id, status, entry_count, created_count, updated_count, unchanged_count, resources, error, created_at, completed_at FROM ingestion_transactions WHERE id = ?1 AND org_id = ?2",
    )
    .bind(id, orgId)
    .first<RawRecord>();
  if (!r) return null;
  return {
    transactionId: r.id,
    groupId: r.org_id,
    storeId: r.store_id,
    status: r.status,
    entryCount: r.entry_count,
    created: r.created_count,
    updated: r.updated_count,
    unchanged: r.unchanged_count,
    resources: JSON.parse(r.resources) as IngestedResource[],
    error: r.error ? (JSON.parse(r.error) as IngestionRecord["error"]) : null,
    createdAt: r.created_at,
    completedAt: r.completed_at,
  };
}
