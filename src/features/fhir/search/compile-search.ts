/**
 * SearchQuery -> parameterised SQL over the index tables (migrations/0002_fhir_search.sql).
 *
 * Shape: the root is `fhir_search_res R` (one row per live resource) restricted to the scope `sk` of the
 * type. The most selective filter "drives" as `R.rid IN (SELECT rid FROM <index> WHERE sk = .. AND p = ..
 * AND value ..)` (an index range scan on (sk, p, value)); the others are correlated
 * `EXISTS (SELECT 1 FROM <index> WHERE rid = R.rid AND p = .. AND ..)` probes on the (rid, p, ..) primary
 * keys. Every value is a bound parameter; only scope keys (integers read from our own table) and
 * validated integers (LIMIT/OFFSET) are written into the SQL text.
 */
import { AppError } from "../../../platform/errors";
import { getParam, patientCompartmentParams, type SearchParamDef } from "./definitions";
import { type Filter, needsExpansion, type ParamFilter, type SearchValue } from "./search-query";
import { scopeKeySql } from "./store-scopes";
import { canonicalize, UCUM_SYSTEM } from "./ucum";
import {
  clip,
  DATE_MAX,
  DATE_MIN,
  MAX_STRING_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_URI_LENGTH,
  normalizeString,
  soundex,
} from "./values";

/** D1 allows 100 bound parameters per statement. */
const MAX_PARAMS = 100;
/** Upper bound for prefix ranges: `v >= q AND v < q || U+10FFFF` is "v starts with q" on an index. */
const MAX_CHAR = "\u{10FFFF}";

export class SqlBuilder {
  readonly params: (string | number)[] = [];
  private readonly positions = new Map<string, number>();
  private aliases = 0;

  bind(value: string | number): string {
    const key = `${typeof value}:${value}`;
    let pos = this.positions.get(key);
    if (pos === undefined) {
      this.params.push(value);
      pos = this.params.length;
      if (pos > MAX_PARAMS)
        throw new AppError("invalid", "The search has too many values (more than 100); split it into several searches");
      this.positions.set(key, pos);
    }
    return `?${pos}`;
  }

  alias(prefix: string): string {
    this.aliases++;
    return `${prefix}${this.aliases}`;
  }
}

/**
 * Renumbers the `?N` placeholders an SQL text really uses to 1..k and returns the matching values: one
 * builder can then serve several statements (page, count) that use different subsets of its values,
 * and D1, which rejects unused bindings, gets exactly what each statement references.
 */
export function finalizeSql(
  text: string,
  params: readonly (string | number)[],
): { sql: string; params: (string | number)[] } {
  const mapping = new Map<number, number>();
  const out: (string | number)[] = [];
  const sql = text.replace(/\?(\d+)/g, (_, n: string) => {
    const from = Number(n);
    let to = mapping.get(from);
    if (to === undefined) {
      out.push(params[from - 1]);
      to = out.length;
      mapping.set(from, to);
    }
    return `?${to}`;
  });
  return { sql, params: out };
}

export interface CompileContext {
  sql: SqlBuilder;
  storeId: string;
  /** Base URL of the store (absolute references under it are local). */
  baseUrl: string;
}

interface Target {
  type: string;
  /** Alias of the fhir_search_res row the predicate is about. */
  res: string;
}

/** Scope key of a type in this store (SQL; NULL, matching nothing, when the store has no such resource). */
const skOf = (ctx: CompileContext, type: string): string => scopeKeySql(ctx.sql, ctx.storeId, type);

type Table = "token" | "string" | "date" | "number" | "quantity" | "reference" | "uri" | "composite";
const TABLE_OF: Record<string, Table> = {
  token: "token",
  string: "string",
  date: "date",
  number: "number",
  quantity: "quantity",
  reference: "reference",
  uri: "uri",
  composite: "composite",
};
const SQL_TABLE = (t: Table) => `fhir_idx_${t}`;

