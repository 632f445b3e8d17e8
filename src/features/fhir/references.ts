/**
 * Reference rewriting for bundles and conditional references (FHIR R4 bundle.html#references,
 * http.html#trules): every `reference` anywhere in a resource (nested elements, contained resources,
 * extensions) and `href`/`src` links to bundle fullUrls in the narrative.
 */
import { errors } from "../../platform/errors";
import type { FhirCtx } from "./fhir-ctx";
import { criteriaParams, findMatches, tooManyMatches } from "./find-matches";
import { isJsonObject } from "./resource-json";
import { isResourceType } from "./validation";

/** Deeper than the validator's MAX_DEPTH: such input is rejected by validation, never walked to the end. */
const WALK_DEPTH = 128;

const CONDITIONAL_REF_RE = /^([A-Z][A-Za-z]+)\?(.+)$/s;

/**
 * Replaces, in place, each `reference` string for which `map` returns a value. `divMap` (when given)
 * also rewrites `href="…"` / `src="…"` attributes of narrative divs.
 */
export function mapReferences(
  node: unknown,
  map: (ref: string) => string | undefined,
  divMap?: (url: string) => string | undefined,
  depth = 0,
): void {
  if (depth > WALK_DEPTH) return;
  if (Array.isArray(node)) {
    for (const item of node) if (typeof item === "object" && item !== null) mapReferences(item, map, divMap, depth + 1);
    return;
  }
  if (!isJsonObject(node)) return;
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (typeof value === "string") {
      if (key === "reference") {
        const next = map(value);
        if (next !== undefined) node[key] = next;
      } else if (key === "div" && divMap && value.includes("urn:")) {
        node[key] = value.replace(/\b(href|src)="([^"]+)"/g, (whole, attr: string, url: string) => {
          const next = divMap(url);
          return next === undefined ? whole : `${attr}="${next}"`;
        });
      }
    } else if (typeof value === "object" && value !== null) {
      mapReferences(value, map, divMap, depth + 1);
    }
  }
}

/** Distinct conditional references (`Type?criteria`) in a resource. */
export function conditionalReferences(resource: unknown, into = new Set<string>()): Set<string> {
  mapReferences(resource, (ref) => {
    if (CONDITIONAL_REF_RE.test(ref)) into.add(ref);
    return undefined;
  });
  return into;
}

/**
 * Resolves conditional references by search (FHIR R4 http.html#trules): exactly one match → `Type/id`;
 * none → 404, several → 412. Distinct references are looked up once, concurrently.
 */
export async function resolveConditionalReferences(
  ctx: FhirCtx,
  refs: Iterable<string>,
  authorizeSearch: (resourceType: string) => void,
): Promise<Map<string, string>> {
  const list = [...new Set(refs)];
  const resolved = await Promise.all(
    list.map(async (ref) => {
      const m = CONDITIONAL_REF_RE.exec(ref)!;
      const type = m[1]!;
      if (!isResourceType(type)) {
        throw errors.invalid(`Conditional reference '${ref}' names an unknown resource type`, {
          code: "invalid_reference",
        });
      }
      authorizeSearch(type);
      const ids = await findMatches(ctx, type, criteriaParams(m[2]!, `Conditional reference '${ref}'`));
      if (ids.length === 0) {
        throw errors.notFound(`Conditional reference '${ref}' matched no resource`, { code: "reference_not_found" });
      }
      if (ids.length > 1) throw tooManyMatches(`Conditional reference '${ref}'`, ids.length);
      return [ref, `${type}/${ids[0]}`] as const;
    }),
  );
  return new Map(resolved);
}
