/**
 * Checks a store's SearchParameter resources before $reindex activates them (FHIR R4
 * searchparameter.html). Errors (the whole $reindex is refused with 400, each issue naming the
 * SearchParameter): a missing or malformed code, base, type or expression, an expression that is not
 * FHIRPath Hearth can evaluate, an unknown target or base type, two parameters with the same code on one
 * type, a composite whose components cannot be resolved. Warnings (the parameter is left out, the rest
 * proceeds): retired parameters, types Hearth does not index (`special`), bases that are not concrete
 * resource types, and codes that are already standard R4 parameters of the type (the standard one wins).
 */
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from "@medplum/core";
import type { ErrorIssue } from "../../../platform/errors";
import type { CustomParamSpec } from "../search/custom-params";
import { getParam, isResourceType, type SearchParamType } from "../search/definitions";

/** Most active custom parameters per store. */
export const MAX_CUSTOM_PARAMS = 200;
const MAX_EXPRESSION_CHARS = 2_000;
const CODE_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const SIMPLE_TYPES = new Set<SearchParamType>(["token", "string", "date", "number", "quantity", "reference", "uri"]);
/** Component types a composite row can hold (extract.ts componentParts). */
const COMPONENT_TYPES = new Set<SearchParamType>(["token", "string", "reference", "quantity", "number", "date"]);
const STANDARD_SP = "http://hl7.org/fhir/SearchParameter/";

export interface StoredSearchParameter {
  id: string;
  resource: Record<string, unknown>;
}

