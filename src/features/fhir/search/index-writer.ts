/**
 * The write path of search: D1 statements that replace the index rows of a set of resources. The caller
 * (repository, transactions, $reindex) appends them to the same `db.batch()` as its resource/history
 * writes, so a resource and its index rows always change together (a batch is one SQL transaction).
 *
 * Statement plan for N targets (independent of N except for ~450 KB payload chunks):
 *   1. register the (store, type) scopes              INSERT OR IGNORE fhir_search_scope
 *   2. note each target's scope, id and current rid   INSERT fhir_search_pending (batch id b)
 *   3. delete the old rows of targets that had some,  DELETE ... WHERE rid IN (pending b, old)
 *      one statement per table
 *   4. drop deleted resources' rids                   DELETE fhir_search_res
 *   5. upsert the live resources' rids                INSERT ... ON CONFLICT fhir_search_res
 *   6. give new targets their rid                     UPDATE fhir_search_pending
 *   7. bulk insert the new rows per table             INSERT ... SELECT FROM json_each(?) JOIN pending
 *   8. clear the scratch rows                         DELETE fhir_search_pending b
 * Every value is a bound parameter; the JSON payloads are arrays of small arrays keyed by target n.
 */
import { nowIso } from "../../../platform/clock";
import { randomId } from "../../../platform/ids";
import type { CustomParams } from "./definitions";
import { extractIndexRows, type IndexRows } from "./extract";
import { parseDateRange } from "./values";

export { extractIndexRows, type IndexRows } from "./extract";

export interface IndexTarget {
  resourceType: string;
  id: string;
  /** The resource as stored (meta.lastUpdated set); null = deleted. */
  resource: Record<string, unknown> | null;
}

/** Largest JSON payload bound to one statement. */
const CHUNK_BYTES = 450_000;

export type IndexTable =
  | "token"
  | "string"
  | "date"
  | "number"
  | "quantity"
  | "reference"
  | "uri"
  | "composite"
  | "text";

const INSERT_SQL: Record<IndexTable, string> = {
  token:
    "INSERT OR IGNORE INTO fhir_idx_token (rid, sk, p, sys, val, txt) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3, j.value->>4",
  string:
    "INSERT OR IGNORE INTO fhir_idx_string (rid, sk, p, v, x) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3",
  date: "INSERT OR IGNORE INTO fhir_idx_date (rid, sk, p, lo, hi) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3",
  number:
    "INSERT OR IGNORE INTO fhir_idx_number (rid, sk, p, lo, hi) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3",
  quantity:
    "INSERT OR IGNORE INTO fhir_idx_quantity (rid, sk, p, sys, code, lo, hi) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5",
  reference:
    "INSERT OR IGNORE INTO fhir_idx_reference (rid, sk, p, tt, tid, u) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3, j.value->>4",
  uri: "INSERT OR IGNORE INTO fhir_idx_uri (rid, sk, p, v) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2",
  composite:
    "INSERT INTO fhir_idx_composite (rid, sk, p, s1, c1, s2, c2, lo2, hi2, lo3, hi3) SELECT pd.rid, pd.sk, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5, j.value->>6, j.value->>7, j.value->>8, j.value->>9",
  text: "INSERT INTO fhir_idx_text (rowid, t, c, s) SELECT pd.rid, j.value->>1, j.value->>2, 'k' || pd.sk",
};
// CROSS JOIN pins the join order (SQLite does not reorder it): json_each outside, one primary-key probe
// per row inside. Left to itself the planner has no cardinality for json_each and may loop the other way
// round (every pending row x every JSON row).
const INSERT_FROM = " FROM json_each(?2) AS j CROSS JOIN fhir_search_pending AS pd ON pd.b = ?1 AND pd.n = j.value->>0";

const ROW_TABLES = ["token", "string", "date", "number", "quantity", "reference", "uri", "composite"] as const;
const SQL_TABLE: Record<IndexTable, string> = {
  token: "fhir_idx_token",
  string: "fhir_idx_string",
  date: "fhir_idx_date",
  number: "fhir_idx_number",
  quantity: "fhir_idx_quantity",
  reference: "fhir_idx_reference",
  uri: "fhir_idx_uri",
  composite: "fhir_idx_composite",
  text: "fhir_idx_text",
};

export interface IndexPayload {
  /** Distinct resource types of the targets. */
  types: string[];
  /** [type, id, lastUpdated ms] of live targets. */
  live: [string, string, number][];
  /** [type, id, deleted 0|1] of every target; the array index is the target's n. */
  all: [string, string, number][];
  chunks: { table: IndexTable; json: string }[];
}

