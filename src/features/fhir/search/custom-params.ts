/**
 * A store's custom search parameters: the SearchParameter resources $reindex activated
 * (fhir_search_custom_params, migrations/0007_search_custom_params.sql), compiled to the same
 * `SearchParamDef` as the standard ones. Their expressions are general FHIRPath, evaluated by the
 * path-program fallback (`"!" + expression`, @medplum/core).
 *
 * Caching: compiled definitions are kept per isolate and keyed by the store's `search_params_version`
 * (bumped by every $reindex). The write path passes the version of the store row it has just read, so it
 * never uses stale definitions and needs no extra query; searches, which may not have read the row,
 * re-check the version at most every VERSION_TTL_MS (one tiny query), like the store row read cache.
 */
import type { CustomParams, SearchParamDef, SearchParamType } from "./definitions";
import { compilePathProgram } from "./path-program";

/** The stored form of one custom parameter (one row of fhir_search_custom_params). */
export interface CustomParamSpec {
  resourceType: string;
  code: string;
  type: SearchParamType;
  expression: string;
  /** Reference targets (resource types); absent = any. */
  targets?: string[];
  /** Composite components: FHIRPath relative to each value of `expression`. */
  components?: { type: SearchParamType; expression: string }[];
  /** SearchParameter id in the store and its canonical url. */
  sourceId: string;
  url: string | null;
}

/** JSON of the `detail` column. */
export interface CustomParamDetail {
  targets?: string[];
  components?: { type: SearchParamType; expression: string }[];
}

export function compileCustomParam(
  spec: Pick<CustomParamSpec, "code" | "type" | "expression" | "targets" | "components">,
): SearchParamDef {
  return {
    code: spec.code,
    type: spec.type,
    paths: [compilePathProgram(`!${spec.expression}`)],
    targets: spec.type === "reference" ? (spec.targets?.length ? spec.targets : ["*"]) : [],
    components: spec.components?.map((c) => ({ type: c.type, paths: [compilePathProgram(`!${c.expression}`)] })),
  };
}

const VERSION_TTL_MS = 5_000;
const MAX_CACHED_STORES = 1_000;

interface Entry {
  version: number;
  params: CustomParams;
}
/** Compiled definitions per store (the version they belong to). */
const compiled = new Map<string, Entry>();
/** The latest version seen per store and when (searches trust it for VERSION_TTL_MS). */
const seen = new Map<string, { version: number; at: number }>();

/** Drops what this isolate knows of a store (after its $reindex). */
export function forgetCustomParams(storeId: string): void {
  compiled.delete(storeId);
  seen.delete(storeId);
}

interface ParamRow {
  v: number | null;
  resource_type: string | null;
  code: string | null;
  type: string | null;
  expression: string | null;
  detail: string | null;
}

function note(storeId: string, version: number): void {
  if (seen.size >= MAX_CACHED_STORES) seen.clear();
  const prev = seen.get(storeId);
  seen.set(storeId, { version: Math.max(version, prev?.version ?? 0), at: Date.now() });
}

async function load(db: D1Database, storeId: string): Promise<Entry> {
  // The version and the rows in one statement, so the rows always belong to the version cached with them.
  const { results } = await db
    .prepare(
      `SELECT s.search_params_version AS v, p.resource_type, p.code, p.type, p.expression, p.detail
       FROM fhir_stores s LEFT JOIN fhir_search_custom_params p ON p.store_id = s.id WHERE s.id = ?1`,
    )
    .bind(storeId)
    .all<ParamRow>();
  const version = Number(results[0]?.v ?? 0);
  const byType = new Map<string, Map<string, SearchParamDef>>();
  for (const r of results) {
    if (!r.resource_type || !r.code || !r.type || !r.expression) continue;
    try {
      const detail = JSON.parse(r.detail ?? "{}") as CustomParamDetail;
      const def = compileCustomParam({
        code: r.code,
        type: r.type as SearchParamType,
        expression: r.expression,
        targets: detail.targets,
        components: detail.components,
      });
      const m = byType.get(r.resource_type) ?? new Map<string, SearchParamDef>();
      m.set(r.code, def);
      byType.set(r.resource_type, m);
    } catch {
      // Validated by $reindex; a definition a later FHIRPath engine no longer parses indexes nothing.
    }
  }
  const entry = { version, params: byType };
  if (compiled.size >= MAX_CACHED_STORES) compiled.clear();
  compiled.set(storeId, entry);
  note(storeId, version);
  return entry;
}

/**
 * The store's custom parameters, or undefined when it has none. `version`: the store row's
 * `search_params_version` when the caller has just read it (write path: exact, no query when cached);
 * omitted, the version known to this isolate is trusted for a few seconds (search path).
 */
export async function customParamsOf(
  db: D1Database,
  storeId: string,
  version?: number,
): Promise<CustomParams | undefined> {
  if (version === 0) return undefined;
  if (version !== undefined) note(storeId, version);
  const known = seen.get(storeId);
  const fresh = version !== undefined || (known !== undefined && Date.now() - known.at < VERSION_TTL_MS);
  const hit = compiled.get(storeId);
  let entry: Entry;
  if (fresh && known && known.version === 0) return undefined;
  if (fresh && hit && known && hit.version >= known.version) entry = hit;
  else entry = await load(db, storeId);
  return entry.params.size ? entry.params : undefined;
}
