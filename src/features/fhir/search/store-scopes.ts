/**
 * Scope keys: fhir_search_scope maps (store, resource type) to the small integer `sk` every index row
 * carries. Queries resolve them inside SQL (a constant scalar subquery SQLite evaluates once and then
 * uses for index lookups), so a search needs no extra round trip and never sees a stale key.
 */
import type { SqlBuilder } from "./compile-search";

/** SQL for the scope key of `type` in `storeId` (NULL, matching nothing, when the store has none). */
export function scopeKeySql(sql: SqlBuilder, storeId: string, type: string): string {
  return `(SELECT sk FROM fhir_search_scope WHERE store_id = ${sql.bind(storeId)} AND resource_type = ${sql.bind(type)})`;
}

/** Resource types the store holds (or held) resources of, sorted. */
export async function storeTypes(db: D1Database, storeId: string): Promise<string[]> {
  const res = await db
    .prepare("SELECT resource_type FROM fhir_search_scope WHERE store_id = ?1 ORDER BY resource_type")
    .bind(storeId)
    .all<{ resource_type: string }>();
  return res.results.map((r) => r.resource_type);
}