/** `p` condition: the param's own rows or its alias's (`patient` reads `subject` rows to Patient). */
function paramCond(ctx: CompileContext, a: string, def: SearchParamDef, suffix = ""): string {
  const codes = (def.alias ?? [def.code]).map((c) => c + suffix);
  const p =
    codes.length === 1
      ? `${a}.p = ${ctx.sql.bind(codes[0])}`
      : `${a}.p IN (${codes.map((c) => ctx.sql.bind(c)).join(", ")})`;
  return def.aliasTarget && !suffix ? `${p} AND ${a}.tt = ${ctx.sql.bind(def.aliasTarget)}` : p;
}

/** OR of conditions, always parenthesised so that it composes safely with AND. */
const or = (parts: string[]): string => `(${parts.map((p) => `(${p})`).join(" OR ")})`;

// ---------------------------------------------------------------------------------------------
// Value conditions per type (FHIR R4 search.html, "Search Parameter Types").

interface TokenCols {
  sys: string;
  val: string;
  txt?: string;
}
const tokenCols = (a: string): TokenCols => ({ sys: `${a}.sys`, val: `${a}.val`, txt: `${a}.txt` });

function tokenCond(ctx: CompileContext, cols: TokenCols, v: SearchValue): string {
  const b = (x: string | number) => ctx.sql.bind(x);
  if (v.t === "tokenText") {
    if (!cols.txt) return "0";
    // :text: the display text starts with the value, or one of its words does.
    const q = normalizeString(v.text);
    return `(${cols.txt} >= ${b(q)} AND ${cols.txt} < ${b(q + MAX_CHAR)}) OR instr(${cols.txt}, ${b(` ${q}`)}) > 0`;
  }
  if (v.t === "codes") {
    // An expanded ValueSet / subsumption: one JSON parameter whatever its size. `val IN` lets the
    // (sk, p, val, sys) index seek each code; the row-value IN then checks the system too.
    const list = b(JSON.stringify(v.codes));
    return `${cols.val} IN (SELECT value->>1 FROM json_each(${list})) AND (${cols.sys}, ${cols.val}) IN (SELECT value->>0, value->>1 FROM json_each(${list}))`;
  }
  if (v.t === "ofType") {
    return `${cols.sys} = ${b(clip(`${v.system}|${v.code}`, MAX_TOKEN_LENGTH))} AND ${cols.val} = ${b(clip(v.value, MAX_TOKEN_LENGTH))}`;
  }
  if (v.t !== "token") return "0";
  const parts: string[] = [];
  if (v.code !== undefined) parts.push(`${cols.val} = ${b(clip(v.code, MAX_TOKEN_LENGTH))}`);
  if (v.system !== undefined) parts.push(`${cols.sys} = ${b(clip(v.system, MAX_TOKEN_LENGTH))}`);
  return parts.join(" AND ") || "1";
}

function stringCond(
  ctx: CompileContext,
  a: string,
  v: SearchValue,
  modifier: string | undefined,
  code: string,
): string {
  if (v.t !== "string") return "0";
  const b = (x: string | number) => ctx.sql.bind(x);
  if (code === "phonetic") return `${a}.v = ${b(soundex(v.value).toLowerCase())}`;
  const q = normalizeString(v.value);
  if (modifier === "exact") {
    const raw = clip(v.value, MAX_STRING_LENGTH);
    return `${a}.v = ${b(q)} AND (CASE WHEN ${a}.x = '' THEN ${a}.v ELSE ${a}.x END) = ${b(raw)}`;
  }
  if (!q) return "1";
  if (modifier === "contains") return `instr(${a}.v, ${b(q)}) > 0`;
  return `${a}.v >= ${b(q)} AND ${a}.v < ${b(q + MAX_CHAR)}`;
}

/**
 * Date prefixes over a stored range [lo, hi] and a search range [sLo, sHi] (search.html#prefix):
 * eq = the stored range lies within the search range; gt/lt = it extends above/below it; ge = gt or eq;
 * le = lt or eq; sa/eb = starts after / ends before; ap = overlaps the search range widened by 10% of
 * its distance from now (at least a day).
 */
