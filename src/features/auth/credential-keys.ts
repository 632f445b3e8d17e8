import { randomSecret, sha256Hex } from "../../platform/crypto";

/**
 * Key formats. The prefix tells the kind at a glance (and lets secret scanners match them):
 * `hk_…` organization API keys, `fhir_key_…` a store's own key (seed 000), `hcs_…` OAuth client secrets.
 */
export const KEY_PREFIX = { org: "hk_", store: "fhir_key_", clientSecret: "hcs_" } as const;

/** How many characters of a key are kept in clear to identify it in listings. */
const VISIBLE = 8;

export interface NewSecret {
  secret: string;
  hash: string;
  prefix: string;
}

export async function newSecret(kindPrefix: string): Promise<NewSecret> {
  const secret = `${kindPrefix}${randomSecret(32)}`;
  return { secret, hash: await sha256Hex(secret), prefix: secret.slice(0, kindPrefix.length + VISIBLE) };
}

export const hashSecret = (secret: string): Promise<string> => sha256Hex(secret);
