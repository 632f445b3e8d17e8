const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 22 base62 characters ≈ 131 bits of randomness: not sequential, URL-safe, a valid FHIR id. */
export function randomId(length = 22): string {
  // Rejection sampling keeps the distribution uniform (256 is not a multiple of 62).
  const out: string[] = [];
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const b of bytes) {
      if (b < 248 && out.length < length) out.push(BASE62[b % 62]!);
    }
  }
  return out.join("");
}

export function uuid(): string {
  return crypto.randomUUID();
}

/** Prefixed ids make logs and support tickets readable: `org_…`, `key_…`. */
export const prefixedId = (prefix: string) => `${prefix}_${randomId()}`;
