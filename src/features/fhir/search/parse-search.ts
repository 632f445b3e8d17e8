/**
 * URLSearchParams -> SearchQuery (FHIR R4 search.html). Every parameter is checked against the R4
 * definitions of the searched type(s); unknown or malformed ones become issues (the caller ignores and
 * reports them, or rejects the request under `Prefer: handling=strict`, search.html#errors).
 */
import {
  type CustomParams,
  getParam,
  isResourceType,
  paramCodes,
  RESOURCE_TYPES,
  type SearchParamDef,
  type SearchParamType,
  targetTypes,
} from "./definitions";
import type {
  Filter,
  IncludeSpec,
  Prefix,
  SearchIssue,
  SearchQuery,
  SearchValue,
  SortKey,
  SummaryMode,
  TotalMode,
} from "./search-query";
import { parseDateRange, parseNumber, words } from "./values";

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
/** Chains and _has nest at most this deep (search.html leaves the limit to the server). */
const MAX_DEPTH = 4;
/** Comma-separated alternatives per parameter occurrence. */
const MAX_VALUES = 50;

const PREFIXES = new Set<Prefix>(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]);
/** Parameters that control the result rather than filter it. */
const RESULT_PARAMS = new Set([
  "_sort",
  "_count",
  "_offset",
  "_total",
  "_summary",
  "_elements",
  "_include",
  "_revinclude",
  "_contained",
  "_containedType",
]);
/** Parameters handled by the HTTP layer: accepted silently, never in links. */
const TRANSPORT_PARAMS = new Set(["_format", "_pretty"]);

class ParseError extends Error {}

/** Splits on `sep` not preceded by a backslash (search.html#escaping). Pieces stay escaped. */
export function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\" && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export const unescapeValue = (s: string): string => s.replace(/\\([\\,|$])/g, "$1");

function prefixOf(s: string): [Prefix, string] {
  const p = s.slice(0, 2) as Prefix;
  if (PREFIXES.has(p) && s.length > 2 && /[\d.+-]/.test(s[2])) return [p, s.slice(2)];
  return ["eq", s];
}

const MODIFIERS: Record<SearchParamType, Set<string>> = {
  // in / not-in / below / above are answered from the store's ValueSets and the terminology service
  // (resolve-terminology.ts expands them before the query is compiled).
  token: new Set(["missing", "text", "not", "of-type", "in", "not-in", "below", "above"]),
  string: new Set(["missing", "exact", "contains"]),
  date: new Set(["missing"]),
  number: new Set(["missing"]),
  quantity: new Set(["missing"]),
  reference: new Set(["missing", "identifier"]),
  uri: new Set(["missing", "below", "above"]),
  composite: new Set(["missing"]),
  text: new Set([]),
  content: new Set([]),
};
/** Token modifiers answered by expansion (resolve-terminology.ts); only where the caller expands them. */
const TERMINOLOGY_MODIFIERS = new Set(["in", "not-in", "below", "above"]);
/** Known modifiers this server cannot answer (on these parameter types): reported as not-supported. */
const UNSUPPORTED_MODIFIERS = new Set(["in", "not-in", "below", "above", "iterate", "text-advanced", "code-text"]);

