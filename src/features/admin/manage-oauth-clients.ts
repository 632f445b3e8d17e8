import { and, desc, eq, isNull } from "drizzle-orm";
import type { VerbCtx } from "../../context";
import { oauthClients } from "../../db/schema";
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { prefixedId } from "../../platform/ids";
import { KEY_PREFIX, newSecret } from "../auth/credential-keys";
import { requireOrganization } from "./require-organization";
import { validScopes } from "./validate-scopes";

export interface CreatedOAuthClient {
  client_id: string;
  client_secret: string;
  name: string;
  scopes: string[];
  created_at: string;
}

export interface OAuthClientSummary {
  client_id: string;
  name: string;
  secret_prefix: string;
  scopes: string[];
  patient_id: string | null;
  consent_required: boolean;
  revoked_at: string | null;
  created_at: string;
}

export async function createOAuthClient({
  ctx,
  input,
}: {
  ctx: VerbCtx;
  input: { orgId: string; name: string; scopes: string[]; patientId?: string | null; consentRequired?: boolean };
}): Promise<CreatedOAuthClient> {
  await requireOrganization(ctx, input.orgId);
  const scopes = validScopes(input.scopes);
  const id = prefixedId("cli");
  const secret = await newSecret(KEY_PREFIX.clientSecret);
  const at = nowIso();
  await ctx.services.orm.insert(oauthClients).values({
    id,
    orgId: input.orgId,
    name: input.name,
    secretHash: secret.hash,
    secretPrefix: secret.prefix,
    scopes,
    patientId: input.patientId ?? null,
    consentRequired: input.consentRequired ?? false,
    createdAt: at,
  });
  return { client_id: id, client_secret: secret.secret, name: input.name, scopes, created_at: at };
}

export async function listOAuthClients({
  ctx,
  input,
}: {
  ctx: VerbCtx;
  input: { orgId: string };
}): Promise<OAuthClientSummary[]> {
  await requireOrganization(ctx, input.orgId);
  const rows = await ctx.services.orm
    .select()
    .from(oauthClients)
    .where(eq(oauthClients.orgId, input.orgId))
    .orderBy(desc(oauthClients.createdAt));
  return rows.map((r) => ({
    client_id: r.id,
    name: r.name,
    secret_prefix: r.secretPrefix,
    scopes: r.scopes,
    patient_id: r.patientId,
    consent_required: r.consentRequired,
    revoked_at: r.revokedAt,
    created_at: r.createdAt,
  }));
}

/** Revoking a client also invalidates its live access tokens (authentication checks the client on each use). */
export async function revokeOAuthClient({
  ctx,
  input,
}: {
  ctx: VerbCtx;
  input: { orgId: string; clientId: string };
}): Promise<void> {
  const res = await ctx.services.orm
    .update(oauthClients)
    .set({ revokedAt: nowIso() })
    .where(
      and(eq(oauthClients.id, input.clientId), eq(oauthClients.orgId, input.orgId), isNull(oauthClients.revokedAt)),
    )
    .returning({ id: oauthClients.id });
  if (res.length === 0)
    throw errors.notFound(`OAuth client '${input.clientId}' not found`, { code: "oauth_client_not_found" });
}