export function dateCond(
  ctx: CompileContext,
  lo: string,
  hi: string,
  v: { prefix: string; lo: number; hi: number },
): string {
  const b = (x: number) => ctx.sql.bind(x);
  const eq = () => `${lo} >= ${b(v.lo)} AND ${hi} <= ${b(v.hi)}`;
  switch (v.prefix) {
    case "ne":
      return `${lo} < ${b(v.lo)} OR ${hi} > ${b(v.hi)}`;
    case "gt":
      return `${hi} > ${b(v.hi)}`;
    case "lt":
      return `${lo} < ${b(v.lo)}`;
    case "ge":
      return `${hi} > ${b(v.hi)} OR (${eq()})`;
    case "le":
      return `${lo} < ${b(v.lo)} OR (${eq()})`;
    case "sa":
      return `${lo} > ${b(v.hi)}`;
    case "eb":
      return `${hi} < ${b(v.lo)}`;
    case "ap": {
      const delta = Math.max(Math.abs(Date.now() - v.lo) * 0.1, 86_400_000);
      return `${lo} <= ${b(Math.min(v.hi + delta, DATE_MAX))} AND ${hi} >= ${b(Math.max(v.lo - delta, DATE_MIN))}`;
    }
    default:
      return eq();
  }
}

/**
 * Number prefixes (search.html#number): eq/ne use the value's implicit precision range [lo, hi); the
 * ordering prefixes compare with the exact value; ap = within 10%.
 */
function numberCond(
  ctx: CompileContext,
  lo: string,
  hi: string,
  v: { prefix: string; value: number; lo: number; hi: number },
): string {
  const b = (x: number) => ctx.sql.bind(x);
  switch (v.prefix) {
    case "ne":
      return `${lo} < ${b(v.lo)} OR ${hi} >= ${b(v.hi)}`;
    case "gt":
    case "sa":
      return `${hi} > ${b(v.value)}`;
    case "lt":
    case "eb":
      return `${lo} < ${b(v.value)}`;
    case "ge":
      return `${hi} >= ${b(v.value)}`;
    case "le":
      return `${lo} <= ${b(v.value)}`;
    case "ap": {
      const d = Math.abs(v.value) * 0.1;
      return `${lo} <= ${b(v.value + d)} AND ${hi} >= ${b(v.value - d)}`;
    }
    default:
      return `${lo} >= ${b(v.lo)} AND ${hi} < ${b(v.hi)}`;
  }
}

/** Quantity: unit match (canonical UCUM when both sides convert) + number semantics on the value. */
function quantityCond(
  ctx: CompileContext,
  cols: { sys: string; code: string; lo: string; hi: string },
  v: { prefix: string; value: number; lo: number; hi: number; system?: string; code?: string },
): string {
  const b = (x: string | number) => ctx.sql.bind(x);
  const raw = (unit: string) => `${unit} AND (${numberCond(ctx, cols.lo, cols.hi, v)})`;
  const canonical = (): string | undefined => {
    if (!v.code || (v.system !== undefined && v.system !== UCUM_SYSTEM)) return undefined;
    const c = canonicalize(v.value, v.code);
    const clo = canonicalize(v.lo, v.code);
    const chi = canonicalize(v.hi, v.code);
    if (!c || !clo || !chi) return undefined;
    const scaled = {
      prefix: v.prefix,
      value: c.value,
      lo: Math.min(clo.value, chi.value),
      hi: Math.max(clo.value, chi.value),
    };
    return `${cols.sys} = '' AND ${cols.code} = ${b(`=${c.unit}`)} AND (${numberCond(ctx, cols.lo, cols.hi, scaled)})`;
  };
  const notCanonical = `NOT (${cols.sys} = '' AND substr(${cols.code}, 1, 1) = '=')`;
  if (v.code && v.system) {
    const canon = v.system === UCUM_SYSTEM ? canonical() : undefined;
    return canon ?? raw(`${cols.sys} = ${b(v.system)} AND ${cols.code} = ${b(v.code)}`);
  }
  if (v.code) {
    const canon = canonical();
    const direct = raw(`${cols.code} = ${b(v.code)}`);
    return canon ? `(${direct}) OR (${canon})` : direct;
  }
  if (v.system) return raw(`${cols.sys} = ${b(v.system)}`);
  return raw(notCanonical);
}

