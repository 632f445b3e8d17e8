import type { VerbCtx } from "../../context";
import { apiKeys } from "../../db/schema";
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { prefixedId } from "../../platform/ids";
import { KEY_PREFIX, newSecret } from "../auth/credential-keys";
import { requireOrganization } from "./require-organization";
import { validScopes } from "./validate-scopes";

export interface CreatedApiKey {
  id: string;
  name: string;
  /** The secret itself: returned once, never stored. */
  key: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
}

export interface CreateApiKeyInput {
  orgId: string;
  name: string;
  scopes: string[];
  expiresAt?: string | null;
  patientId?: string | null;
  consentRequired?: boolean;
  /** Set for a store's own key (seed 000): it opens that store's FHIR API only. */
  storeId?: string | null;
}

export async function createApiKey({ ctx, input }: { ctx: VerbCtx; input: CreateApiKeyInput }): Promise<CreatedApiKey> {
  await requireOrganization(ctx, input.orgId);
  const scopes = validScopes(input.scopes);
  if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) {
    throw errors.invalid("expiresAt must be in the future", { code: "invalid_expiry" });
  }
  const row = await apiKeyRow(input, scopes);
  await ctx.services.orm.insert(apiKeys).values(row.values);
  return row.created;
}

/** The row and the one-time response of a new key; also used by features that batch key creation. */
export async function apiKeyRow(input: CreateApiKeyInput, scopes: string[]) {
  const at = nowIso();
  const id = prefixedId("key");
  const secret = await newSecret(input.storeId ? KEY_PREFIX.store : KEY_PREFIX.org);
  const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : null;
  return {
    values: {
      id,
      orgId: input.orgId,
      name: input.name,
      prefix: secret.prefix,
      keyHash: secret.hash,
      scopes,
      storeId: input.storeId ?? null,
      patientId: input.patientId ?? null,
      consentRequired: input.consentRequired ?? false,
      expiresAt,
      createdAt: at,
    },
    created: {
      id,
      name: input.name,
      key: secret.secret,
      prefix: secret.prefix,
      scopes,
      expiresAt,
      createdAt: at,
    } satisfies CreatedApiKey,
  };
}
