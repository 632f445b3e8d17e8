/**
 * _include / _revinclude (FHIR R4 search.html#include), with :iterate up to MAX_INCLUDE_DEPTH rounds and
 * at most MAX_INCLUDED resources. Included resources pass the caller's access rules (scopes, patient
 * context) before they are returned.
 */
import { type CustomParams, getParam } from "./definitions";
import type { SearchQuery } from "./search-query";
import { storeTypes } from "./store-scopes";

export const MAX_INCLUDE_DEPTH = 3;
export const MAX_INCLUDED = 1000;

export interface FoundResource {
  rid: number;
  type: string;
  id: string;
  body: string;
}

/** Access rule for included resources of a type: all, none, or only those matching any of these filters. */
export type IncludeAccess = (resourceType: string) => "all" | "none" | URLSearchParams[];

export interface IncludeContext {
  db: D1Database;
  storeId: string;
  /** The store's custom search parameters: custom reference params are includable like standard ones. */
  custom?: CustomParams;
  /** Checks which of these rids (all of `type`) the caller may see; undefined = all. */
  filterAllowed?: (type: string, rids: number[]) => Promise<Set<number>>;
}

function refCodes(
  sourceType: string,
  param: string,
  custom?: CustomParams,
): { codes: string[] | undefined; aliasTarget?: string } {
  if (param === "*") return { codes: undefined };
  const def = getParam(sourceType, param, custom);
  if (!def) return { codes: [] };
  return { codes: def.alias ?? [def.code], aliasTarget: def.aliasTarget };
}

interface Row {
  rid: number;
  rt: string;
  id: string;
  body: string;
}

async function forward(
  ctx: IncludeContext,
  sources: FoundResource[],
  param: string,
  targetType?: string,
): Promise<Row[]> {
  const byType = new Map<string, number[]>();
  for (const s of sources) byType.set(s.type, [...(byType.get(s.type) ?? []), s.rid]);
  const out: Row[] = [];
  for (const [type, rids] of byType) {
    const { codes, aliasTarget } = refCodes(type, param, ctx.custom);
    if (codes && codes.length === 0) continue;
    const binds: (string | number)[] = [ctx.storeId, JSON.stringify(rids)];
    const bind = (v: string) => {
      binds.push(v);
      return `?${binds.length}`;
    };
    const conds = [
      codes ? `x.p IN (${codes.map(bind).join(", ")})` : "1",
      aliasTarget ? `x.tt = ${bind(aliasTarget)}` : "1",
      targetType ? `x.tt = ${bind(targetType)}` : "1",
    ].join(" AND ");
    const res = await ctx.db
      .prepare(
        `SELECT DISTINCT T.rid AS rid, sc.resource_type AS rt, T.id AS id, f.body AS body
         FROM fhir_idx_reference x
         JOIN fhir_search_scope sc ON sc.store_id = ?1 AND sc.resource_type = x.tt
         JOIN fhir_search_res T ON T.sk = sc.sk AND T.id = x.tid
         JOIN fhir_resources f ON f.store_id = ?1 AND f.resource_type = x.tt AND f.id = x.tid AND f.deleted = 0
         WHERE x.rid IN (SELECT value FROM json_each(?2)) AND x.tt <> '' AND ${conds}
         LIMIT ${MAX_INCLUDED + 1}`,
      )
      .bind(...binds)
      .all<Row>();
    out.push(...res.results);
  }
  return out;
}