/** A reference value as (type, id) when local, else as URL. */
function localReference(ctx: CompileContext, v: { type?: string; id?: string; url?: string }) {
  if (v.url) {
    const base = `${ctx.baseUrl.replace(/\/$/, "")}/`;
    if (v.url.startsWith(base)) {
      const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(v.url.slice(base.length));
      if (m) return { type: m[1], id: m[2] };
    }
    return { url: clip(v.url, MAX_URI_LENGTH) };
  }
  return { type: v.type, id: v.id };
}

function referenceCond(ctx: CompileContext, a: string, v: SearchValue): string {
  if (v.t !== "reference") return "0";
  const b = (x: string) => ctx.sql.bind(x);
  const r = localReference(ctx, v);
  if ("url" in r && r.url !== undefined) return `${a}.u = ${b(r.url)}`;
  const parts: string[] = [];
  if (r.id !== undefined) parts.push(`${a}.tid = ${b(r.id)}`);
  if (r.type !== undefined) parts.push(`${a}.tt = ${b(r.type)}`);
  return parts.join(" AND ") || "0";
}

/** Every prefix of a URI at a path boundary, for :above. */
function uriAncestors(uri: string): string[] {
  const out = new Set<string>([uri]);
  const schemeEnd = uri.indexOf("://");
  const start = schemeEnd >= 0 ? uri.indexOf("/", schemeEnd + 3) : -1;
  if (start < 0) return [...out];
  for (let i = uri.length - 1; i >= start && out.size < 32; i--) if (uri[i] === "/") out.add(uri.slice(0, i));
  return [...out];
}

function uriCond(ctx: CompileContext, a: string, v: SearchValue, modifier: string | undefined): string {
  if (v.t !== "uri") return "0";
  const b = (x: string) => ctx.sql.bind(x);
  const value = clip(v.value, MAX_URI_LENGTH);
  if (modifier === "below") return `${a}.v >= ${b(value)} AND ${a}.v < ${b(value + MAX_CHAR)}`;
  if (modifier === "above") return `${a}.v IN (${uriAncestors(value).map(b).join(", ")})`;
  return `${a}.v = ${b(value)}`;
}

function compositeCond(ctx: CompileContext, a: string, v: SearchValue, def: SearchParamDef): string {
  if (v.t !== "composite") return "0";
  const b = (x: string | number) => ctx.sql.bind(x);
  const comps = def.components ?? [];
  const conds: string[] = [];
  v.parts.forEach((part, i) => {
    const type = comps[i]?.type;
    if (i === 0) {
      conds.push(tokenCond(ctx, { sys: `${a}.s1`, val: `${a}.c1` }, part));
      return;
    }
    const lo = i === 1 ? `${a}.lo2` : `${a}.lo3`;
    const hi = i === 1 ? `${a}.hi2` : `${a}.hi3`;
    if (type === "token") conds.push(tokenCond(ctx, { sys: `${a}.s2`, val: `${a}.c2` }, part));
    else if (type === "string" && part.t === "string") {
      const q = normalizeString(part.value);
      conds.push(`${a}.c2 >= ${b(q)} AND ${a}.c2 < ${b(q + MAX_CHAR)}`);
    } else if (type === "reference" && part.t === "reference") {
      const r = localReference(ctx, part);
      const key = "url" in r && r.url !== undefined ? r.url : r.type ? `${r.type}/${r.id}` : undefined;
      conds.push(key ? `${a}.c2 = ${b(key)}` : `substr(${a}.c2, -${(r.id ?? "").length + 1}) = ${b(`/${r.id}`)}`);
    } else if (type === "quantity" && part.t === "quantity")
      conds.push(quantityCond(ctx, { sys: `${a}.s2`, code: `${a}.c2`, lo, hi }, part));
    else if (type === "number" && part.t === "number") conds.push(numberCond(ctx, lo, hi, part));
    else if (type === "date" && part.t === "date") conds.push(dateCond(ctx, lo, hi, part));
    else conds.push("0");
  });
  return conds.map((c) => `(${c})`).join(" AND ");
}

