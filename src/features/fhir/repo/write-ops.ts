/**
 * The write path shared by every interaction and by batch/transaction: a list of version writes becomes
 * a handful of bulk statements (INSERT ... SELECT FROM json_each(?) in chunks of at most ~450 KB per
 * parameter), the search helper's index statements and the uniqueness keys, all meant for ONE
 * db.batch() (D1's atomic transaction).
 */
import type { CustomParams } from "../search/definitions";
import { indexStatements } from "../search/index-writer";
import type { FhirResource } from "../validation";
import { identifierKeys, type UniqueKeyWrite, uniqueKeyStatements } from "./unique-keys";

export type WriteMethod = "POST" | "PUT" | "PATCH" | "DELETE";

export interface WriteOp {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: WriteMethod;
  /** The stored resource (meta stamped); null for a deletion. */
  resource: FhirResource | null;
  /** Its JSON as served; "{}" for a deletion. */
  body: string;
  /** True when the previous current row did not exist or was a tombstone. */
  created: boolean;
}

/** Largest JSON payload bound to one statement (D1 statements stay well under their size limits). */
export const CHUNK_BYTES = 450_000;

const encoder = new TextEncoder();

/** UTF-8 size of a string (D1 limits are in bytes; non-ASCII text takes up to 3 bytes per UTF-16 unit). */
export const utf8Bytes = (s: string): number => encoder.encode(s).length;

/** Splits rows (already JSON-encoded) into JSON arrays of at most CHUNK_BYTES (UTF-8) each. */
export function chunkJson(rows: string[]): string[] {
  const out: string[] = [];
  let part: string[] = [];
  let size = 2;
  for (const row of rows) {
    const bytes = utf8Bytes(row);
    if (part.length && size + bytes + 1 > CHUNK_BYTES) {
      out.push(`[${part.join(",")}]`);
      part = [];
      size = 2;
    }
    part.push(row);
    size += bytes + 1;
  }
  if (part.length) out.push(`[${part.join(",")}]`);
  return out;
}

/**
 * Statements writing `ops` (at most one op per resource). The current row is upserted (never moved
 * backwards in version), then the history row is copied from it, so each body travels to D1 once.
 * Optimistic concurrency without locks: if another writer got there first, either the upsert was
 * skipped (the LEFT JOIN finds no row of our version → NOT NULL violation on fhir_history) or the
 * history primary key already holds our version number; both abort the whole batch (see commit.ts).
 * `custom`: the store's custom search parameters (search/custom-params.ts), indexed too.
 */
export function writeStatements(
  db: D1Database,
  storeId: string,
  ops: WriteOp[],
  uniqueTypes: readonly string[],
  custom?: CustomParams,
): D1PreparedStatement[] {
  if (ops.length === 0) return [];
  const stmts: D1PreparedStatement[] = [];
  const rows = ops.map((o) =>
    JSON.stringify([o.resourceType, o.id, o.versionId, o.lastUpdated, o.resource ? 0 : 1, o.body]),
  );
  for (const chunk of chunkJson(rows)) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO fhir_resources (store_id, resource_type, id, version_id, last_updated, deleted, body)
           SELECT ?1, j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?2) j
           WHERE true
           ON CONFLICT (store_id, resource_type, id) DO UPDATE SET version_id = excluded.version_id,
             last_updated = excluded.last_updated, deleted = excluded.deleted, body = excluded.body
           WHERE excluded.version_id > fhir_resources.version_id`,
        )
        .bind(storeId, chunk),
    );
  }
  const keys = ops.map((o) => JSON.stringify([o.resourceType, o.id, o.versionId, o.method]));
  for (const chunk of chunkJson(keys)) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO fhir_history (store_id, resource_type, id, version_id, last_updated, deleted, method, body)
           SELECT r.store_id, r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, j.value->>3, r.body
           FROM json_each(?2) j LEFT JOIN fhir_resources r
             ON r.store_id = ?1 AND r.resource_type = j.value->>0 AND r.id = j.value->>1 AND r.version_id = j.value->>2`,
        )
        .bind(storeId, chunk),
    );
  }
  if (uniqueTypes.length) {
    const uniqueWrites: UniqueKeyWrite[] = ops
      .filter((o) => uniqueTypes.includes(o.resourceType))
      .map((o) => ({ resourceType: o.resourceType, id: o.id, keys: o.resource ? identifierKeys(o.resource) : [] }));
    stmts.push(...uniqueKeyStatements(db, storeId, uniqueWrites));
  }
  stmts.push(
    ...indexStatements(
      db,
      storeId,
      ops.map((o) => ({ resourceType: o.resourceType, id: o.id, resource: o.resource })),
      custom,
    ),
  );
  return stmts;
}
