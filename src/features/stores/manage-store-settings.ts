import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { auditStatement } from "../audit/record-audit";
import { uniqueKeyBackfillStatements } from "../fhir/repo/unique-keys";
import { forgetStore } from "./open-store";
import { requireOrgStore } from "./store-row";
import { normaliseSettings, type StoreSettings, type StoreSettingsInput } from "./store-settings";

export async function getStoreSettings({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { storeId: string };
}): Promise<StoreSettings> {
  return (await requireOrgStore(ctx, input.storeId)).settings;
}

/**
 * Replaces the store's settings. Turning a uniqueness rule on indexes the identifiers already stored
 * in the same atomic batch; if existing data already violates the rule the batch fails and the
 * answer is 409 naming the rule, with nothing changed.
 */
export async function updateStoreSettings({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { storeId: string; settings: StoreSettingsInput };
}): Promise<StoreSettings> {
  const store = await requireOrgStore(ctx, input.storeId);
  const settings = normaliseSettings(input.settings, store.settings);
  const added = settings.uniqueIdentifiers.filter((t) => !store.settings.uniqueIdentifiers.includes(t));
  const removed = store.settings.uniqueIdentifiers.filter((t) => !settings.uniqueIdentifiers.includes(t));
  const db = ctx.services.db;
  const statements = [
    ...uniqueKeyBackfillStatements(db, store.id, added, removed),
    db
      .prepare("UPDATE fhir_stores SET settings = ?1, updated_at = ?2 WHERE id = ?3 AND org_id = ?4")
      .bind(JSON.stringify(settings), nowIso(), store.id, ctx.principal.orgId),
    auditStatement(ctx, {
      action: "store.settings",
      entityType: "FhirStore",
      entityId: store.id,
      storeId: store.id,
      outcome: 200,
    }),
  ];
  try {
    await db.batch(statements);
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed/i.test(err.message)) {
      throw errors.conflict(
        `Existing resources already share an identifier, so uniqueIdentifiers cannot include: ${added.join(", ")}`,
        { code: "uniqueness_violated", details: { resourceTypes: added } },
      );
    }
    throw err;
  }
  forgetStore(store.id);
  return settings;
}