function valueCond(ctx: CompileContext, a: string, f: ParamFilter, v: SearchValue): string {
  const def = f.def;
  if (f.modifier === "identifier") return tokenCond(ctx, tokenCols(a), v);
  switch (def.type) {
    case "token":
      return tokenCond(ctx, tokenCols(a), v);
    case "string":
      return stringCond(ctx, a, v, f.modifier, def.code);
    case "date":
      return v.t === "date" ? dateCond(ctx, `${a}.lo`, `${a}.hi`, v) : "0";
    case "number":
      return v.t === "number" ? numberCond(ctx, `${a}.lo`, `${a}.hi`, v) : "0";
    case "quantity":
      return v.t === "quantity"
        ? quantityCond(ctx, { sys: `${a}.sys`, code: `${a}.code`, lo: `${a}.lo`, hi: `${a}.hi` }, v)
        : "0";
    case "reference":
      return referenceCond(ctx, a, v);
    case "uri":
      return uriCond(ctx, a, v, f.modifier);
    case "composite":
      return compositeCond(ctx, a, v, def);
    default:
      return "0";
  }
}

// ---------------------------------------------------------------------------------------------
// Filters.

/** Lower = more selective (drives the query). Infinity: never drives (negations, resource columns). */
export function selectivity(f: Filter): number {
  switch (f.kind) {
    case "list":
      return 1;
    case "chain":
      return 5;
    case "has":
      return 6;
    case "param": {
      if (f.not || f.missing !== undefined || needsExpansion(f)) return Number.POSITIVE_INFINITY;
      const def = f.def;
      // _id is answered by the (sk, id) unique index directly; _lastUpdated by (sk, lu): never a driver.
      if (def.column) return Number.POSITIVE_INFINITY;
      if (f.modifier === "identifier" || f.modifier === "of-type") return 1;
      if (f.modifier === "contains" || f.modifier === "text" || f.modifier === "above") return 8;
      switch (def.type) {
        case "reference":
          return f.values.every((v) => v.t === "reference" && (v.id || v.url)) ? 2 : 7;
        case "token":
          if (def.code === "identifier") return 1;
          if (f.values.every((v) => v.t === "codes")) return 3;
          if (!f.values.every((v) => v.t === "token" && v.code !== undefined)) return 7;
          return f.values.every((v) => v.t === "token" && v.system) ? 3 : 4;
        case "string":
          return 3;
        case "text":
        case "content":
          return 5;
        case "composite":
        case "uri":
          return 6;
        default:
          return 7;
      }
    }
  }
}

/**
 * A row source: `from` joins fhir_search_res (aliased `target.res`) to its driver, `where` holds the
 * remaining conditions. SELECT ... FROM {from} WHERE {where} lists the matching resources.
 */
export interface RowSource {
  from: string;
  where: string;
}

/** A driver: a subquery listing candidate keys (`k`), and whether they are rids or ids. */
interface Driver {
  sub: string;
  on: "rid" | "id";
}

function indexTableOf(f: ParamFilter): { table: Table; suffix: string } {
  if (f.modifier === "identifier") return { table: "token", suffix: ":i" };
  if (f.values.some((v) => v.t === "ofType")) return { table: "token", suffix: ":t" };
  return { table: TABLE_OF[f.def.type], suffix: "" };
}

/** Rows of the filter's index table that match it (for `p` + values), as SQL conditions on alias `a`. */
function paramRowCond(ctx: CompileContext, a: string, f: ParamFilter): string {
  const { suffix } = indexTableOf(f);
  return `${paramCond(ctx, a, f.def, suffix)} AND ${or(f.values.map((v) => valueCond(ctx, a, f, v)))}`;
}

