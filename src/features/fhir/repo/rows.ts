/**
 * Reads of stored versions (fhir_resources = current version or tombstone, fhir_history = all versions).
 * Bodies are returned as the stored JSON text so a plain read never parses or re-serialises.
 */

export interface VersionRow {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  /** The served JSON of this version; "{}" for a deletion. */
  body: string;
}

export interface HistoryRow extends VersionRow {
  method: "POST" | "PUT" | "PATCH" | "DELETE";
}

interface RawRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  deleted: number;
  body: string;
  method?: string;
}

export function fromRaw(r: RawRow): VersionRow {
  return {
    resourceType: r.resource_type,
    id: r.id,
    versionId: r.version_id,
    lastUpdated: r.last_updated,
    deleted: r.deleted === 1,
    body: r.body,
  };
}

export function historyFromRaw(r: RawRow): HistoryRow {
  return { ...fromRaw(r), method: (r.method ?? "PUT") as HistoryRow["method"] };
}

const COLS = "resource_type, id, version_id, last_updated, deleted, body";

/** The query of readCurrent, for callers that put it in a batch (read-prefetch.ts); see currentFromResult. */
export function readCurrentStatement(
  db: D1Database,
  storeId: string,
  resourceType: string,
  id: string,
): D1PreparedStatement {
  return db
    .prepare(`SELECT ${COLS} FROM fhir_resources WHERE store_id = ?1 AND resource_type = ?2 AND id = ?3`)
    .bind(storeId, resourceType, id);
}

/** The row of a readCurrentStatement's result. */
export function currentFromResult(result: D1Result): VersionRow | null {
  const r = result.results[0] as RawRow | undefined;
  return r ? fromRaw(r) : null;
}

/** The current row (possibly a tombstone) of one resource. */
export async function readCurrent(
  db: D1Database,
  storeId: string,
  resourceType: string,
  id: string,
): Promise<VersionRow | null> {
  const r = await readCurrentStatement(db, storeId, resourceType, id).first<RawRow>();
  return r ? fromRaw(r) : null;
}

export const keyOf = (resourceType: string, id: string) => `${resourceType}/${id}`;

/** Current rows of many resources in one query (a json_each join on the primary key). */
export async function readCurrentMany(
  db: D1Database,
  storeId: string,
  keys: { resourceType: string; id: string }[],
): Promise<Map<string, VersionRow>> {
  const out = new Map<string, VersionRow>();
  // Chunked so the JSON parameter stays small; each chunk is one indexed query.
  for (let i = 0; i < keys.length; i += 2000) {
    const chunk = keys.slice(i, i + 2000).map((k) => [k.resourceType, k.id]);
    const { results } = await db
      .prepare(
        `SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.body
         FROM json_each(?2) j CROSS JOIN fhir_resources r
           ON r.store_id = ?1 AND r.resource_type = j.value->>0 AND r.id = j.value->>1`,
      )
      .bind(storeId, JSON.stringify(chunk))
      .all<RawRow>();
    for (const r of results) out.set(keyOf(r.resource_type, r.id), fromRaw(r));
  }
  return out;
}

/** One version from history (vread). */
export async function readVersion(
  db: D1Database,
  storeId: string,
  resourceType: string,
  id: string,
  versionId: number,
): Promise<HistoryRow | null> {
  const r = await db
    .prepare(
      `SELECT ${COLS}, method FROM fhir_history WHERE store_id = ?1 AND resource_type = ?2 AND id = ?3 AND version_id = ?4`,
    )
    .bind(storeId, resourceType, id, versionId)
    .first<RawRow>();
  return r ? historyFromRaw(r) : null;
}
