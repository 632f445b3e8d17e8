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
   * The store asked for (`storeId` option), read in the same D1 round trip as the credential and only
   * if it belongs to the credential's organization: null when it does not (or does not exist),
   * undefined when no store was asked for.
   */
  store?: StoreRow | null;
  /** Results of the `riders` statements, in order (empty when none were given). */
  riderResults: D1Result[];
}

interface ResolveOptions {
  /** Also read this store (when the credential's organization owns it). */
  storeId?: string;
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
 * against their client, so revoking a client ends its tokens too. With `storeId`, the store row comes
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
      `SELECT k.id, k.org_id, k.scopes, k.store_id, k.patient_id, k.consent_required, k.expires_at, k.revoked_at${storeSelect(opts.storeId)}
       FROM api_keys k${storeJoin("k", opts.storeId)} WHERE k.key_hash = ?1`,
    )
    .bind(await hashSecret(credential), ...storeParams(opts.storeId));
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
    ...storeOf(row, opts.storeId),
    riderResults,
  };
}

async function principalFromToken(ctx: VerbCtx, token: string, opts: ResolveOptions): Promise<ResolvedCredential> {
  const { storeId } = opts;
  const claims = await verifyAccessToken(ctx.services.env, token);
  const query = ctx.services.db
    .prepare(
      `SELECT c.org_id, c.revoked_at${storeSelect(storeId)} FROM oauth_clients c${storeJoin("c", storeId)} WHERE c.id = ?1`,
    )
    .bind(claims.clientId, ...storeParams(storeId));
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
    ...storeOf(client, storeId),
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

const storeSelect = (storeId?: string) =>
  storeId === undefined ? "" : `, CASE WHEN s.id IS NULL THEN NULL ELSE ${STORE_JSON} END AS store`;

const storeJoin = (alias: string, storeId?: string) =>
  storeId === undefined ? "" : ` LEFT JOIN fhir_stores s ON s.id = ?2 AND s.org_id = ${alias}.org_id`;

const storeParams = (storeId?: string): string[] => (storeId === undefined ? [] : [storeId]);

function storeOf(row: StoreCell, storeId?: string): Pick<ResolvedCredential, "store"> {
  if (storeId === undefined) return {};
  return { store: row.store ? storeFromRaw(JSON.parse(row.store) as Parameters<typeof storeFromRaw>[0]) : null };
}