/** Parses one value of a parameter of type `type` (already split on commas, still escaped). */
function parseValue(
  type: SearchParamType,
  raw: string,
  modifier: string | undefined,
  def: SearchParamDef,
): SearchValue {
  switch (type) {
    case "token": {
      if (modifier === "text") return { t: "tokenText", text: unescapeValue(raw) };
      if (modifier === "in" || modifier === "not-in") {
        // search.html#token: the value is a ValueSet canonical URL (`url[|version]`) or `ValueSet/id`.
        const url = unescapeValue(raw);
        if (!/^([a-z][a-z0-9+.-]*:\S+|ValueSet\/[A-Za-z0-9\-.]{1,64})$/i.test(url))
          throw new ParseError(`expected a ValueSet URL for :${modifier}, got '${raw}'`);
        return { t: "valueSet", url };
      }
      if (modifier === "of-type") {
        const parts = splitEscaped(raw, "|").map(unescapeValue);
        if (parts.length !== 3 || !parts[1] || !parts[2])
          throw new ParseError(`expected system|code|value for :of-type, got '${raw}'`);
        return { t: "ofType", system: parts[0], code: parts[1], value: parts[2] };
      }
      const parts = splitEscaped(raw, "|").map(unescapeValue);
      if ((modifier === "below" || modifier === "above") && (parts.length !== 2 || !parts[0] || !parts[1]))
        throw new ParseError(
          `:${modifier} needs system|code (subsumption is defined within a code system), got '${raw}'`,
        );
      if (parts.length === 1) return { t: "token", code: parts[0] };
      if (parts.length !== 2) throw new ParseError(`expected [system|]code, got '${raw}'`);
      if (!parts[0] && !parts[1]) throw new ParseError("empty token");
      return { t: "token", system: parts[0], code: parts[1] || undefined };
    }
    case "string":
      return { t: "string", value: unescapeValue(raw) };
    case "date": {
      const [prefix, rest] = prefixOf(raw);
      const r = parseDateRange(rest);
      if (!r) throw new ParseError(`'${raw}' is not a valid date (expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]])`);
      return { t: "date", prefix, lo: r.lo, hi: r.hi };
    }
    case "number": {
      const [prefix, rest] = prefixOf(raw);
      const n = parseNumber(rest);
      if (!n) throw new ParseError(`'${raw}' is not a valid number`);
      return { t: "number", prefix, ...n };
    }
    case "quantity": {
      const parts = splitEscaped(raw, "|").map(unescapeValue);
      if (parts.length !== 1 && parts.length !== 3)
        throw new ParseError(`expected [prefix]number[|system|code], got '${raw}'`);
      const [prefix, rest] = prefixOf(parts[0]);
      const n = parseNumber(rest);
      if (!n) throw new ParseError(`'${parts[0]}' is not a valid number`);
      return { t: "quantity", prefix, ...n, system: parts[1] || undefined, code: parts[2] || undefined };
    }
    case "reference": {
      const v = unescapeValue(raw);
      if (!v) throw new ParseError("empty reference");
      if (modifier && modifier !== "identifier" && modifier !== "missing") {
        // :Type modifier: the value is an id (or Type/id of the same type).
        const id = v.includes("/") ? (v.split("/").pop() ?? "") : v;
        return { t: "reference", type: modifier, id };
      }
      const local = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]+)?$/.exec(v);
      if (local) return { t: "reference", type: local[1], id: local[2] };
      if (/^[A-Za-z0-9\-.]{1,64}$/.test(v)) return { t: "reference", id: v };
      if (/^(https?:|urn:)/.test(v)) return { t: "reference", url: v.split("|")[0] };
      throw new ParseError(`'${v}' is not a reference (expected id, Type/id or an absolute URL)`);
    }
    case "uri":
      return { t: "uri", value: unescapeValue(raw) };
    case "composite": {
      const comps = def.components ?? [];
      const parts = splitEscaped(raw, "$");
      if (parts.length !== comps.length)
        throw new ParseError(`expected ${comps.length} components separated by '$', got '${raw}'`);
      return { t: "composite", parts: parts.map((p, i) => parseValue(comps[i].type, p, undefined, def)) };
    }
    case "text":
    case "content": {
      const w = words(unescapeValue(raw));
      if (w.length === 0) throw new ParseError("no words to search for");
      return { t: "text", words: w.slice(0, 16) };
    }
  }
}

/**
 * Parses `key=value` in the context of `type`. `key` may carry a modifier, a chain (`subject:Patient.name`)
 * or a reverse chain (`_has:Observation:patient:code`).
 */
/** What a filter may use besides the standard parameters (see ParseOptions). */
interface FilterContext {
  custom?: CustomParams;
  terminology: boolean;
}

