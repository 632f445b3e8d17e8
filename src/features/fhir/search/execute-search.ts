/**
 * searchResources: the FHIR R4 search verb (type-level, system-level with _type, and Patient compartment
 * search). Parses, compiles to SQL, runs the page (+ count, + includes) and assembles the searchset Bundle.
 */
import { nowIso } from "../../../platform/clock";
import { AppError } from "../../../platform/errors";
import { randomId } from "../../../platform/ids";
import { consentPredicate } from "../../consent/consent-access";
import { type BundleEntry, outcomeEntry, pagingLinks, type SearchBundle, shapeResource } from "./bundle";
import {
  type CompileContext,
  compartmentFilter,
  compileConjunction,
  compileSource,
  finalizeSql,
  type RowSource,
  SqlBuilder,
  sortExpression,
} from "./compile-search";
import { customParamsOf } from "./custom-params";
import { type CustomParams, getParam, isResourceType, PATIENT_COMPARTMENT_TYPES } from "./definitions";
import { type FoundResource, type IncludeAccess, resolveIncludes } from "./includes";
import { parseSearch } from "./parse-search";
import { resolveTerminology } from "./resolve-terminology";
import type { Filter, SearchQuery } from "./search-query";
import { scopeKeySql, storeTypes } from "./store-scopes";

export type { SearchBundle } from "./bundle";
export type { IncludeAccess } from "./includes";

export interface SearchRequest {
  storeId: string;
  /** null = system search (types from _type). */
  resourceType: string | null;
  params: URLSearchParams;
  /** e.g. https://host/fhir/{storeId}: fullUrls and links are built on it. */
  baseUrl: string;
  /** `Prefer: handling=strict`: unknown/malformed parameters are a 400 instead of being ignored. */
  strict: boolean;
  /** The store row's `searchParamsVersion` when the caller has it (exact custom params, no extra query). */
  paramsVersion?: number;
  /** OR-ed constraints (SMART v2 query-constrained scopes): a match must satisfy at least one. */
  extraFilters?: URLSearchParams[];
  /** Patient compartment search (`Patient/{id}/Observation?...`), also the patient-context restriction. */
  compartment?: { type: "Patient"; id: string };
  /**
   * Consent-required caller (seed 001): only these patients consent; every resource of another patient
   * is left out of matches, includes, totals and paging (src/features/consent/consent-access.ts).
   */
  consentAllow?: string[];
  /** Access rule for _include/_revinclude results (default: everything the search itself may see). */
  includeAccess?: IncludeAccess;
  /**
   * Patient-context grants per included type: the patient whose compartment included resources of that
   * type must be in (null = no such restriction). Types outside the compartment are then left out, as
   * a direct read of them would be refused (src/features/fhir/access.ts).
   */
  includePatient?: (resourceType: string) => string | null;
}

interface PageRow {
  rid: number;
  rt: string;
  id: string;
  body: string;
}

/**
 * Parses OR-ed filter sets for `type` (SMART v2 query constraints), knowing the store's custom params like
 * the search itself does; a set that does not parse matches nothing (fail closed).
 */
function parseFilterSets(sets: URLSearchParams[], type: string, custom?: CustomParams): Filter[][] | "deny" {
  const out: Filter[][] = [];
  for (const set of sets) {
    const q = parseSearch(set, { resourceType: type, custom });
    if (q.issues.length) continue;
    out.push(q.filters.map((f) => f.byType.get(type) as Filter));
  }
  return out.length ? out : "deny";
}

