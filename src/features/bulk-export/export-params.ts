/**
 * Kick-off parameters of FHIR Bulk Data Access v2 `$export` (export.html#query-parameters), from the
 * query string (GET) or a `Parameters` resource (POST). Validated completely here, so a job that is
 * accepted can only fail for operational reasons:
 *   `_outputFormat`  application/fhir+ndjson (also application/ndjson, ndjson); anything else → 400
 *   `_since`         FHIR instant → 400 when malformed
 *   `_type`          comma-separated resource types (repeatable) → 400 for unknown types
 *   `_typeFilter`    `Type?search` queries (comma-separated or repeated), OR-ed per type; each must
 *                    parse as a search on its type (400 otherwise); with `_type`, its type must be listed
 *   `patient`        (POST, Patient/Group level) Patient references limiting the export
 * Other parameters the spec defines (`_elements`, `includeAssociatedData`, ...) are not supported: a 400,
 * unless the client sent `Prefer: handling=lenient`, in which case they are ignored (export.html:
 * "servers ... SHOULD return an error ... unless Prefer: handling=lenient").
 */
import { errors } from "../../platform/errors";
import { parseInstant } from "../fhir/everything/everything-params";
import { type CustomParams, isResourceType } from "../fhir/search/definitions";
import { parseReference } from "../fhir/search/extract";
import { parseSearch } from "../fhir/search/parse-search";

export type ExportLevel = "system" | "patient" | "group";

export interface ExportParams {
  /** Requested types (null = every type the caller may read). */
  types: string[] | null;
  /** `_since` as given (an instant). */
  since: string | null;
  /** `_typeFilter` queries per type (query strings without the `Type?`). */
  typeFilters: Record<string, string[]>;
  /** `patient` parameter: Patient ids (Patient/Group level). */
  patients: string[] | null;
}

const NDJSON_FORMATS = new Set(["application/fhir+ndjson", "application/ndjson", "ndjson"]);
const SUPPORTED = new Set(["_outputFormat", "_since", "_type", "_typeFilter", "patient", "_format", "_pretty"]);
const RESULT_PARAMS = [
  "_count",
  "_offset",
  "_sort",
  "_include",
  "_revinclude",
  "_summary",
  "_elements",
  "_total",
  "_contained",
];

const bad = (param: string, message: string) =>
  errors.invalid(`Parameter '${param}': ${message}`, {
    code: "invalid_parameter",
    issues: [
      { severity: "error", code: "invalid", diagnostics: `Parameter '${param}': ${message}`, expression: [param] },
    ],
  });

/** One parameter occurrence: its name and value as text (POST Parameters values are flattened). */
export type RawParam = [string, string];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Flattens a POST `Parameters` body into name/value pairs (export.html#post-body). */
export function parametersOf(body: unknown): RawParam[] {
  if (!isObject(body) || body.resourceType !== "Parameters") {
    throw errors.invalid("The POST body must be a FHIR Parameters resource", { code: "invalid_body" });
  }
  const out: RawParam[] = [];
  const list = Array.isArray(body.parameter) ? body.parameter : [];
  for (const p of list) {
    if (!isObject(p) || typeof p.name !== "string")
      throw errors.invalid("Each Parameters.parameter needs a name", { code: "invalid_body" });
    const valueKey = Object.keys(p).find((k) => k.startsWith("value"));
    const value = valueKey ? p[valueKey] : undefined;
    if (typeof value === "string") out.push([p.name, value]);
    else if (isObject(value) && typeof value.reference === "string") out.push([p.name, value.reference]);
    else throw bad(p.name, "needs a string, code, instant or Reference value");
  }
  return out;
}

function splitTypeFilters(value: string): string[] {
  // Commas inside a query are search OR-lists; a new filter starts only where `Type?` follows a comma.
  return value
    .split(/,(?=[A-Z][A-Za-z]+\?)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `custom`: the store's custom search parameters, which `_typeFilter` queries may use like a search. */
export function parseExportParams(
  raw: RawParam[],
  level: ExportLevel,
  lenient: boolean,
  custom?: CustomParams,
): ExportParams {
  const unsupported = [...new Set(raw.map(([k]) => k).filter((k) => !SUPPORTED.has(k)))];
  if (unsupported.length && !lenient) {
    throw errors.invalid(
      `Unsupported $export parameter(s): ${unsupported.join(", ")} (send Prefer: handling=lenient to have them ignored)`,
      { code: "unsupported_parameter" },
    );
  }
  const values = (name: string) => raw.filter(([k]) => k === name).map(([, v]) => v.trim());
  const once = (name: string): string | null => {
    const v = values(name);
    if (v.length > 1) throw bad(name, "may be given only once");
    return v[0] ?? null;
  };

  // An unencoded `+` in a query string arrives as a space (`application/fhir ndjson`); clients commonly
  // send the spec's example `_outputFormat=application/fhir+ndjson` exactly so.
  const format = once("_outputFormat")?.replaceAll(" ", "+") ?? null;
  if (format !== null && !NDJSON_FORMATS.has(format)) {
    throw bad("_outputFormat", `'${format}' is not supported; use application/fhir+ndjson`);
  }

  const since = once("_since");
  if (since !== null && parseInstant(since) === undefined) {
    throw bad("_since", `must be an instant such as 2026-02-27T12:00:00Z (got '${since}')`);
  }

  let types: string[] | null = null;
  const typeValues = values("_type");
  if (typeValues.length) {
    const list = typeValues.flatMap((v) => v.split(",")).map((t) => t.trim());
    if (list.some((t) => !t)) throw bad("_type", "must be a comma-separated list of resource types");
    const unknown = list.filter((t) => !isResourceType(t));
    if (unknown.length) throw bad("_type", `unknown resource type(s): ${unknown.join(", ")}`);
    types = [...new Set(list)];
  }

  const typeFilters: Record<string, string[]> = {};
  for (const value of values("_typeFilter")) {
    for (const filter of splitTypeFilters(value)) {
      const q = filter.indexOf("?");
      const type = q > 0 ? filter.slice(0, q) : "";
      if (!isResourceType(type))
        throw bad("_typeFilter", `'${filter}' must look like Type?search (a FHIR resource type and a query)`);
      if (types && !types.includes(type)) throw bad("_typeFilter", `'${type}' is not among the _type types`);
      const query = new URLSearchParams(filter.slice(q + 1));
      if ([...query.keys()].length === 0) throw bad("_typeFilter", `'${filter}' has no search parameters`);
      const result = [...query.keys()].find((k) => RESULT_PARAMS.includes(k));
      if (result) throw bad("_typeFilter", `'${result}' shapes results and cannot filter an export`);
      const parsed = parseSearch(query, { resourceType: type, custom });
      if (parsed.issues.length) throw bad("_typeFilter", parsed.issues.map((i) => i.diagnostics).join("; "));
      typeFilters[type] = [...(typeFilters[type] ?? []), query.toString()];
    }
  }

  let patients: string[] | null = null;
  const patientValues = values("patient");
  if (patientValues.length) {
    if (level === "system") throw bad("patient", "applies to Patient and Group level exports only");
    patients = [];
    for (const v of patientValues) {
      const ref = parseReference(v);
      if (ref?.tt !== "Patient" || !ref.tid) throw bad("patient", `'${v}' is not a Patient reference`);
      patients.push(ref.tid);
    }
    patients = [...new Set(patients)];
  }
  return { types, since, typeFilters, patients };
}