/** Pure part of the write path: extraction + JSON payloads (exported for the benchmark and tests). */
export function buildIndexPayload(targets: IndexTarget[], custom?: CustomParams): IndexPayload {
  // Last write wins when a batch names the same resource twice.
  const byKey = new Map<string, IndexTarget>();
  for (const t of targets) byKey.set(`${t.resourceType}/${t.id}`, t);
  const list = [...byKey.values()];
  const types = [...new Set(list.map((t) => t.resourceType))];
  const live: IndexPayload["live"] = [];
  const all: IndexPayload["all"] = [];
  const parts: Record<IndexTable, string[]> = {
    token: [],
    string: [],
    date: [],
    number: [],
    quantity: [],
    reference: [],
    uri: [],
    composite: [],
    text: [],
  };
  const chunks: IndexPayload["chunks"] = [];
  const sizes: Record<IndexTable, number> = {
    token: 0,
    string: 0,
    date: 0,
    number: 0,
    quantity: 0,
    reference: 0,
    uri: 0,
    composite: 0,
    text: 0,
  };
  const flush = (table: IndexTable) => {
    if (parts[table].length === 0) return;
    chunks.push({ table, json: `[${parts[table].join(",")}]` });
    parts[table] = [];
    sizes[table] = 0;
  };
  const push = (table: IndexTable, n: number, row: readonly unknown[]) => {
    const json = JSON.stringify([n, ...row]);
    if (sizes[table] + json.length > CHUNK_BYTES) flush(table);
    parts[table].push(json);
    sizes[table] += json.length + 1;
  };
  list.forEach((t, n) => {
    all.push([t.resourceType, t.id, t.resource ? 0 : 1]);
    if (!t.resource) return;
    const rows: IndexRows = extractIndexRows(t.resource, custom);
    live.push([t.resourceType, t.id, rows.lastUpdated ?? (parseDateRange(nowIso())?.lo as number)]);
    for (const table of ROW_TABLES) for (const row of rows[table]) push(table, n, row);
    if (rows.text) push("text", n, [rows.text.narrative, rows.text.content]);
  });
  for (const table of [...ROW_TABLES, "text"] as const) flush(table);
  return { types, live, all, chunks };
}

/**
 * D1 statements that replace the index rows of these resources (delete old rows, insert new). Put them
 * in the SAME db.batch() as the resource/history writes. `resource: null` removes the resource from
 * search (deletion); the resource must carry its final meta.lastUpdated. `custom`: the store's custom
 * search parameters (custom-params.ts), indexed with the standard ones.
 */
export function indexStatements(
  db: D1Database,
  storeId: string,
  targets: IndexTarget[],
  custom?: CustomParams,
): D1PreparedStatement[] {
  if (targets.length === 0) return [];
  const payload = buildIndexPayload(targets, custom);
  const b = randomId(12);
  const stmts: D1PreparedStatement[] = [
    db
      .prepare("INSERT OR IGNORE INTO fhir_search_scope (store_id, resource_type) SELECT ?1, value FROM json_each(?2)")
      .bind(storeId, JSON.stringify(payload.types)),
    db
      .prepare(
        `INSERT INTO fhir_search_pending (b, n, sk, id, rid, old, del)
         SELECT ?1, j.key, sc.sk, j.value->>1, r.rid, r.rid IS NOT NULL, j.value->>2 FROM json_each(?3) AS j
         CROSS JOIN fhir_search_scope AS sc ON sc.store_id = ?2 AND sc.resource_type = j.value->>0
         LEFT JOIN fhir_search_res AS r ON r.sk = sc.sk AND r.id = j.value->>1`,
      )
      .bind(b, storeId, JSON.stringify(payload.all)),
  ];
  const old = "SELECT rid FROM fhir_search_pending WHERE b = ?1 AND old = 1";
  for (const table of ROW_TABLES)
    stmts.push(db.prepare(`DELETE FROM ${SQL_TABLE[table]} WHERE rid IN (${old})`).bind(b));
  stmts.push(db.prepare(`DELETE FROM fhir_idx_text WHERE rowid IN (${old})`).bind(b));
  if (payload.live.length < payload.all.length)
    stmts.push(db.prepare(`DELETE FROM fhir_search_res WHERE rid IN (${old} AND del = 1)`).bind(b));
  if (payload.live.length) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO fhir_search_res (sk, id, lu)
           SELECT sc.sk, j.value->>1, j.value->>2 FROM json_each(?2) AS j
           CROSS JOIN fhir_search_scope AS sc ON sc.store_id = ?1 AND sc.resource_type = j.value->>0
           WHERE true ON CONFLICT (sk, id) DO UPDATE SET lu = excluded.lu`,
        )
        .bind(storeId, JSON.stringify(payload.live)),
      db
        .prepare(
          `UPDATE fhir_search_pending SET rid = (SELECT r.rid FROM fhir_search_res AS r WHERE r.sk = fhir_search_pending.sk AND r.id = fhir_search_pending.id)
           WHERE b = ?1 AND rid IS NULL AND del = 0`,
        )
        .bind(b),
    );
  }
  for (const chunk of payload.chunks) stmts.push(db.prepare(INSERT_SQL[chunk.table] + INSERT_FROM).bind(b, chunk.json));
  stmts.push(db.prepare("DELETE FROM fhir_search_pending WHERE b = ?1").bind(b));
  return stmts;
}

/** Statements that remove every index row of a store, its custom parameters and reindex jobs (store deletion). */
export function deleteStoreIndexStatements(db: D1Database, storeId: string): D1PreparedStatement[] {
  const scopes = "SELECT sk FROM fhir_search_scope WHERE store_id = ?1";
  return [
    ...ROW_TABLES.map((table) => db.prepare(`DELETE FROM ${SQL_TABLE[table]} WHERE sk IN (${scopes})`).bind(storeId)),
    db
      .prepare(`DELETE FROM fhir_idx_text WHERE rowid IN (SELECT rid FROM fhir_search_res WHERE sk IN (${scopes}))`)
      .bind(storeId),
    db.prepare(`DELETE FROM fhir_search_res WHERE sk IN (${scopes})`).bind(storeId),
    db.prepare("DELETE FROM fhir_search_scope WHERE store_id = ?1").bind(storeId),
    db.prepare("DELETE FROM fhir_search_custom_params WHERE store_id = ?1").bind(storeId),
    db.prepare("DELETE FROM fhir_reindex_jobs WHERE store_id = ?1").bind(storeId),
  ];
}