async function reverse(
  ctx: IncludeContext,
  targets: FoundResource[],
  sourceType: string,
  param: string,
  targetType?: string,
): Promise<Row[]> {
  const { codes, aliasTarget } = refCodes(sourceType, param, ctx.custom);
  if (codes && codes.length === 0) return [];
  const keys = targets.filter((t) => !targetType || t.type === targetType).map((t) => [t.type, t.id]);
  if (keys.length === 0) return [];
  const binds: (string | number)[] = [ctx.storeId, JSON.stringify(keys), sourceType];
  const bind = (v: string) => {
    binds.push(v);
    return `?${binds.length}`;
  };
  const conds = [
    codes ? `x.p IN (${codes.map(bind).join(", ")})` : "1",
    aliasTarget ? `x.tt = ${bind(aliasTarget)}` : "1",
  ].join(" AND ");
  const res = await ctx.db
    .prepare(
      `SELECT DISTINCT O.rid AS rid, ?3 AS rt, O.id AS id, f.body AS body
       FROM fhir_idx_reference x
       JOIN fhir_search_res O ON O.rid = x.rid
       JOIN fhir_resources f ON f.store_id = ?1 AND f.resource_type = ?3 AND f.id = O.id AND f.deleted = 0
       WHERE x.sk = (SELECT sk FROM fhir_search_scope WHERE store_id = ?1 AND resource_type = ?3) AND ${conds} AND (x.tid, x.tt) IN (SELECT value->>1, value->>0 FROM json_each(?2))
       LIMIT ${MAX_INCLUDED + 1}`,
    )
    .bind(...binds)
    .all<Row>();
  return res.results;
}

/**
 * Resolves the query's includes for `matches`. Returns the included resources (never a match twice)
 * and whether the limit cut the set short.
 */
export async function resolveIncludes(
  ctx: IncludeContext,
  query: SearchQuery,
  matches: FoundResource[],
): Promise<{ included: FoundResource[]; truncated: boolean }> {
  const specs = query.includes;
  if (specs.length === 0 || matches.length === 0) return { included: [], truncated: false };
  const seen = new Set(matches.map((m) => `${m.type}/${m.id}`));
  const included: FoundResource[] = [];
  let truncated = false;
  let frontier = matches;
  for (let round = 0; round <= MAX_INCLUDE_DEPTH && frontier.length > 0 && !truncated; round++) {
    const active = round === 0 ? specs : specs.filter((s) => s.iterate);
    if (active.length === 0) break;
    const found: Row[] = [];
    for (const spec of active) {
      if (spec.reverse) {
        const sources = spec.sourceType === "*" ? await storeTypes(ctx.db, ctx.storeId) : [spec.sourceType];
        for (const sourceType of sources) {
          if (spec.param === "*" || spec.sourceType !== "*")
            found.push(...(await reverse(ctx, frontier, sourceType, spec.param, spec.targetType)));
        }
      } else {
        const sources = frontier.filter((r) => spec.sourceType === "*" || r.type === spec.sourceType);
        if (sources.length === 0) continue;
        if (spec.param !== "*" && spec.sourceType !== "*" && !getParam(spec.sourceType, spec.param, ctx.custom))
          continue;
        found.push(...(await forward(ctx, sources, spec.param, spec.targetType)));
      }
    }
    const fresh: FoundResource[] = [];
    for (const r of found) {
      const key = `${r.rt}/${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fresh.push({ rid: r.rid, type: r.rt, id: r.id, body: r.body });
    }
    const allowed = await applyAccess(ctx, fresh);
    if (included.length + allowed.length > MAX_INCLUDED) {
      truncated = true;
      included.push(...allowed.slice(0, MAX_INCLUDED - included.length));
    } else included.push(...allowed);
    frontier = allowed;
  }
  return { included, truncated };
}

async function applyAccess(ctx: IncludeContext, found: FoundResource[]): Promise<FoundResource[]> {
  if (!ctx.filterAllowed || found.length === 0) return found;
  const byType = new Map<string, FoundResource[]>();
  for (const f of found) byType.set(f.type, [...(byType.get(f.type) ?? []), f]);
  const out: FoundResource[] = [];
  for (const [type, list] of byType) {
    const ok = await ctx.filterAllowed(
      type,
      list.map((f) => f.rid),
    );
    out.push(...list.filter((f) => ok.has(f.rid)));
  }
  return out;
}