/** FTS5 query for _text/_content, restricted to the type's scope token (`s : k<sk>`). */
function textMatch(ctx: CompileContext, target: Target, f: ParamFilter): string {
  const column = f.def.type === "text" ? "t" : "c";
  const words = f.values
    .map((v) =>
      v.t === "text" ? `(${v.words.map((w) => `${column} : "${w.replaceAll('"', '""')}"*`).join(" AND ")})` : "",
    )
    .filter(Boolean)
    .join(" OR ");
  const scope = `'s : k' || coalesce(${skOf(ctx, target.type)}, 0)`;
  return `SELECT rowid AS k FROM fhir_idx_text WHERE fhir_idx_text MATCH (${scope} || ' AND (' || ${ctx.sql.bind(words)} || ')')`;
}

function chainLinks(ctx: CompileContext, a: string, f: Extract<Filter, { kind: "chain" }>): string {
  const links = f.links.map((link) => {
    const T = ctx.sql.alias("T");
    const inner = compileSource(ctx, { type: link.targetType, res: T }, [link.inner]);
    return `${a}.tt = ${ctx.sql.bind(link.targetType)} AND ${a}.tid IN (SELECT ${T}.id FROM ${inner.from} WHERE ${inner.where})`;
  });
  return `${paramCond(ctx, a, f.def)} AND ${or(links)}`;
}

/** The filter as a driver subquery, or undefined when it cannot drive. */
function compileDriver(ctx: CompileContext, target: Target, f: Filter): Driver | undefined {
  const sk = skOf(ctx, target.type);
  switch (f.kind) {
    case "list": {
      const l = ctx.sql.alias("l");
      const L = ctx.sql.alias("L");
      const ids = f.listIds.map((id) => ctx.sql.bind(id)).join(", ");
      return {
        on: "id",
        sub: `SELECT DISTINCT ${l}.tid AS k FROM fhir_search_res ${L} CROSS JOIN fhir_idx_reference ${l} ON ${l}.rid = ${L}.rid
          WHERE ${L}.sk = ${skOf(ctx, "List")} AND ${L}.id IN (${ids}) AND ${l}.p = 'item' AND ${l}.tt = ${ctx.sql.bind(target.type)}`,
      };
    }
    case "chain": {
      const a = ctx.sql.alias("c");
      return {
        on: "rid",
        sub: `SELECT DISTINCT ${a}.rid AS k FROM fhir_idx_reference ${a} WHERE ${a}.sk = ${sk} AND ${chainLinks(ctx, a, f)}`,
      };
    }
    case "has": {
      const h = ctx.sql.alias("h");
      const O = ctx.sql.alias("O");
      const inner = compileSource(ctx, { type: f.sourceType, res: O }, [f.inner]);
      return {
        on: "id",
        sub: `SELECT DISTINCT ${h}.tid AS k FROM ${inner.from} CROSS JOIN fhir_idx_reference ${h} ON ${h}.rid = ${O}.rid
          WHERE ${inner.where} AND ${paramCond(ctx, h, f.def)} AND ${h}.tt = ${ctx.sql.bind(target.type)}`,
      };
    }
    case "param": {
      if (f.not || f.missing !== undefined || f.def.column) return undefined;
      if (f.def.type === "text" || f.def.type === "content") return { on: "rid", sub: textMatch(ctx, target, f) };
      const { table } = indexTableOf(f);
      const a = ctx.sql.alias("x");
      return {
        on: "rid",
        sub: `SELECT DISTINCT ${a}.rid AS k FROM ${SQL_TABLE(table)} ${a} WHERE ${a}.sk = ${sk} AND ${paramRowCond(ctx, a, f)}`,
      };
    }
  }
}

