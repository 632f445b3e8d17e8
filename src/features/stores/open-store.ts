/**
 * Which store a FHIR request opens. A store's own key (principal.storeId) opens only that store; any
 * other store id is "not found", like another organization's store (no existence leak).
 */
import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { prefixedId } from "../../platform/ids";
import { findDefaultStore, requireOrgStore, type StoreRow, storeNotFound } from "./store-row";

/**
 * Reads may use a store row fetched in the last few seconds by this isolate (one D1 round trip less per
 * read). That is safe because a deleted store's resources go in the same batch as the store row: a
 * stale row can only lead to "not found". Writes always read the row (settings, existence).
 */
const READ_CACHE_MS = 5_000;
const READ_CACHE_MAX = 1_000;
const readCache = new Map<string, { row: StoreRow; at: number }>();

export function forgetStore(storeId: string): void {
  readCache.delete(storeId);
}

export async function openStore(
  ctx: AuthedCtx,
  storeId: string,
  purpose: "read" | "write" = "write",
): Promise<StoreRow> {
  const own = ctx.principal.storeId;
  if (own !== null && own !== storeId) throw storeNotFound(storeId);
  // Read together with the credential (authenticate): as fresh as reading it here, one round trip less.
  if (ctx.routeStore?.id === storeId) {
    if (!ctx.routeStore.row) throw storeNotFound(storeId);
    return ctx.routeStore.row;
  }
  if (purpose === "read") {
    const hit = readCache.get(storeId);
    if (hit && Date.now() - hit.at < READ_CACHE_MS && hit.row.orgId === ctx.principal.orgId) return hit.row;
  }
  const row = await requireOrgStore(ctx, storeId);
  if (readCache.size >= READ_CACHE_MAX) readCache.clear();
  readCache.set(storeId, { row, at: Date.now() });
  return row;
}

/**
 * The caller's default store (`/FHIR/R4`, ingestion): a store key's own store; otherwise the org's
 * default store, created on first use (name "default", no key of its own). The partial unique index
 * fhir_stores_one_default makes concurrent first uses create one store only.
 */
export async function openDefaultStore(ctx: AuthedCtx): Promise<StoreRow> {
  // Read with the credential (authenticateAndLimit's defaultStore): no query of its own.
  const known = ctx.routeStore?.id === null ? ctx.routeStore : undefined;
  if (ctx.principal.storeId !== null) {
    if (known) {
      if (!known.row) throw storeNotFound(ctx.principal.storeId);
      return known.row;
    }
    return requireOrgStore(ctx, ctx.principal.storeId);
  }
  if (known?.row) return known.row;
  const existing = known ? null : await findDefaultStore(ctx);
  if (existing) return existing;
  const at = nowIso();
  await ctx.services.db
    .prepare(
      `INSERT INTO fhir_stores (id, org_id, name, description, region, fhir_version, infrastructure, status, api_key_id, is_default, settings, created_at, updated_at)
       VALUES (?1, ?2, 'default', 'Default store, created on first use of /FHIR/R4 or ingestion', 'global', 'R4', 'serverless', 'running', NULL, 1, '{}', ?3, ?3)
       ON CONFLICT DO NOTHING`,
    )
    .bind(prefixedId("fhs"), ctx.principal.orgId, at)
    .run();
  const created = await findDefaultStore(ctx);
  if (!created) throw errors.internal("The default store could not be created");
  return created;
}
