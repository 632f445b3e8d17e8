/**
 * The current row of `{type}/{id}`, sent in the same D1 round trip as the credential check (a "rider"
 * of authenticate): a read then costs one D1 round trip instead of two, an update or patch two instead
 * of three. The row is only a prefetch: it is used after the store has been opened for this caller
 * (its organization owns it), the scope checked, and only for the same store, type and id; when the
 * request is refused it is dropped unread.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env";
import { presentedCredential } from "../../middleware/authenticate";
import { currentFromResult, readCurrent, readCurrentStatement, type VersionRow } from "./repo/rows";
import { isValidId } from "./resource-json";
import { isResourceType } from "./validation";

export interface PrefetchedRead {
  storeId: string;
  resourceType: string;
  id: string;
  /** Set once the credential check has run the query; absent = not fetched (read it then). */
  result?: { row: VersionRow | null };
}

/** Route middleware of `GET|PUT|PATCH [base]/{storeId}/{type}/{id}`, placed before authentication. */
export const prefetchRead = createMiddleware<AppEnv>(async (c, next) => {
  const storeId = c.req.param("storeId");
  const resourceType = c.req.param("type") ?? "";
  const id = c.req.param("id") ?? "";
  // Only for requests that carry a credential: an anonymous request costs no more D1 work than before.
  if (presentedCredential(c.req) !== null && storeId !== undefined && isResourceType(resourceType) && isValidId(id)) {
    const prefetched: PrefetchedRead = { storeId, resourceType, id };
    c.set("prefetchedRead", prefetched);
    c.set("credentialRiders", [
      ...(c.var.credentialRiders ?? []),
      {
        statement: readCurrentStatement(c.var.services.db, storeId, resourceType, id),
        deliver: (result) => {
          prefetched.result = { row: currentFromResult(result) };
        },
      },
    ]);
  }
  await next();
});

/** The prefetched row when it is the one asked for, in the store the caller has opened; else undefined. */
export function prefetchedRow(
  p: PrefetchedRead | undefined,
  storeId: string,
  resourceType: string,
  id: string,
): { row: VersionRow | null } | undefined {
  return p && p.storeId === storeId && p.resourceType === resourceType && p.id === id ? p.result : undefined;
}

/**
 * Reads the current row for an update or patch: the first call takes the prefetched row when it
 * matches (read with the credential check, just before: the same as reading it now), later calls
 * (a version-conflict retry must see the newer row) read again.
 */
export function currentRowReader(
  db: D1Database,
  p: PrefetchedRead | undefined,
  storeId: string,
  resourceType: string,
  id: string,
): () => Promise<VersionRow | null> {
  let first = prefetchedRow(p, storeId, resourceType, id);
  return async () => {
    const hit = first;
    first = undefined;
    return hit ? hit.row : readCurrent(db, storeId, resourceType, id);
  };
}