/** The filter as a predicate on `target.res` (correlated probes). */
export function compilePredicate(ctx: CompileContext, target: Target, f: Filter): string {
  const R = target.res;
  switch (f.kind) {
    case "list": {
      const d = compileDriver(ctx, target, f) as Driver;
      return `${R}.id IN (${d.sub})`;
    }
    case "chain": {
      const a = ctx.sql.alias("c");
      return `EXISTS (SELECT 1 FROM fhir_idx_reference ${a} WHERE ${a}.rid = ${R}.rid AND ${chainLinks(ctx, a, f)})`;
    }
    case "has": {
      const h = ctx.sql.alias("h");
      const O = ctx.sql.alias("O");
      const inner = compileSource(ctx, { type: f.sourceType, res: O }, [f.inner], true);
      return `EXISTS (SELECT 1 FROM fhir_idx_reference ${h} CROSS JOIN fhir_search_res ${O} ON ${O}.rid = ${h}.rid
        WHERE ${h}.sk = ${skOf(ctx, f.sourceType)} AND ${paramCond(ctx, h, f.def)} AND ${h}.tt = ${ctx.sql.bind(target.type)}
        AND ${h}.tid = ${R}.id AND ${inner.where})`;
    }
    case "param":
      return paramPredicate(ctx, target, f);
  }
}

function paramPredicate(ctx: CompileContext, target: Target, f: ParamFilter): string {
  const R = target.res;
  const def = f.def;
  const b = (x: string | number) => ctx.sql.bind(x);
  if (def.column === "id") {
    if (f.missing !== undefined) return f.missing ? "0" : "1";
    const ids = f.values.flatMap((v) => (v.t === "token" && v.code !== undefined ? [v.code] : []));
    const list = `${R}.id IN (${ids.map(b).join(", ") || "NULL"})`;
    return f.not ? `NOT ${list}` : list;
  }
  if (def.column === "lu") {
    if (f.missing !== undefined) return f.missing ? "0" : "1";
    return or(f.values.map((v) => (v.t === "date" ? dateCond(ctx, `${R}.lu`, `${R}.lu`, v) : "0")));
  }
  if (def.type === "text" || def.type === "content") {
    if (f.missing !== undefined) return "1";
    return `${R}.rid IN (${textMatch(ctx, target, f)})`;
  }
  // Never expanded (e.g. `code:in` inside an access constraint): matches nothing, negated or not.
  if (needsExpansion(f)) return "0";
  const { table, suffix } = indexTableOf(f);
  const a = ctx.sql.alias("x");
  if (f.missing !== undefined) {
    let exists = `EXISTS (SELECT 1 FROM ${SQL_TABLE(table)} ${a} WHERE ${a}.rid = ${R}.rid AND ${paramCond(ctx, a, def, suffix)})`;
    if (def.type === "reference" && !def.aliasTarget) {
      // A reference given only as Reference.identifier is present too (its rows are tokens "<code>:i").
      const i = ctx.sql.alias("x");
      exists = `(${exists} OR EXISTS (SELECT 1 FROM fhir_idx_token ${i} WHERE ${i}.rid = ${R}.rid AND ${paramCond(ctx, i, def, ":i")}))`;
    }
    return f.missing ? `NOT ${exists}` : exists;
  }
  const exists = `EXISTS (SELECT 1 FROM ${SQL_TABLE(table)} ${a} WHERE ${a}.rid = ${R}.rid AND ${paramRowCond(ctx, a, f)})`;
  return f.not ? `NOT ${exists}` : exists;
}

/**
 * The resources of `target.type` matching all `filters`. The most selective filter drives (unless
 * `noDriver`): its index scan becomes the outer loop, pinned with CROSS JOIN (SQLite keeps that join
 * order; without statistics its planner would rather walk every row of the type). The others are probes.
 */
export function compileSource(ctx: CompileContext, target: Target, filters: Filter[], noDriver = false): RowSource {
  const R = target.res;
  const sk = skOf(ctx, target.type);
  const ordered = filters.map((f, i) => ({ f, i, s: selectivity(f) })).sort((x, y) => x.s - y.s || x.i - y.i);
  let from = `fhir_search_res ${R}`;
  let rest = ordered;
  if (!noDriver && ordered.length && Number.isFinite(ordered[0].s)) {
    const driver = compileDriver(ctx, target, ordered[0].f);
    if (driver) {
      const D = ctx.sql.alias("D");
      from = `(${driver.sub}) ${D} CROSS JOIN fhir_search_res ${R} ON ${driver.on === "rid" ? `${R}.rid = ${D}.k` : `${R}.sk = ${sk} AND ${R}.id = ${D}.k`}`;
      rest = ordered.slice(1);
    }
  }
  const where = [`${R}.sk = ${sk}`, ...rest.map(({ f }) => `(${compilePredicate(ctx, target, f)})`)].join(" AND ");
  return { from, where };
}