function parseFilter(type: string, key: string, value: string, depth: number, fc: FilterContext): Filter {
  const custom = fc.custom;
  if (depth > MAX_DEPTH) throw new ParseError(`chains and _has nest at most ${MAX_DEPTH} levels`);
  if (key.startsWith("_has:")) {
    const [, sourceType, refCode, ...rest] = key.split(":");
    if (!sourceType || !refCode || rest.length === 0) throw new ParseError("expected _has:Type:reference:parameter");
    if (!isResourceType(sourceType)) throw new ParseError(`unknown resource type '${sourceType}' in _has`);
    const def = getParam(sourceType, refCode, custom);
    if (def?.type !== "reference") throw new ParseError(`'${refCode}' is not a reference parameter of ${sourceType}`);
    if (!targetTypes(def).includes(type)) throw new ParseError(`${sourceType}.${refCode} cannot refer to ${type}`);
    return { kind: "has", sourceType, def, inner: parseFilter(sourceType, rest.join(":"), value, depth + 1, fc) };
  }
  const dot = key.indexOf(".");
  if (dot >= 0) {
    const head = key.slice(0, dot);
    const tail = key.slice(dot + 1);
    const [code, typeModifier] = head.split(":");
    const def = getParam(type, code, custom);
    if (!def) throw new ParseError(`unknown search parameter '${code}' for ${type}`);
    if (def.type !== "reference") throw new ParseError(`'${code}' is not a reference parameter: it cannot be chained`);
    const candidates = typeModifier ? [typeModifier] : targetTypes(def);
    if (typeModifier && !isResourceType(typeModifier)) throw new ParseError(`unknown resource type '${typeModifier}'`);
    if (typeModifier && !targetTypes(def).includes(typeModifier))
      throw new ParseError(`${type}.${code} cannot refer to ${typeModifier}`);
    const innerCode = tail.split(/[.:]/)[0];
    const links: { targetType: string; inner: Filter }[] = [];
    let firstError: unknown;
    for (const targetType of candidates) {
      // Without a :Type modifier, the chain applies to every target type that defines the next param.
      if (!typeModifier && !innerCode.startsWith("_has") && !getParam(targetType, innerCode, custom)) continue;
      try {
        links.push({ targetType, inner: parseFilter(targetType, tail, value, depth + 1, fc) });
      } catch (e) {
        firstError ??= e;
      }
    }
    if (links.length === 0) {
      if (firstError) throw firstError;
      throw new ParseError(`no target type of ${type}.${code} has a search parameter '${innerCode}'`);
    }
    return { kind: "chain", def, links };
  }
  const colon = key.indexOf(":");
  const code = colon >= 0 ? key.slice(0, colon) : key;
  const modifier = colon >= 0 ? key.slice(colon + 1) : undefined;
  if (code === "_list") {
    if (modifier) throw new ParseError("_list takes no modifier");
    const ids = splitEscaped(value, ",").map(unescapeValue).filter(Boolean);
    if (!ids.length || ids.some((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) throw new ParseError("expected a List id");
    return { kind: "list", listIds: ids };
  }
  const def = getParam(type, code, custom);
  if (!def) {
    const hint = closestParam(type, code, custom);
    throw new ParseError(`unknown search parameter '${code}' for ${type}${hint ? `. Did you mean '${hint}'?` : ""}`);
  }
  if (modifier !== undefined) {
    const allowed = MODIFIERS[def.type];
    const isTypeModifier = def.type === "reference" && isResourceType(modifier);
    const terminologyOff = def.type === "token" && TERMINOLOGY_MODIFIERS.has(modifier) && !fc.terminology;
    if ((!allowed.has(modifier) && !isTypeModifier) || terminologyOff) {
      if (UNSUPPORTED_MODIFIERS.has(modifier))
        throw new ParseError(`modifier ':${modifier}' is not supported on '${code}'`);
      throw new ParseError(`unknown modifier ':${modifier}' for ${def.type} parameter '${code}'`);
    }
    if (isTypeModifier && !targetTypes(def).includes(modifier))
      throw new ParseError(`${type}.${code} cannot refer to ${modifier}`);
  }
  if (modifier === "missing") {
    if (value !== "true" && value !== "false") throw new ParseError(":missing takes true or false");
    return { kind: "param", def, modifier, values: [], missing: value === "true" };
  }
  const rawValues = splitEscaped(value, ",");
  if (rawValues.length > MAX_VALUES) throw new ParseError(`at most ${MAX_VALUES} comma-separated values`);
  const valueType: SearchParamType = modifier === "identifier" ? "token" : def.type;
  const values = rawValues.filter((v) => v !== "").map((v) => parseValue(valueType, v, modifier, def));
  if (values.length === 0) throw new ParseError("no value");
  if (def.type === "reference" && def.aliasTarget) {
    // `patient=Group/1` can never match: the param only covers Patient targets.
    for (const v of values)
      if (v.t === "reference" && v.type && v.type !== def.aliasTarget)
        throw new ParseError(`'${code}' only refers to ${def.aliasTarget}`);
  }
  return { kind: "param", def, modifier, values, not: modifier === "not" || modifier === "not-in" };
}

function parseIncludes(key: string, value: string, types: string[], custom?: CustomParams): IncludeSpec {
  const reverse = key.startsWith("_revinclude");
  const iterate = key.endsWith(":iterate") || key.endsWith(":recurse");
  const base = key.split(":")[0];
  if (key !== base && !iterate) throw new ParseError(`unknown modifier on ${base}`);
  if (value === "*") return { reverse, iterate, sourceType: "*", param: "*", raw: [key, value] };
  const [sourceType, param, targetType, ...extra] = value.split(":");
  if (!sourceType || !param || extra.length)
    throw new ParseError(`expected ${base}=Type:parameter[:targetType], got '${value}'`);
  if (!isResourceType(sourceType)) throw new ParseError(`unknown resource type '${sourceType}'`);
  if (param !== "*") {
    // The store's custom reference params are includable like the standard ones (search.html#include).
    const def = getParam(sourceType, param, custom);
    if (def?.type !== "reference") throw new ParseError(`'${param}' is not a reference parameter of ${sourceType}`);
    if (targetType && (!isResourceType(targetType) || !targetTypes(def).includes(targetType)))
      throw new ParseError(`${sourceType}.${param} cannot refer to ${targetType}`);
  }
  // A non-iterating _include must name one of the searched types as its source.
  if (!iterate && !reverse && !types.includes(sourceType)) throw new ParseError(`${sourceType} is not a searched type`);
  return { reverse, iterate, sourceType, param, targetType, raw: [key, value] };
}

function sortDef(type: string, name: string, custom?: CustomParams): SearchParamDef | undefined {
  const def = getParam(type, name, custom);
  return def && !["composite", "text", "content"].includes(def.type) ? def : undefined;
}

export interface ParseOptions {
  /** null = system search (types from _type, or every type with data). */
  resourceType: string | null;
  /** Types a system search without _type covers. */
  defaultTypes?: string[];
  /** The store's custom search parameters (custom-params.ts): known like the standard ones. */
  custom?: CustomParams;
  /**
   * Accept token `:in` / `:not-in` / `:below` / `:above`: the caller runs resolveTerminology before
   * compiling. Without it they are not supported (an unexpanded one would match nothing silently).
   */
  terminology?: boolean;
}

/** Parses a search request. Never throws: problems are returned as issues. */
export function parseSearch(params: URLSearchParams, options: ParseOptions): SearchQuery {
  const issues: SearchIssue[] = [];
  const issue = (key: string, diagnostics: string, code: SearchIssue["code"] = "invalid") =>
    issues.push({ severity: "error", code, diagnostics: `Parameter '${key}': ${diagnostics}`, expression: [key] });
  const entries = [...params.entries()];
  const systemSearch = options.resourceType === null;
  let types: string[];
  const linkParams: [string, string][] = [];
  if (systemSearch) {
    const typeValues = entries.filter(([k]) => k === "_type").flatMap(([, v]) => v.split(","));
    const requested = typeValues.map((t) => t.trim()).filter(Boolean);
    const unknown = requested.filter((t) => !isResourceType(t));
    for (const t of unknown) issue("_type", `unknown resource type '${t}'`);
    const known = [...new Set(requested.filter((t) => isResourceType(t)))];
    if (known.length) linkParams.push(["_type", known.join(",")]);
    types = known.length ? known : requested.length ? [] : (options.defaultTypes ?? [...RESOURCE_TYPES]);
  } else {
    types = [options.resourceType as string];
  }

  const query: SearchQuery = {
    types,
    systemSearch,
    filters: [],
    sort: [],
    count: DEFAULT_COUNT,
    offset: 0,
    total: "accurate",
    summary: "false",
    includes: [],
    linkParams,
    issues,
  };

  for (const [key, value] of entries) {
    if (key === "_type" && systemSearch) continue;
    if (TRANSPORT_PARAMS.has(key)) continue;
    const base = key.split(":")[0];
    try {
      if (RESULT_PARAMS.has(base)) {
        parseResultParam(query, key, value, options.custom);
        linkParams.push([key, value]);
        continue;
      }
      if (value === "") continue; // search.html: empty values are ignored
      if (key === "_filter" || key === "_query" || key === "_type")
        throw new ParseError(key === "_type" ? "_type is only valid on system search" : "not supported");
      const byType = new Map<string, Filter>();
      const fc: FilterContext = { custom: options.custom, terminology: options.terminology === true };
      for (const type of types) byType.set(type, parseFilter(type, key, value, 0, fc));
      query.filters.push({ name: key, value, byType });
      linkParams.push([key, value]);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      issue(key, e.message, /not supported/.test(e.message) ? "not-supported" : "invalid");
    }
  }
  return query;
}

function parseResultParam(query: SearchQuery, key: string, value: string, custom?: CustomParams): void {
  const base = key.split(":")[0];
  if (base !== key && base !== "_include" && base !== "_revinclude") throw new ParseError("takes no modifier");
  switch (base) {
    case "_count": {
      if (!/^\d{1,9}$/.test(value)) throw new ParseError("expected a non-negative integer");
      query.count = Math.min(Number(value), MAX_COUNT);
      return;
    }
    case "_offset": {
      if (!/^\d{1,9}$/.test(value)) throw new ParseError("expected a non-negative integer");
      query.offset = Number(value);
      return;
    }
    case "_total": {
      if (!["none", "estimate", "accurate"].includes(value))
        throw new ParseError("expected none, estimate or accurate");
      query.total = value as TotalMode;
      return;
    }
    case "_summary": {
      if (!["true", "text", "data", "count", "false"].includes(value))
        throw new ParseError("expected true, text, data, count or false");
      query.summary = value as SummaryMode;
      return;
    }
    case "_elements": {
      const names = value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (s.includes(".") ? s.slice(s.indexOf(".") + 1) : s));
      if (names.some((n) => !/^[A-Za-z][A-Za-z0-9]*$/.test(n))) throw new ParseError("expected element names");
      query.elements = names;
      return;
    }
    case "_sort": {
      const keys: SortKey[] = [];
      for (const part of value.split(",").filter(Boolean)) {
        const desc = part.startsWith("-");
        const name = desc ? part.slice(1) : part;
        const byType = new Map<string, SearchParamDef>();
        for (const type of query.types) {
          const def = sortDef(type, name, custom);
          if (!def) throw new ParseError(`cannot sort ${type} by '${name}'`);
          byType.set(type, def);
        }
        keys.push({ name, desc, byType });
      }
      query.sort = keys;
      return;
    }
    case "_include":
    case "_revinclude":
      for (const v of value.split(",").filter(Boolean)) query.includes.push(parseIncludes(key, v, query.types, custom));
      return;
    case "_contained":
      if (value !== "false") throw new ParseError("searching contained resources is not supported");
      return;
    case "_containedType":
      if (value !== "container") throw new ParseError("only 'container' is supported");
      return;
  }
}

/** Suggests the closest known parameter name (for "unknown parameter" diagnostics). */
export function closestParam(type: string, name: string, custom?: CustomParams): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const code of paramCodes(type, custom)) {
    const d = editDistance(code, name);
    if (d < bestDist) {
      best = code;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