export interface SearchParameterCheck {
  specs: CustomParamSpec[];
  errors: ErrorIssue[];
  warnings: ErrorIssue[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Why `expression` cannot be evaluated on `base` resources, or null when it can. */
export function expressionProblem(expression: string, base: string): string | null {
  if (expression.length > MAX_EXPRESSION_CHARS) return `longer than ${MAX_EXPRESSION_CHARS} characters`;
  try {
    const atom = parseFhirPath(expression);
    // A trial run finds what parsing does not (unknown functions, bad type specifiers).
    evalFhirPathTyped(atom, [toTypedValue({ resourceType: base, id: "x" })]);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/\s+/g, " ").slice(0, 300) : "not valid FHIRPath";
  }
}

/** The parameter type a composite component's `definition` names (a store SearchParameter or an R4 one). */
function componentType(
  definition: string,
  base: string,
  byUrl: Map<string, SearchParamType>,
): SearchParamType | undefined {
  const own = byUrl.get(definition.split("|")[0]);
  if (own) return own;
  if (!definition.startsWith(STANDARD_SP)) return undefined;
  // R4 ids are `{Type}-{code}` or `{group}-{code}` (e.g. clinical-code, shared by several types).
  const id = definition.slice(STANDARD_SP.length);
  const dash = id.indexOf("-");
  if (dash < 0) return undefined;
  const head = id.slice(0, dash);
  const code = id.slice(dash + 1);
  return getParam(isResourceType(head) ? head : base, code)?.type;
}

/**
 * Validates `params` for activation on `onlyType` (type-level $reindex) or on every base (null).
 * Parameters whose bases do not include `onlyType` are not looked at.
 */
export function checkSearchParameters(params: StoredSearchParameter[], onlyType: string | null): SearchParameterCheck {
  const specs: CustomParamSpec[] = [];
  const errors: ErrorIssue[] = [];
  const warnings: ErrorIssue[] = [];
  const byUrl = new Map<string, SearchParamType>();
  for (const { resource } of params) {
    const url = str(resource.url);
    const type = str(resource.type) as SearchParamType | undefined;
    if (url && type) byUrl.set(url, type);
  }
  const owner = new Map<string, string>();

  for (const { id, resource: sp } of params) {
    const url = str(sp.url) ?? null;
    const name = `SearchParameter/${id}${url ? ` (${url})` : ""}`;
    const error = (diagnostics: string, element: string) =>
      errors.push({
        severity: "error",
        code: "invalid",
        diagnostics: `${name}: ${diagnostics}`,
        expression: [`SearchParameter.${element}`],
      });
    const warn = (diagnostics: string) =>
      warnings.push({ severity: "warning", code: "not-supported", diagnostics: `${name}: ${diagnostics}` });

    const bases = strings(sp.base);
    if (onlyType !== null && !bases.includes(onlyType)) continue;
    if (sp.status === "retired") {
      warn("retired, left out");
      continue;
    }
    const code = str(sp.code);
    if (!code || !CODE_RE.test(code)) {
      error(`code '${code ?? ""}' must be a letter followed by up to 63 letters, digits, '-' or '_'`, "code");
      continue;
    }
    const rawType = str(sp.type);
    if (rawType === undefined) {
      error("type is required", "type");
      continue;
    }
    if (rawType === "special") {
      warn("type 'special' cannot be indexed, left out");
      continue;
    }
    if (!SIMPLE_TYPES.has(rawType as SearchParamType) && rawType !== "composite") {
      error(`type '${rawType}' is not a SearchParameter type`, "type");
      continue;
    }
    const type = rawType as SearchParamType;
    const expression = str(sp.expression);
    if (!expression) {
      error("expression is required (Hearth indexes custom parameters by their FHIRPath expression)", "expression");
      continue;
    }
    if (bases.length === 0) {
      error("base is required", "base");
      continue;
    }
    const targets = strings(sp.target);
    const badTargets = targets.filter((t) => !isResourceType(t));
    if (badTargets.length) {
      error(`unknown target type(s) ${badTargets.join(", ")}`, "target");
      continue;
    }
    let components: CustomParamSpec["components"];
    if (type === "composite") {
      const parts = Array.isArray(sp.component) ? sp.component.filter(isObject) : [];
      if (parts.length < 2 || parts.length > 3) {
        error("a composite needs 2 or 3 components", "component");
        continue;
      }
      components = [];
      for (const [i, part] of parts.entries()) {
        const definition = str(part.definition);
        const expr = str(part.expression);
        const ctype = definition ? componentType(definition, bases[0] ?? "", byUrl) : undefined;
        if (!definition || !expr || !ctype || !COMPONENT_TYPES.has(ctype) || (i === 0 && ctype !== "token")) {
          components = undefined;
          break;
        }
        components.push({ type: ctype, expression: expr });
      }
      if (!components) {
        error(
          "each component needs a definition Hearth can resolve (a SearchParameter of this store or of R4) and an expression; the first must be a token",
          "component",
        );
        continue;
      }
      const problem = components.map((c) => expressionProblem(c.expression, bases[0] ?? "")).find((p) => p !== null);
      if (problem) {
        error(`a component expression is not valid FHIRPath: ${problem}`, "component.expression");
        continue;
      }
    }
    for (const base of onlyType === null ? bases : [onlyType]) {
      if (!isResourceType(base)) {
        if (base === "Resource" || base === "DomainResource")
          warn(`base '${base}' is not supported; list concrete resource types`);
        else error(`unknown base type '${base}'`, "base");
        continue;
      }
      if (getParam(base, code)) {
        warn(`'${code}' is already a standard search parameter of ${base}; the standard one is kept`);
        continue;
      }
      const problem = expressionProblem(expression, base);
      if (problem) {
        error(`expression '${expression}' is not valid FHIRPath: ${problem}`, "expression");
        continue;
      }
      const key = `${base}.${code}`;
      const first = owner.get(key);
      if (first !== undefined) {
        error(`${base} already has a custom parameter '${code}' (from SearchParameter/${first})`, "code");
        continue;
      }
      owner.set(key, id);
      specs.push({
        resourceType: base,
        code,
        type,
        expression,
        ...(type === "reference" && targets.length ? { targets } : {}),
        ...(components ? { components } : {}),
        sourceId: id,
        url,
      });
    }
  }
  if (specs.length > MAX_CUSTOM_PARAMS)
    errors.push({
      severity: "error",
      code: "too-costly",
      diagnostics: `${specs.length} custom search parameters; a store may have at most ${MAX_CUSTOM_PARAMS}`,
    });
  return { specs, errors, warnings };
}
