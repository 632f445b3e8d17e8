import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { errors } from "../../platform/errors";

/** Default lifetime of an access token, as the seed's token endpoint documents (48 h). */
export const ACCESS_TOKEN_TTL_SECONDS = 172_800;
const ALG = "HS256";

interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

export interface AccessTokenClaims {
  orgId: string;
  clientId: string;
  scope: string;
  patientId: string | null;
  consentRequired: boolean;
}

function signingKeys(env: Env): SigningKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.TOKEN_SIGNING_KEYS ?? "");
  } catch {
    throw errors.internal("TOKEN_SIGNING_KEYS is not valid JSON");
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw errors.internal("TOKEN_SIGNING_KEYS must list at least one key");
  return parsed.map((k: { kid?: unknown; secret?: unknown }) => {
    if (typeof k.kid !== "string" || typeof k.secret !== "string" || k.secret.length < 32) {
      throw errors.internal("Each TOKEN_SIGNING_KEYS entry needs a kid and a secret of at least 32 characters");
    }
    return { kid: k.kid, secret: new TextEncoder().encode(k.secret) };
  });
}

/** Signs with the first key; its `kid` goes in the header so verifiers pick the right key after rotation. */
export async function signAccessToken(
  env: Env,
  claims: AccessTokenClaims,
  ttlSeconds = ACCESS_TOKEN_TTL_SECONDS,
): Promise<string> {
  const key = signingKeys(env)[0]!;
  return new SignJWT({
    org: claims.orgId,
    scope: claims.scope,
    ...(claims.patientId ? { patient: claims.patientId } : {}),
    ...(claims.consentRequired ? { consent_required: true } : {}),
  })
    .setProtectedHeader({ alg: ALG, kid: key.kid, typ: "JWT" })
    .setSubject(claims.clientId)
    .setIssuer(env.TOKEN_ISSUER)
    .setAudience(env.TOKEN_AUDIENCE)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key.secret);
}

/**
 * Verifies signature (algorithm pinned to HS256, so `alg: none` and algorithm swaps fail), `exp`, `iss`
 * and `aud`. Any failure is a 401 that does not say which check failed.
 */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessTokenClaims> {
  const keys = signingKeys(env);
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = keys.find((k) => k.kid === header.kid);
        if (!key) throw new joseErrors.JWKSNoMatchingKey();
        return key.secret;
      },
      { algorithms: [ALG], issuer: env.TOKEN_ISSUER, audience: env.TOKEN_AUDIENCE, requiredClaims: ["exp", "sub"] },
    );
    if (typeof payload.org !== "string" || typeof payload.sub !== "string") throw new Error("missing claims");
    return {
      orgId: payload.org,
      clientId: payload.sub,
      scope: typeof payload.scope === "string" ? payload.scope : "",
      patientId: typeof payload.patient === "string" ? payload.patient : null,
      consentRequired: payload.consent_required === true,
    };
  } catch {
    throw errors.unauthorized("Invalid or expired access token");
  }
}
