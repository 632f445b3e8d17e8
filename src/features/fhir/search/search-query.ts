/**
 * The typed AST of a FHIR search (output of parse-search.ts, input of compile-search.ts).
 */
import type { FhirIssueCode } from "../../../platform/errors";
import type { SearchParamDef } from "./definitions";

export type Prefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";

export type SearchValue =
  /** system undefined = any system; "" = no system (`|code`); code undefined = any code (`system|`). */
  | { t: "token"; system?: string; code?: string }
  | { t: "tokenText"; text: string }
  /** `:in` / `:not-in` as parsed: a ValueSet (`url[|version]` or `ValueSet/id`), expanded before compiling. */
  | { t: "valueSet"; url: string }
  /** A code list ([system, code] pairs): `:in`, `:not-in`, `:below`, `:above` once expanded (resolve-terminology.ts). */
  | { t: "codes"; codes: [string, string][] }
  | { t: "ofType"; system: string; code: string; value: string }
  | { t: "string"; value: string }
  | { t: "date"; prefix: Prefix; lo: number; hi: number }
  | { t: "number"; prefix: Prefix; value: number; lo: number; hi: number }
  | { t: "quantity"; prefix: Prefix; value: number; lo: number; hi: number; system?: string; code?: string }
  | { t: "reference"; type?: string; id?: string; url?: string }
  | { t: "uri"; value: string }
  | { t: "composite"; parts: SearchValue[] }
  | { t: "text"; words: string[] };

/** `name[:modifier]=v1,v2`: the values are OR-ed. */
export interface ParamFilter {
  kind: "param";
  def: SearchParamDef;
  modifier?: string;
  values: SearchValue[];
  /** `:missing=true|false` */
  missing?: boolean;
  /** `:not` (token): no value matches */
  not?: boolean;
}

/** `ref[:Type].rest=...`: resources whose `ref` points at a target matching `inner`. */
export interface ChainFilter {
  kind: "chain";
  def: SearchParamDef;
  links: { targetType: string; inner: Filter }[];
}

/** `_has:Source:ref:rest=...`: resources referenced (through Source.ref) by a Source matching `inner`. */
export interface HasFilter {
  kind: "has";
  sourceType: string;
  def: SearchParamDef;
  inner: Filter;
}

/** `_list=id`: resources that are items of List/id. */
export interface ListFilter {
  kind: "list";
  listIds: string[];
}

export type Filter = ParamFilter | ChainFilter | HasFilter | ListFilter;

/** One accepted search parameter occurrence (AND-ed with the others), resolved per searched type. */
export interface QueryFilter {
  name: string;
  value: string;
  byType: Map<string, Filter>;
}

export interface SortKey {
  name: string;
  desc: boolean;
  /** Per searched type. */
  byType: Map<string, SearchParamDef>;
}

export interface IncludeSpec {
  reverse: boolean;
  iterate: boolean;
  /** Source type ("*" = any). */
  sourceType: string;
  /** Param code ("*" = every reference param). */
  param: string;
  targetType?: string;
  raw: [string, string];
}

export type SummaryMode = "true" | "text" | "data" | "count" | "false";
export type TotalMode = "none" | "estimate" | "accurate";

export interface SearchIssue {
  severity: "error" | "warning" | "information";
  code: FhirIssueCode;
  diagnostics: string;
  expression?: string[];
}

export interface SearchQuery {
  /** Types searched (one for type-level search). */
  types: string[];
  systemSearch: boolean;
  filters: QueryFilter[];
  sort: SortKey[];
  count: number;
  offset: number;
  total: TotalMode;
  summary: SummaryMode;
  elements?: string[];
  includes: IncludeSpec[];
  /** Accepted params in request order, for the self link (unknown/malformed ones left out). */
  linkParams: [string, string][];
  issues: SearchIssue[];
}

/**
 * A token filter whose values still name a ValueSet (`:in`, `:not-in`) or a subsumption (`:below`,
 * `:above`) rather than codes: resolve-terminology.ts expands it; the compiler matches nothing for it
 * (fail closed, e.g. in an access constraint that was never expanded).
 */
export function needsExpansion(f: ParamFilter): boolean {
  if (f.def.type !== "token") return false;
  if (f.modifier === "in" || f.modifier === "not-in") return f.values.some((v) => v.t !== "codes");
  if (f.modifier === "below" || f.modifier === "above") return f.values.some((v) => v.t !== "codes");
  return false;
}
