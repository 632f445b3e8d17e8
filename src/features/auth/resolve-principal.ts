import type { VerbCtx } from "../../context";
import { errors } from "../../platform/errors";
import type { StoreRow } from "../stores/store-row";
import { STORE_COLUMNS, storeFromRaw } from "../stores/store-row";
import { verifyAccessToken } from "./access-tokens";
import { hashSecret } from "./credential-keys";
import type { Principal } from "./principal";
import { parseScopes } from "./scopes";

const looksLikeJwt = (s: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(s);

export interface ResolvedCredential {
  principal: Principal;
  /**
   * The store asked for (`store` option), read in the same D1 round trip as the credential and only
   * if it belongs to the credential's organization: null when it does not (or does not exist),
   * undefined when no store was asked for.
   */
  store?: StoreRow | null;
  /** Results of the `riders` statements, in order (empty when none were given). */
  riderResults: D1Result[];
}

/**
 * A store to read with the credential: one by id (routes with a `{storeId}`), or the caller's default
 * store (`/FHIR/R4`, ingestion): a store key's own store, else the organization's `is_default` store.
 */
export type WantedStore = { id: string } | "default";

interface ResolveOptions {
  /** Also read this store (when the credential's organization owns it). */
  store?: WantedStore;
  /**
   * Statements to run in the same D1 round trip as the credential check (one batch), e.g. a read
   * the request will need once authorised (fhir/read-prefetch.ts). Their results are returned only
   * when the credential is valid.
   */
  riders?: D1PreparedStatement[];
}

/** Runs the credential query, alone or batched with the riders: one round trip either way. */
async function lookUp<T>(
  ctx: VerbCtx,
  query: D1PreparedStatement,
  riders: D1PreparedStatement[] = [],
): Promise<{ row: T | null; riderResults: D1Result[] }> {
  if (riders.length === 0) return { row: await query.first<T>(), riderResults: [] };
  const [own, ...rest] = await ctx.services.db.batch([query, ...riders]);
  return { row: (own?.results[0] as T | undefined) ?? null, riderResults: rest };
}

/**
 * Turns a presented credential (API key, or a JWT access token from /v2/auth/token) into a Principal.
 * Revoked and expired keys fail at once: every call reads the key row. Tokens are also checked
 * against their client, so revoking a client ends its tokens too. With `store`, the store row comes
 * back from the same query (a LEFT JOIN on the credential's org), saving the FHIR routes a round trip.
 */
export async function resolvePrincipal(
  ctx: VerbCtx,
  credential: string,
  opts: ResolveOptions = {},
): Promise<ResolvedCredential> {
  if (looksLikeJwt(credential)) return principalFromToken(ctx, credential, opts);
  const query = ctx.services.db
    .prepare(
      `SELECT k.id, k.org_id, k.scopes, k.store_id, k.patient_id, k.consent_required, k.expires_at, k.revoked_at${storeSelect(opts.store)}
       FROM api_keys k${storeJoin("k", opts.store, true)} WHERE k.key_hash = ?1`,
    )
    .bind(await hashSecret(credential), ...storeParams(opts.store));
  const { row, riderResults } = await lookUp<KeyRow & StoreCell>(ctx, query, opts.riders);
  if (!row || row.revoked_at) throw errors.unauthorized("Invalid or missing API key");
  if (row.expires_at && Date.parse(row.expires_at) <= Date.now()) throw errors.unauthorized("API key has expired");
  return {
    principal: {
      orgId: row.org_id,
      credentialId: row.id,
      credentialKind: "api_key",
      clientId: null,
      scopes: parseScopes(JSON.parse(row.scopes) as string[]).scopes,
      storeId: row.store_id,
      patientId: row.patient_id,
      consentRequired: row.consent_required === 1,
    },
    ...storeOf(row, opts.store),
    riderResults,
  };
}

async function principalFromToken(ctx: VerbCtx, token: string, opts: ResolveOptions): Promise<ResolvedCredential> {
  const { store } = opts;
  const claims = await verifyAccessToken(ctx.services.env, token);
  const query = ctx.services.db
    .prepare(
      `SELECT c.org_id, c.revoked_at${storeSelect(store)} FROM oauth_clients c${storeJoin("c", store, false)} WHERE c.id = ?1`,
    )
    .bind(claims.clientId, ...storeParams(store));
  const { row: client, riderResults } = await lookUp<{ org_id: string; revoked_at: string | null } & StoreCell>(
    ctx,
    query,
    opts.riders,
  );
  if (!client || client.revoked_at || client.org_id !== claims.orgId)
    throw errors.unauthorized("Invalid or expired access token");
  return {
    principal: {
      orgId: claims.orgId,
      credentialId: claims.clientId,
      credentialKind: "access_token",
      clientId: claims.clientId,
      scopes: parseScopes(claims.scope).scopes,
      storeId: null,
      patientId: claims.patientId,
      consentRequired: claims.consentRequired,
    },
    ...storeOf(client, store),
    riderResults,
  };
}

interface KeyRow {
  id: string;
  org_id: string;
  scopes: string;
  store_id: string | null;
  patient_id: string | null;
  consent_required: number;
  expires_at: string | null;
  revoked_at: string | null;
}

/** The joined store as one JSON column (null when absent), so its columns cannot clash with the key's. */
interface StoreCell {
  store?: string | null;
}

const STORE_JSON = `json_object(${STORE_COLUMNS.split(",")
  .map((c) => `'${c.trim()}', s.${c.trim()}`)
  .join(", ")})`;

const storeSelect = (store?: WantedStore) =>
  store === undefined ? "" : `, CASE WHEN s.id IS NULL THEN NULL ELSE ${STORE_JSON} END AS store`;

/**
 * The store join, always within the credential's organization. The default store of an API key is
 * its own store when it is a store key (`store_id`), else the org's default one (at most one: the
 * partial unique index fhir_stores_one_default); access tokens have no store of their own.
 */
function storeJoin(alias: string, store: WantedStore | undefined, hasOwnStore: boolean): string {
  if (store === undefined) return "";
  if (store !== "default") return ` LEFT JOIN fhir_stores s ON s.id = ?2 AND s.org_id = ${alias}.org_id`;
  const orgDefault = `SELECT d.id FROM fhir_stores d WHERE d.org_id = ${alias}.org_id AND d.is_default = 1`;
  const id = hasOwnStore ? `COALESCE(${alias}.store_id, (${orgDefault}))` : `(${orgDefault})`;
  return ` LEFT JOIN fhir_stores s ON s.id = ${id} AND s.org_id = ${alias}.org_id`;
}

const storeParams = (store?: WantedStore): string[] => (store === undefined || store === "default" ? [] : [store.id]);

function storeOf(row: StoreCell, store?: WantedStore): Pick<ResolvedCredential, "store"> {
  if (store === undefined) return {};
  return { store: row.store ? storeFromRaw(JSON.parse(row.store) as Parameters<typeof storeFromRaw>[0]) : null };
}
