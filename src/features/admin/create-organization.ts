import type { VerbCtx } from "../../context";
import { apiKeys, organizations } from "../../db/schema";
import { nowIso } from "../../platform/clock";
import { prefixedId } from "../../platform/ids";
import { KEY_PREFIX, newSecret } from "../auth/credential-keys";
import { ALL_PLATFORM_SCOPES } from "../auth/scopes";
import type { CreatedApiKey } from "./create-api-key";

export interface CreatedOrganization {
  id: string;
  name: string;
  createdAt: string;
  apiKey: CreatedApiKey;
}

/** A tenant and its first API key (all platform scopes), written together in one batch. */
export async function createOrganization({
  ctx,
  input,
}: {
  ctx: VerbCtx;
  input: { name: string };
}): Promise<CreatedOrganization> {
  const at = nowIso();
  const orgId = prefixedId("org");
  const keyId = prefixedId("key");
  const key = await newSecret(KEY_PREFIX.org);
  const { orm } = ctx.services;
  await orm.batch([
    orm.insert(organizations).values({ id: orgId, name: input.name, createdAt: at, updatedAt: at }),
    orm.insert(apiKeys).values({
      id: keyId,
      orgId,
      name: "initial",
      prefix: key.prefix,
      keyHash: key.hash,
      scopes: ALL_PLATFORM_SCOPES,
      createdAt: at,
    }),
  ]);
  return {
    id: orgId,
    name: input.name,
    createdAt: at,
    apiKey: {
      id: keyId,
      name: "initial",
      key: key.secret,
      prefix: key.prefix,
      scopes: ALL_PLATFORM_SCOPES,
      expiresAt: null,
      createdAt: at,
    },
  };
}
