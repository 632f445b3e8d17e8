import type { AuthedCtx } from "../../context";
import { listOrgStores, requireOrgStore } from "./store-row";
import { maskedKey, type StoreView, storeView } from "./store-view";

/** Visible prefixes of the stores' own (unrevoked) keys, by key id. */
async function keyPrefixes(ctx: AuthedCtx, keyIds: string[]): Promise<Map<string, string>> {
  if (keyIds.length === 0) return new Map();
  const { results } = await ctx.services.db
    .prepare(
      "SELECT k.id, k.prefix FROM json_each(?1) j CROSS JOIN api_keys k ON k.id = j.value WHERE k.org_id = ?2 AND k.revoked_at IS NULL",
    )
    .bind(JSON.stringify(keyIds), ctx.principal.orgId)
    .all<{ id: string; prefix: string }>();
  return new Map(results.map((r) => [r.id, r.prefix]));
}

export async function listStores({ ctx }: { ctx: AuthedCtx }): Promise<StoreView[]> {
  const rows = await listOrgStores(ctx);
  const prefixes = await keyPrefixes(
    ctx,
    rows.flatMap((r) => (r.apiKeyId ? [r.apiKeyId] : [])),
  );
  return rows.map((r) => storeView(r, ctx.origin, maskedKey(r.apiKeyId ? prefixes.get(r.apiKeyId) : null)));
}

export async function getStore({ ctx, input }: { ctx: AuthedCtx; input: { storeId: string } }): Promise<StoreView> {
  const row = await requireOrgStore(ctx, input.storeId);
  const prefixes = await keyPrefixes(ctx, row.apiKeyId ? [row.apiKeyId] : []);
  return storeView(row, ctx.origin, maskedKey(row.apiKeyId ? prefixes.get(row.apiKeyId) : null));
}
