/**
 * Parameters of Patient/Person $everything (FHIR R4 patient-operation-everything.html, seed 001):
 * `_type` (comma list, repeatable), `_since` (instant), `start`/`end` (care dates), `_count`, `_offset`.
 * Malformed values are a 400 (seed 001: "you may have passed a malformed date"); unknown parameters
 * are ignored, or a 400 under `Prefer: handling=strict` (FHIR R4 search.html#errors).
 */
import { AppError, errors } from "../../../platform/errors";
import { isResourceType } from "../search/definitions";
import { DATE_MAX, DATE_MIN, parseDateRange } from "../search/values";

/** Largest page a client may ask for; larger `_count` values are reduced to it (FHIR R4 http.html#paging). */
export const MAX_EVERYTHING_COUNT = 1000;

/** FHIR R4 `instant`: a full date-time with seconds and a timezone. */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const KNOWN = new Set(["_type", "_since", "start", "end", "_count", "_offset", "_format", "_pretty"]);

export interface EverythingParams {
  /** Requested types; null = all. */
  types: string[] | null;
  /** Only resources last updated at or after this instant (epoch ms). */
  since: number | null;
  /** Care-date window [lo, hi] in epoch ms; null = no window. */
  window: { lo: number; hi: number } | null;
  /** Page size; null = the whole record in one response. */
  count: number | null;
  offset: number;
  /** Accepted parameters (request order, `_count`/`_offset` excluded) for the paging links. */
  linkParams: [string, string][];
}

const invalid = (param: string, message: string) =>
  new AppError("invalid", `Parameter '${param}': ${message}`, {
    code: "invalid_parameter",
    issues: [
      { severity: "error", code: "invalid", diagnostics: `Parameter '${param}': ${message}`, expression: [param] },
    ],
  });

/** Parses an instant (`_since`); undefined when malformed. */
export function parseInstant(text: string): number | undefined {
  if (!INSTANT_RE.test(text)) return undefined;
  return parseDateRange(text)?.lo;
}

function single(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw invalid(name, "may be given only once");
  return all.length ? all[0]!.trim() : null;
}

function nonNegativeInt(params: URLSearchParams, name: string): number | null {
  const v = single(params, name);
  if (v === null) return null;
  if (!/^\d{1,9}$/.test(v)) throw invalid(name, `must be a non-negative integer (got '${v}')`);
  return Number(v);
}

export function parseEverythingParams(params: URLSearchParams, strict: boolean): EverythingParams {
  if (strict) {
    const unknown = [...new Set(params.keys())].filter((k) => !KNOWN.has(k));
    if (unknown.length)
      throw errors.invalid(`Unknown parameter(s) for $everything: ${unknown.join(", ")}`, {
        code: "invalid_parameter",
      });
  }
  const linkParams: [string, string][] = [];

  let types: string[] | null = null;
  const typeValues = params.getAll("_type");
  if (typeValues.length) {
    const list = typeValues.flatMap((v) => v.split(",")).map((t) => t.trim());
    if (list.some((t) => t === "")) throw invalid("_type", "must be a comma-separated list of resource types");
    const unknown = list.filter((t) => !isResourceType(t));
    if (unknown.length) throw invalid("_type", `unknown resource type(s): ${unknown.join(", ")}`);
    types = [...new Set(list)];
    linkParams.push(["_type", types.join(",")]);
  }

  let since: number | null = null;
  const sinceText = single(params, "_since");
  if (sinceText !== null) {
    const at = parseInstant(sinceText);
    if (at === undefined)
      throw invalid("_since", `must be an instant such as 2026-02-27T12:00:00Z (got '${sinceText}')`);
    since = at;
    linkParams.push(["_since", sinceText]);
  }

  let lo = DATE_MIN;
  let hi = DATE_MAX;
  const start = single(params, "start");
  if (start !== null) {
    const r = parseDateRange(start);
    if (!r) throw invalid("start", `must be a date such as 2020-01-01 (got '${start}')`);
    lo = r.lo;
    linkParams.push(["start", start]);
  }
  const end = single(params, "end");
  if (end !== null) {
    const r = parseDateRange(end);
    if (!r) throw invalid("end", `must be a date such as 2020-12-31 (got '${end}')`);
    hi = r.hi;
    linkParams.push(["end", end]);
  }
  if (lo > hi) throw invalid("start", "must not be after 'end'");

  const rawCount = nonNegativeInt(params, "_count");
  const count = rawCount === null ? null : Math.min(rawCount, MAX_EVERYTHING_COUNT);
  const offset = nonNegativeInt(params, "_offset") ?? 0;

  return {
    types,
    since,
    window: start !== null || end !== null ? { lo, hi } : null,
    count,
    offset,
    linkParams,
  };
}
