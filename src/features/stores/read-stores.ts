import type { AuthedCtx } from "../../context";
import { STORE_COLUMNS, type StoreRow, storeFromRaw, storeNotFound } from "./store-row";
import { maskedKey, type StoreView, storeView } from "./store-view";

type RawWithPrefix = Parameters<typeof storeFromRaw>[0] & { key_prefix: string | null };

/**
 * The caller's stores with the visible prefix of each store's own (unrevoked) key, in one query: a
 * LEFT JOIN on the key, within the organization (one D1 round trip after the credential check).
 */
function storesWithKeys(ctx: AuthedCtx, storeId?: string): D1PreparedStatement {
  const cols = STORE_COLUMNS.split(",")
    .map((c) => `s.${c.trim()}`)
    .join(", ");
  return ctx.services.db
    .prepare(
      `SELECT ${cols}, k.prefix AS key_prefix FROM fhir_stores s
       LEFT JOIN api_keys k ON k.id = s.api_key_id AND k.org_id = s.org_id AND k.revoked_at IS NULL
       WHERE s.org_id = ?1${storeId === undefined ? "" : " AND s.id = ?2"} ORDER BY s.created_at, s.id`,
    )
    .bind(ctx.principal.orgId, ...(storeId === undefined ? [] : [storeId]));
}

function viewOf(ctx: AuthedCtx, raw: RawWithPrefix): StoreView {
  const row: StoreRow = storeFromRaw(raw);
  return storeView(row, ctx.origin, maskedKey(row.apiKeyId ? raw.key_prefix : null));
}

export async function listStores({ ctx }: { ctx: AuthedCtx }): Promise<StoreView[]> {
  const { results } = await storesWithKeys(ctx).all<RawWithPrefix>();
  return results.map((r) => viewOf(ctx, r));
}

export async function getStore({ ctx, input }: { ctx: AuthedCtx; input: { storeId: string } }): Promise<StoreView> {
  const raw = await storesWithKeys(ctx, input.storeId).first<RawWithPrefix>();
  if (!raw) throw storeNotFound(input.storeId);
  return viewOf(ctx, raw);
}
