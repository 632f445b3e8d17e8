import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { prefixedId } from "../../platform/ids";
import { apiKeyRow } from "../admin/create-api-key";
import { auditStatement } from "../audit/record-audit";
import { requireOrgStore } from "./store-row";
import { normaliseSettings, type StoreSettingsInput } from "./store-settings";
import { type StoreView, storeView } from "./store-view";

export interface CreateStoreInput {
  name: string;
  description?: string | null;
  region: string;
  fhirVersion: string;
  type?: string;
  settings?: StoreSettingsInput;
}

/** Seed 000 "Server Configuration": the only region and FHIR version Hearth serves. */
export const SUPPORTED_REGIONS = ["global"] as const;
export const SUPPORTED_FHIR_VERSIONS = ["R4"] as const;
/**
 * Seed 000 lists `serverless` and `dedicated`. Every Hearth store runs on the same serverless Worker + D1,
 * so `dedicated` is refused rather than accepted and silently served the same way.
 */
export const SUPPORTED_INFRASTRUCTURE = ["serverless"] as const;

/** Scopes of a store's own key: the store's FHIR API, nothing else (requireScope refuses store keys). */
export const STORE_KEY_SCOPES = ["fhir:read", "fhir:write"];

const API_KEY_INSERT =
  "INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, store_id, patient_id, consent_required, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)";

export async function createStore({ ctx, input }: { ctx: AuthedCtx; input: CreateStoreInput }): Promise<StoreView> {
  if (!(SUPPORTED_FHIR_VERSIONS as readonly string[]).includes(input.fhirVersion)) {
    throw errors.invalid(`FHIR version '${input.fhirVersion}' is not supported`, {
      code: "invalid_fhir_version",
      details: `Supported FHIR versions: ${SUPPORTED_FHIR_VERSIONS.join(", ")}`,
    });
  }
  if (!(SUPPORTED_REGIONS as readonly string[]).includes(input.region)) {
    throw errors.invalid(`Region '${input.region}' is not available`, {
      code: "region_not_available",
      details: `Available regions: ${SUPPORTED_REGIONS.join(", ")}`,
    });
  }
  const infrastructure = input.type ?? "serverless";
  if (!(SUPPORTED_INFRASTRUCTURE as readonly string[]).includes(infrastructure)) {
    throw errors.invalid(`Infrastructure type '${infrastructure}' is not available`, {
      code: "infrastructure_not_available",
      details: `Available infrastructure types: ${SUPPORTED_INFRASTRUCTURE.join(", ")}`,
    });
  }
  const settings = normaliseSettings(input.settings);
  const orgId = ctx.principal.orgId;
  const id = prefixedId("fhs");
  const at = nowIso();
  const key = await apiKeyRow({ orgId, name: `FHIR store ${id}`, scopes: STORE_KEY_SCOPES, storeId: id }, [
    ...STORE_KEY_SCOPES,
  ]);
  const k = key.values;
  const db = ctx.services.db;
  await db.batch([
    // The org's first store becomes its default store (target of /FHIR/R4 and ingestion) unless one exists.
    db
      .prepare(
        `INSERT INTO fhir_stores (id, org_id, name, description, region, fhir_version, infrastructure, status, api_key_id, is_default, settings, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8,
           NOT EXISTS (SELECT 1 FROM fhir_stores WHERE org_id = ?2 AND is_default = 1), ?9, ?10, ?10)`,
      )
      .bind(
        id,
        orgId,
        input.name,
        input.description ?? null,
        input.region,
        input.fhirVersion,
        infrastructure,
        k.id,
        JSON.stringify(settings),
        at,
      ),
    db
      .prepare(API_KEY_INSERT)
      .bind(
        k.id,
        k.orgId,
        k.name,
        k.prefix,
        k.keyHash,
        JSON.stringify(k.scopes),
        k.storeId,
        k.patientId,
        k.consentRequired ? 1 : 0,
        k.expiresAt,
        k.createdAt,
      ),
    auditStatement(ctx, { action: "store.create", entityType: "FhirStore", entityId: id, storeId: id, outcome: 201 }),
  ]);
  const row = await requireOrgStore(ctx, id);
  return storeView(row, ctx.origin, key.created.key);
}
