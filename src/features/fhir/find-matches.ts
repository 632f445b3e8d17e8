/**
 * Conditional interactions (If-None-Exist, conditional update/patch/delete, conditional references in
 * transactions) find their target with the search helper's standard search (FHIR R4 http.html#ccreate:
 * "the server performs a search using its standard search facilities").
 */
import { errors } from "../../platform/errors";
import type { FhirCtx } from "./fhir-ctx";
import { isJsonObject } from "./resource-json";
import { searchResources } from "./search/execute-search";

/** Parses the query part of a conditional URL or header; an empty criterion would match everything. */
export function criteriaParams(query: string, what: string): URLSearchParams {
  const q = query.startsWith("?") ? query.slice(1) : query;
  const params = new URLSearchParams(q);
  for (const k of [...params.keys()]) {
    // Result-shaping parameters say nothing about which resources match.
    if (
      ["_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_total", "_format", "_pretty"].includes(
        k,
      )
    )
      params.delete(k);
  }
  if ([...params.keys()].length === 0) {
    throw errors.invalid(`${what} needs at least one search parameter`, { code: "invalid_conditional" });
  }
  return params;
}

/**
 * Ids of the resources of `resourceType` matching `params`, at most `limit` of them (2 is enough
 * to tell "none", "one" and "several"). Unknown parameters are an error (handling=strict): a criterion
 * silently ignored would match the wrong resources.
 */
export async function findMatches(
  ctx: FhirCtx,
  resourceType: string,
  params: URLSearchParams,
  limit = 2,
): Promise<string[]> {
  const query = new URLSearchParams(params);
  query.set("_count", String(limit));
  query.set("_total", "none");
  query.set("_elements", "id");
  const bundle: unknown = await searchResources(ctx.services.db, {
    storeId: ctx.store.id,
    resourceType,
    params: query,
    baseUrl: ctx.base,
    strict: true,
  });
  const entries = isJsonObject(bundle) && Array.isArray(bundle.entry) ? bundle.entry : [];
  const ids: string[] = [];
  for (const e of entries) {
    if (!isJsonObject(e) || !isJsonObject(e.resource)) continue;
    const mode = isJsonObject(e.search) ? e.search.mode : "match";
    if (mode !== undefined && mode !== "match") continue;
    if (typeof e.resource.id === "string") ids.push(e.resource.id);
  }
  return ids;
}

export function tooManyMatches(what: string, count: number) {
  return errors.precondition(
    `${what} matched ${count > 2 ? "several" : "more than one"} resources; make the criteria more selective`,
    {
      code: "multiple_matches",
    },
  );
}
