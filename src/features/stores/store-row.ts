import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { parseStoreSettings, type StoreSettings } from "./store-settings";

/** A `fhir_stores` row as the FHIR and stores code uses it. */
export interface StoreRow {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  region: string;
  fhirVersion: string;
  infrastructure: string;
  status: string;
  apiKeyId: string | null;
  isDefault: boolean;
  settings: StoreSettings;
  /** Bumped by $reindex: the version of the store's custom search parameters (0 = none ever). */
  searchParamsVersion: number;
  createdAt: string;
  updatedAt: string;
}

interface RawStoreRow {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  region: string;
  fhir_version: string;
  infrastructure: string;
  status: string;
  api_key_id: string | null;
  is_default: number;
  settings: string;
  search_params_version: number;
  created_at: string;
  updated_at: string;
}

export const STORE_COLUMNS =
  "id, org_id, name, description, region, fhir_version, infrastructure, status, api_key_id, is_default, settings, search_params_version, created_at, updated_at";

export function storeFromRaw(r: RawStoreRow): StoreRow {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    description: r.description,
    region: r.region,
    fhirVersion: r.fhir_version,
    infrastructure: r.infrastructure,
    status: r.status,
    apiKeyId: r.api_key_id,
    isDefault: r.is_default === 1,
    settings: parseStoreSettings(r.settings),
    searchParamsVersion: Number(r.search_params_version ?? 0),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The store `storeId` of the caller's organization, or null (another org's store is "not found" too). */
export async function findOrgStore(ctx: AuthedCtx, storeId: string): Promise<StoreRow | null> {
  const raw = await ctx.services.db
    .prepare(`SELECT ${STORE_COLUMNS} FROM fhir_stores WHERE id = ?1 AND org_id = ?2`)
    .bind(storeId, ctx.principal.orgId)
    .first<RawStoreRow>();
  return raw ? storeFromRaw(raw) : null;
}

/** Seed 000's error for a store that does not exist for this caller. */
export function storeNotFound(storeId: string) {
  return errors.notFound("FHIR server not found", {
    code: "fhir_server_not_found",
    details: `FHIR server with ID '${storeId}' not found`,
  });
}

export async function requireOrgStore(ctx: AuthedCtx, storeId: string): Promise<StoreRow> {
  const store = await findOrgStore(ctx, storeId);
  if (!store) throw storeNotFound(storeId);
  return store;
}

export async function listOrgStores(ctx: AuthedCtx): Promise<StoreRow[]> {
  const { results } = await ctx.services.db
    .prepare(`SELECT ${STORE_COLUMNS} FROM fhir_stores WHERE org_id = ?1 ORDER BY created_at, id`)
    .bind(ctx.principal.orgId)
    .all<RawStoreRow>();
  return results.map(storeFromRaw);
}

/** The org's default store row, if it has one. */
export async function findDefaultStore(ctx: AuthedCtx): Promise<StoreRow | null> {
  const raw = await ctx.services.db
    .prepare(`SELECT ${STORE_COLUMNS} FROM fhir_stores WHERE org_id = ?1 AND is_default = 1`)
    .bind(ctx.principal.orgId)
    .first<RawStoreRow>();
  return raw ? storeFromRaw(raw) : null;
}

/** Whether a store with this id exists at all (public metadata only; tells nothing about its owner). */
export async function findAnyStore(db: D1Database, storeId: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM fhir_stores WHERE id = ?1").bind(storeId).first()) !== null;
}