/** The conjunction of `filters` as a predicate on `target.res` (no driver); "1" for none. */
export function compileConjunction(ctx: CompileContext, target: Target, filters: Filter[]): string {
  if (filters.length === 0) return "1";
  return filters.map((f) => `(${compilePredicate(ctx, target, f)})`).join(" AND ");
}

/** Patient compartment membership (FHIR R4 compartmentdefinition-patient) of resources of `type`. */
export function compartmentFilter(type: string, patientId: string): Filter | "none" | "self" {
  if (type === "Patient") return "self";
  const codes = patientCompartmentParams(type);
  if (!codes) return "none";
  const refCodes = new Set<string>();
  for (const code of codes) {
    const def = getParam(type, code);
    if (def?.type === "reference") for (const c of def.alias ?? [def.code]) refCodes.add(c);
  }
  if (refCodes.size === 0) return "none";
  const def: SearchParamDef = {
    code: "_compartment",
    type: "reference",
    paths: [],
    targets: ["Patient"],
    alias: [...refCodes].sort(),
    aliasTarget: "Patient",
  };
  return { kind: "param", def, values: [{ t: "reference", type: "Patient", id: patientId }] };
}

/**
 * ORDER BY expression of one sort key: the smallest value of the param for ascending, the largest for
 * descending (search.html#sort), with resources lacking the value last (a sentinel instead of NULL keeps
 * it one expression, evaluated once per row).
 */
export function sortExpression(ctx: CompileContext, R: string, defs: SearchParamDef[], desc: boolean): string {
  const def = defs[0];
  if (def.column === "id") return `${R}.id`;
  if (def.column === "lu") return `${R}.lu`;
  const codes = [...new Set(defs.flatMap((d) => d.alias ?? [d.code]))];
  const a = ctx.sql.alias("s");
  const p =
    codes.length === 1
      ? `${a}.p = ${ctx.sql.bind(codes[0])}`
      : `${a}.p IN (${codes.map((c) => ctx.sql.bind(c)).join(", ")})`;
  const agg = desc ? "max" : "min";
  const textLast = desc ? "''" : "char(1114111)";
  const numLast = desc ? "-9e307" : "9e307";
  const sub = (expr: string, table: string, extra = "") =>
    `(SELECT ${expr} FROM ${table} ${a} WHERE ${a}.rid = ${R}.rid AND ${p}${extra})`;
  switch (def.type) {
    case "token":
      return `coalesce(${sub(`${agg}(${a}.val)`, "fhir_idx_token")}, ${textLast})`;
    case "string":
      return `coalesce(${sub(`${agg}(${a}.v)`, "fhir_idx_string")}, ${textLast})`;
    case "uri":
      return `coalesce(${sub(`${agg}(${a}.v)`, "fhir_idx_uri")}, ${textLast})`;
    case "reference": {
      const aliasTarget = def.aliasTarget ? ` AND ${a}.tt = ${ctx.sql.bind(def.aliasTarget)}` : "";
      return `coalesce(${sub(`${agg}(${a}.tt || '/' || ${a}.tid || ${a}.u)`, "fhir_idx_reference", aliasTarget)}, ${textLast})`;
    }
    case "date":
    case "number":
      return `coalesce(${sub(desc ? `max(${a}.hi)` : `min(${a}.lo)`, `fhir_idx_${def.type}`)}, ${numLast})`;
    case "quantity":
      return `coalesce(${sub(desc ? `max(${a}.hi)` : `min(${a}.lo)`, "fhir_idx_quantity", ` AND NOT (${a}.sys = '' AND substr(${a}.code, 1, 1) = '=')`)}, ${numLast})`;
    default:
      return "NULL";
  }
}
