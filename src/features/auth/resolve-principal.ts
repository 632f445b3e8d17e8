import { eq } from "drizzle-orm";
import type { VerbCtx } from "../../context";
import { apiKeys, oauthClients } from "../../db/schema";
import { errors } from "../../platform/errors";
import { verifyAccessToken } from "./access-tokens";
import { hashSecret } from "./credential-keys";
import type { Principal } from "./principal";
import { parseScopes } from "./scopes";

const looksLikeJwt = (s: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(s);

/**
 * Turns a presented credential (API key, or a JWT access token from /v2/auth/token) into a Principal.
 * Revoked and expired keys fail at once: every call reads the key row. Tokens are also checked
 * against their client, so revoking a client ends its tokens too.
 */
export async function resolvePrincipal(ctx: VerbCtx, credential: string): Promise<Principal> {
  if (looksLikeJwt(credential)) return principalFromToken(ctx, credential);
  const row = await ctx.services.orm.query.apiKeys.findFirst({
    where: eq(apiKeys.keyHash, await hashSecret(credential)),
  });
  if (!row || row.revokedAt) throw errors.unauthorized("Invalid or missing API key");
  if (row.expiresAt && Date.parse(row.expiresAt) <= Date.now()) throw errors.unauthorized("API key has expired");
  return {
    orgId: row.orgId,
    credentialId: row.id,
    credentialKind: "api_key",
    clientId: null,
    scopes: parseScopes(row.scopes).scopes,
    storeId: row.storeId,
    patientId: row.patientId,
    consentRequired: row.consentRequired,
  };
}

async function principalFromToken(ctx: VerbCtx, token: string): Promise<Principal> {
  const claims = await verifyAccessToken(ctx.services.env, token);
  const client = await ctx.services.orm.query.oauthClients.findFirst({ where: eq(oauthClients.id, claims.clientId) });
  if (!client || client.revokedAt || client.orgId !== claims.orgId)
    throw errors.unauthorized("Invalid or expired access token");
  return {
    orgId: claims.orgId,
    credentialId: client.id,
    credentialKind: "access_token",
    clientId: client.id,
    scopes: parseScopes(claims.scope).scopes,
    storeId: null,
    patientId: claims.patientId,
    consentRequired: claims.consentRequired,
  };
}
