import type { AuthedCtx } from "../../context";
import { auditStatement } from "../audit/record-audit";
import { deleteStoreIndexStatements } from "../fhir/search/index-writer";
import { forgetStore } from "./open-store";
import { requireOrgStore } from "./store-row";

/**
 * Deletes a store and all of its data in one atomic batch: resources, history, search index rows,
 * uniqueness keys, ingestion records, and the store's own API key (which stops working at once).
 */
export async function deleteStore({ ctx, input }: { ctx: AuthedCtx; input: { storeId: string } }): Promise<void> {
  const store = await requireOrgStore(ctx, input.storeId);
  const db = ctx.services.db;
  const id = store.id;
  await db.batch([
    db.prepare("DELETE FROM fhir_resources WHERE store_id = ?1").bind(id),
    db.prepare("DELETE FROM fhir_history WHERE store_id = ?1").bind(id),
    ...deleteStoreIndexStatements(db, id),
    db.prepare("DELETE FROM fhir_unique_keys WHERE store_id = ?1").bind(id),
    db.prepare("DELETE FROM ingestion_transactions WHERE store_id = ?1").bind(id),
    db.prepare("DELETE FROM api_keys WHERE store_id = ?1 AND org_id = ?2").bind(id, store.orgId),
    db.prepare("DELETE FROM fhir_stores WHERE id = ?1 AND org_id = ?2").bind(id, store.orgId),
    auditStatement(ctx, { action: "store.delete", entityType: "FhirStore", entityId: id, storeId: id, outcome: 200 }),
  ]);
  forgetStore(id);
}
