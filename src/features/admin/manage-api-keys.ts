import { and, desc, eq, isNull } from "drizzle-orm";
import type { VerbCtx } from "../../context";
import { apiKeys } from "../../db/schema";
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { requireOrganization } from "./require-organization";

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  storeId: string | null;
  patientId: string | null;
  consentRequired: boolean;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/** Lists keys by prefix only: the secret is never readable after creation. */
export async function listApiKeys({
  ctx,
  input,
}: {
  ctx: VerbCtx;
  input: { orgId: string };
}): Promise<ApiKeySummary[]> {
  await requireOrganization(ctx, input.orgId);
  const rows = await ctx.services.orm
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.orgId, input.orgId))
    .orderBy(desc(apiKeys.createdAt));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    storeId: r.storeId,
    patientId: r.patientId,
    consentRequired: r.consentRequired,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    createdAt: r.createdAt,
  }));
}

/** Revocation is immediate: authentication reads `revoked_at` on every request. */
export async function revokeApiKey({
  ctx,
  input,
}: {
  ctx: VerbCtx;
  input: { orgId: string; keyId: string };
}): Promise<void> {
  const res = await ctx.services.orm
    .update(apiKeys)
    .set({ revokedAt: nowIso() })
    .where(and(eq(apiKeys.id, input.keyId), eq(apiKeys.orgId, input.orgId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  if (res.length === 0) throw errors.notFound(`API key '${input.keyId}' not found`, { code: "api_key_not_found" });
}
