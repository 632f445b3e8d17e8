/**
 * Conditional references against the resources a transaction writes (FHIR R4 http.html#trules: the
 * processing order ends with "Resolve any conditional references", after the DELETE, POST and PUT/PATCH
 * steps, so `Patient?identifier=s|v` finds a Patient created by the same bundle).
 *
 * The stored search cannot see the bundle's own writes, so the criteria are also evaluated in memory
 * on each written resource, with the search helper's own index extraction: a resource matches here
 * exactly when its index rows would match in D1. That is done for the criteria the index answers by
 * plain equality: token parameters (`[system]|[code]`, `|[code]`, `[code]`, `[system]|`, comma = OR,
 * repeated parameter = AND, no modifier) and `_id`; other criteria return no matcher (see
 * process-bundle.ts for what happens then).
 */
import type { CustomParams } from "../search/definitions";
import { getParam } from "../search/definitions";
import { extractIndexRows, type TokenRow } from "../search/extract";
import { clip, MAX_TOKEN_LENGTH } from "../search/values";
import type { FhirResource } from "../validation";

interface TokenTest {
  system?: string;
  code?: string;
}

/** One token value as the search parser reads it (search.html#token); null for escapes it cannot mirror. */
function tokenTest(value: string): TokenTest | null {
  if (value.includes("\\") || value === "") return null;
  const bar = value.indexOf("|");
  if (bar < 0) return { code: clip(value, MAX_TOKEN_LENGTH) };
  if (value.indexOf("|", bar + 1) >= 0) return null;
  const system = clip(value.slice(0, bar), MAX_TOKEN_LENGTH);
  const code = value.slice(bar + 1);
  return code === "" ? { system } : { system, code: clip(code, MAX_TOKEN_LENGTH) };
}

type Condition = { kind: "id"; ids: string[] } | { kind: "token"; code: string; anyOf: TokenTest[] };

export type InBundleMatcher = (resource: FhirResource, id: string) => boolean;

/**
 * A predicate equivalent to searching `resourceType` with `params`, or null when the criteria use
 * anything but equality on token parameters and `_id`.
 */
export function inBundleMatcher(
  resourceType: string,
  params: URLSearchParams,
  custom?: CustomParams,
): InBundleMatcher | null {
  const conditions: Condition[] = [];
  for (const [name, value] of params) {
    if (name.includes(":") || name.includes(".")) return null;
    const values = value.split(",");
    if (name === "_id") {
      conditions.push({ kind: "id", ids: values });
      continue;
    }
    const def = getParam(resourceType, name, custom);
    if (def?.type !== "token" || def.alias || def.column) return null;
    const anyOf = values.map(tokenTest);
    if (anyOf.some((t) => t === null)) return null;
    conditions.push({ kind: "token", code: name, anyOf: anyOf as TokenTest[] });
  }
  if (conditions.length === 0) return null;
  return (resource, id) => {
    let rows: TokenRow[] | undefined;
    return conditions.every((c) => {
      if (c.kind === "id") return c.ids.includes(id);
      rows ??= extractIndexRows(resource, custom).token;
      return rows.some(
        ([p, sys, val]) =>
          p === c.code &&
          c.anyOf.some((t) => (t.code === undefined || val === t.code) && (t.system === undefined || sys === t.system)),
      );
    });
  };
}