/** The row source (FROM + WHERE over `R`) of the whole query, or null when nothing can match. */
function compileQuery(
  ctx: CompileContext,
  query: SearchQuery,
  req: SearchRequest,
  custom?: CustomParams,
): RowSource | null {
  const perType: { type: string; filters: Filter[]; extra?: Filter[][] }[] = [];
  for (const type of query.types) {
    const filters = query.filters.map((f) => f.byType.get(type) as Filter);
    if (req.compartment) {
      const c = compartmentFilter(type, req.compartment.id);
      if (c === "none") continue;
      if (c === "self") {
        const idDef = getParam(type, "_id");
        if (idDef) filters.push({ kind: "param", def: idDef, values: [{ t: "token", code: req.compartment.id }] });
      } else filters.push(c);
    }
    let extra: Filter[][] | undefined;
    if (req.extraFilters?.length) {
      const sets = parseFilterSets(req.extraFilters, type, custom);
      if (sets === "deny") continue;
      extra = sets;
    }
    perType.push({ type, filters, extra });
  }
  if (perType.length === 0) return null;
  const allow = req.consentAllow ? ctx.sql.bind(JSON.stringify(req.consentAllow)) : null;
  const consentCond = (type: string) =>
    allow ? ` AND ${consentPredicate((v) => ctx.sql.bind(v), type, "R", allow)}` : "";
  // Access restrictions of each type: the grant's query constraints (OR-ed), then consent.
  const accessCond = (type: string, extra?: Filter[][]) =>
    (extra
      ? ` AND (${extra.map((set) => `(${compileConjunction(ctx, { type, res: "R" }, set)})`).join(" OR ")})`
      : "") + consentCond(type);
  if (perType.length === 1) {
    const { type, filters, extra } = perType[0];
    const source = compileSource(ctx, { type, res: "R" }, filters);
    return { from: source.from, where: source.where + accessCond(type, extra) };
  }
  // System search over several types: one scan of their scopes, per-type conditions OR-ed.
  const where = perType
    .map(
      ({ type, filters, extra }) =>
        `(R.sk = ${scopeKeySql(ctx.sql, ctx.storeId, type)} AND ${compileConjunction(ctx, { type, res: "R" }, filters)}${accessCond(type, extra)})`,
    )
    .join(" OR ");
  return {
    from: "fhir_search_res R",
    where: `R.sk IN (SELECT sk FROM fhir_search_scope WHERE store_id = ${ctx.sql.bind(ctx.storeId)} AND resource_type IN (${perType
      .map((t) => ctx.sql.bind(t.type))
      .join(", ")})) AND (${where})`,
  };
}

function searchPath(req: SearchRequest): string {
  const base = req.baseUrl.replace(/\/$/, "");
  if (req.compartment)
    return `${base}/Patient/${encodeURIComponent(req.compartment.id)}${req.resourceType ? `/${req.resourceType}` : ""}`;
  return req.resourceType ? `${base}/${req.resourceType}` : base;
}

export async function searchResources(db: D1Database, req: SearchRequest): Promise<SearchBundle> {
  if (req.resourceType !== null && !isResourceType(req.resourceType))
    throw new AppError("invalid", `Unknown resource type '${req.resourceType}'`, {
      issues: [
        { severity: "error", code: "not-supported", diagnostics: `Unknown resource type '${req.resourceType}'` },
      ],
    });
  // A system search without _type covers every type the store holds.
  const everyType = req.resourceType === null && !req.params.has("_type");
  const held = everyType ? await storeTypes(db, req.storeId) : undefined;
  const defaultTypes = held && req.compartment ? PATIENT_COMPARTMENT_TYPES.filter((t) => held.includes(t)) : held;
  const custom = await customParamsOf(db, req.storeId, req.paramsVersion);
  const query = parseSearch(req.params, { resourceType: req.resourceType, defaultTypes, custom, terminology: true });
  if (everyType && defaultTypes) query.types = defaultTypes;
  await resolveTerminology(db, req.storeId, query);
  if (query.issues.length && req.strict)
    throw new AppError("invalid", query.issues.map((i) => i.diagnostics).join("; "), {
      issues: query.issues.map((i) => ({
        severity: "error",
        code: i.code,
        diagnostics: i.diagnostics,
        expression: i.expression,
      })),
    });

  const sql = new SqlBuilder();
  const ctx: CompileContext = { sql, storeId: req.storeId, baseUrl: req.baseUrl };
  const source = compileQuery(ctx, query, req, custom);
  const wantCount = query.summary === "count" || query.count === 0;
  const pageSize = wantCount ? 0 : query.count;

  let rows: PageRow[] = [];
  let total: number | undefined;
  let hasMore = false;
  if (source === null) {
    total = 0;
  } else {
    // Page (count + 1 rows, so a next page is known without counting) and, when a total is wanted, the
    // count: one round trip.
    const stmts: D1PreparedStatement[] = [];
    if (pageSize > 0) {
      const keyCols: string[] = [];
      const order: string[] = [];
      query.sort.forEach((key, i) => {
        const defs = query.types.map((t) => key.byType.get(t)).filter((d) => d !== undefined);
        keyCols.push(`${sortExpression(ctx, "R", defs, key.desc)} AS k${i}`);
        order.push(`k${i}${key.desc ? " DESC" : ""}`);
      });
      const text = `SELECT m.rid AS rid, sc.resource_type AS rt, m.id AS id, f.body AS body FROM (
          SELECT R.rid AS rid, R.sk AS sk, R.id AS id${keyCols.map((c) => `, ${c}`).join("")}
          FROM ${source.from} WHERE ${source.where}
          ORDER BY ${[...order, "rid"].join(", ")} LIMIT ${pageSize + 1} OFFSET ${query.offset}
        ) m
        JOIN fhir_search_scope sc ON sc.sk = m.sk
        JOIN fhir_resources f ON f.store_id = sc.store_id AND f.resource_type = sc.resource_type AND f.id = m.id AND f.deleted = 0
        ORDER BY ${[...order.map((o) => `m.${o}`), "m.rid"].join(", ")}`;
      const page = finalizeSql(text, sql.params);
      stmts.push(db.prepare(page.sql).bind(...page.params));
    }
    const needTotal = wantCount || query.total !== "none";
    if (needTotal) {
      const count = finalizeSql(`SELECT count(*) AS rid FROM ${source.from} WHERE ${source.where}`, sql.params);
      stmts.push(db.prepare(count.sql).bind(...count.params));
    }
    const results = stmts.length === 1 ? [await stmts[0].all<PageRow>()] : await db.batch<PageRow>(stmts);
    if (pageSize > 0) rows = results[0].results;
    if (needTotal) total = Number(results[results.length - 1].results[0]?.rid ?? 0);
    hasMore = rows.length > pageSize;
    if (hasMore) rows = rows.slice(0, pageSize);
  }
  if (total !== undefined && pageSize > 0) hasMore = query.offset + rows.length < total;

  const matches: FoundResource[] = rows.map((r) => ({ rid: r.rid, type: r.rt, id: r.id, body: r.body }));
  const { included, truncated } = await resolveIncludes(
    {
      db,
      storeId: req.storeId,
      custom,
      filterAllowed:
        req.includeAccess || req.includePatient || req.consentAllow
          ? (type, rids) => allowedRids(db, ctx, req, type, rids, custom)
          : undefined,
    },
    query,
    matches,
  );
  if (truncated)
    query.issues.push({
      severity: "warning",
      code: "incomplete",
      diagnostics: `Included resources were limited to ${included.length}`,
    });

  const base = req.baseUrl.replace(/\/$/, "");
  const entry: BundleEntry[] = [];
  for (const m of matches) {
    const resource = shapeResource(JSON.parse(m.body) as Record<string, unknown>, query.summary, query.elements);
    entry.push({ fullUrl: `${base}/${m.type}/${m.id}`, resource, search: { mode: "match" } });
  }
  for (const r of included) {
    entry.push({
      fullUrl: `${base}/${r.type}/${r.id}`,
      resource: JSON.parse(r.body) as Record<string, unknown>,
      search: { mode: "include" },
    });
  }
  if (query.issues.length) entry.push(outcomeEntry(query.issues));

  const bundle: SearchBundle = {
    resourceType: "Bundle",
    id: randomId(),
    meta: { lastUpdated: nowIso() },
    type: "searchset",
    ...(total !== undefined ? { total } : {}),
    link: pagingLinks(searchPath(req), query, hasMore, total),
  };
  if (entry.length) bundle.entry = entry;
  return bundle;
}

