/**
 * Test helpers: write fixture resources straight into fhir_resources together with their index rows (the
 * same batch the repository will issue), and run searches through searchResources.
 */
import { env } from "cloudflare:workers";
import {
  type SearchBundle,
  type SearchRequest,
  searchResources,
} from "../../../src/features/fhir/search/execute-search";
import { indexStatements } from "../../../src/features/fhir/search/index-writer";

export type Resource = Record<string, unknown> & { resourceType: string; id: string };

let clock = Date.parse("2024-01-01T00:00:00.000Z");

/** Stores resources (version 1, or the next version when they exist) and indexes them atomically. */
export async function putResources(storeId: string, resources: Resource[]): Promise<Resource[]> {
  const stored = resources.map((r) => {
    clock += 1000;
    const meta = {
      ...((r.meta as Record<string, unknown>) ?? {}),
      versionId: "1",
      lastUpdated: new Date(clock).toISOString(),
    };
    return { ...r, meta } as Resource;
  });
  const writes = stored.map((r) =>
    env.DB.prepare(
      `INSERT INTO fhir_resources (store_id, resource_type, id, version_id, last_updated, deleted, body)
       VALUES (?1, ?2, ?3, 1, ?4, 0, ?5)
       ON CONFLICT (store_id, resource_type, id) DO UPDATE SET version_id = version_id + 1, last_updated = ?4, deleted = 0, body = ?5`,
    ).bind(storeId, r.resourceType, r.id, (r.meta as { lastUpdated: string }).lastUpdated, JSON.stringify(r)),
  );
  await env.DB.batch([
    ...writes,
    ...indexStatements(
      env.DB,
      storeId,
      stored.map((r) => ({ resourceType: r.resourceType, id: r.id, resource: r })),
    ),
  ]);
  return stored;
}

/** Deletes a resource: tombstone row + index removal. */
export async function deleteResource(storeId: string, resourceType: string, id: string): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      "UPDATE fhir_resources SET deleted = 1, body = '{}', version_id = version_id + 1 WHERE store_id = ?1 AND resource_type = ?2 AND id = ?3",
    ).bind(storeId, resourceType, id),
    ...indexStatements(env.DB, storeId, [{ resourceType, id, resource: null }]),
  ]);
}

export const BASE = "https://hearth.test/fhir";

export function search(
  storeId: string,
  resourceType: string | null,
  query: string,
  options: Partial<Omit<SearchRequest, "storeId" | "resourceType" | "params">> = {},
): Promise<SearchBundle> {
  return searchResources(env.DB, {
    storeId,
    resourceType,
    params: new URLSearchParams(query),
    baseUrl: `${BASE}/${storeId}`,
    strict: false,
    ...options,
  });
}

/** Ids of the match entries, in order. */
export function ids(bundle: SearchBundle): string[] {
  return (bundle.entry ?? []).filter((e) => e.search.mode === "match").map((e) => String(e.resource.id));
}

/** Ids of the match entries, sorted (for order-independent assertions). */
export function idSet(bundle: SearchBundle): string[] {
  return ids(bundle).sort();
}

export function outcome(bundle: SearchBundle): { diagnostics: string; code: string }[] {
  const e = (bundle.entry ?? []).find((x) => x.search.mode === "outcome");
  return (e?.resource.issue as { diagnostics: string; code: string }[]) ?? [];
}

/** A SearchParameter resource for `$reindex` tests (R4 searchparameter.html). */
export const searchParameter = (
  base: string,
  code: string,
  type: string,
  expression: string,
  extra: Record<string, unknown> = {},
) => ({
  resourceType: "SearchParameter",
  url: `http://example.org/fhir/SearchParameter/${code}`,
  name: code,
  status: "active",
  description: `custom ${code}`,
  code,
  base: [base],
  type,
  expression,
  ...extra,
});
