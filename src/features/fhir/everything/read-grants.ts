/**
 * Per-type read grants for operations that return many types at once ($everything, bulk export). The
 * decision is F's `authorize` (src/features/fhir/access.ts, THE authorisation point); this file only
 * asks it per type and turns v2 query constraints into SQL over the search index, so a multi-type
 * result never holds a resource the caller's scopes forbid (SMART App Launch 2.0 "Scopes").
 */
import { AppError } from "../../../platform/errors";
import { authorize, type FhirGrant } from "../access";
import type { FhirCtx } from "../fhir-ctx";
import { type CompileContext, compileConjunction, finalizeSql, SqlBuilder } from "../search/compile-search";
import { customParamsOf } from "../search/custom-params";
import type { CustomParams } from "../search/definitions";
import { parseSearch } from "../search/parse-search";
import type { Filter } from "../search/search-query";

/** The caller's read grant for `type`, or null when its scopes do not allow reading that type. */
export function readGrant(ctx: FhirCtx, type: string): FhirGrant | null {
  try {
    return authorize(ctx, "read", type);
  } catch (err) {
    if (err instanceof AppError && err.kind === "forbidden") return null;
    throw err;
  }
}

/**
 * A v2 query constraint set (`patient/Observation.rs?category=laboratory`, OR-ed across scopes) as an SQL
 * predicate on the fhir_search_res alias `R`; `custom` (the store's custom params) are known as in a search.
 * Returns "0" (nothing) when no constraint parses: a scope the server cannot evaluate must not widen access.
 */
export function constraintPredicate(
  ctx: CompileContext,
  type: string,
  R: string,
  constraints: URLSearchParams[],
  custom?: CustomParams,
): string {
  const sets: Filter[][] = [];
  for (const c of constraints) {
    // The store's custom params (custom-params.ts) are known here as in the search itself.
    const q = parseSearch(c, { resourceType: type, custom });
    if (q.issues.length) continue;
    sets.push(q.filters.map((f) => f.byType.get(type) as Filter));
  }
  if (sets.length === 0) return "0";
  return `(${sets.map((set) => `(${compileConjunction(ctx, { type, res: R }, set)})`).join(" OR ")})`;
}

/** Which of `rids` (all of `type`) satisfy the grant's query constraints; chunked, one query per chunk. */
export async function ridsMatchingConstraints(
  db: D1Database,
  storeId: string,
  baseUrl: string,
  type: string,
  constraints: URLSearchParams[],
  rids: number[],
): Promise<Set<number>> {
  const out = new Set<number>();
  const custom = await customParamsOf(db, storeId);
  for (let i = 0; i < rids.length; i += 5000) {
    const sql = new SqlBuilder();
    const ctx: CompileContext = { sql, storeId, baseUrl };
    const list = sql.bind(JSON.stringify(rids.slice(i, i + 5000)));
    const cond = constraintPredicate(ctx, type, "R", constraints, custom);
    const q = finalizeSql(
      `SELECT R.rid AS rid FROM json_each(${list}) j CROSS JOIN fhir_search_res R ON R.rid = j.value WHERE ${cond}`,
      sql.params,
    );
    const res = await db
      .prepare(q.sql)
      .bind(...q.params)
      .all<{ rid: number }>();
    for (const r of res.results) out.add(r.rid);
  }
  return out;
}

/** Scope keys (resource type -> sk) of a store's search index. */
export async function loadScopeKeys(db: D1Database, storeId: string): Promise<Map<string, number>> {
  const res = await db
    .prepare("SELECT sk, resource_type FROM fhir_search_scope WHERE store_id = ?1")
    .bind(storeId)
    .all<{ sk: number; resource_type: string }>();
  return new Map(res.results.map((r) => [r.resource_type, r.sk]));
}