/**
 * Which of these rids (all of `type`) the caller may see as included resources: the type's query
 * constraints (OR-ed), its patient compartment (patient-context grants) and consent, AND-ed.
 */
async function allowedRids(
  db: D1Database,
  parent: CompileContext,
  req: SearchRequest,
  type: string,
  rids: number[],
  custom?: CustomParams,
): Promise<Set<number>> {
  const rule = req.includeAccess ? req.includeAccess(type) : "all";
  if (rule === "none") return new Set();
  const patientId = req.includePatient?.(type) ?? null;
  if (rule === "all" && patientId === null && !req.consentAllow) return new Set(rids);
  const sql = new SqlBuilder();
  const ctx: CompileContext = { sql, storeId: parent.storeId, baseUrl: parent.baseUrl };
  const target = { type, res: "R" };
  const conds: string[] = [];
  if (rule !== "all") {
    const sets = parseFilterSets(rule, type, custom);
    if (sets === "deny") return new Set();
    conds.push(sets.map((set) => `(${compileConjunction(ctx, target, set)})`).join(" OR "));
  }
  if (patientId !== null) {
    const c = compartmentFilter(type, patientId);
    if (c === "none") return new Set();
    conds.push(c === "self" ? `R.id = ${sql.bind(patientId)}` : compileConjunction(ctx, target, [c]));
  }
  if (req.consentAllow)
    conds.push(consentPredicate((v) => sql.bind(v), type, "R", sql.bind(JSON.stringify(req.consentAllow))));
  const ridList = sql.bind(JSON.stringify(rids));
  const q = finalizeSql(
    `SELECT R.rid AS rid FROM fhir_search_res R WHERE R.rid IN (SELECT value FROM json_each(${ridList})) AND (${conds.join(") AND (")})`,
    sql.params,
  );
  const res = await db
    .prepare(q.sql)
    .bind(...q.params)
    .all<{ rid: number }>();
  return new Set(res.results.map((r) => r.rid));
}
