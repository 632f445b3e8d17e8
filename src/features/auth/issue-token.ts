import { eq } from "drizzle-orm";
import type { VerbCtx } from "../../context";
import { oauthClients } from "../../db/schema";
import { timingSafeEqual } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "./access-tokens";
import { hashSecret } from "./credential-keys";
import { parseScopes, scopeCovered } from "./scopes";

export interface TokenRequest {
  grantType: string | null;
  clientId: string | null;
  clientSecret: string | null;
  scope: string | null;
  /** Credentials came in an HTTP Basic header: a 401 then carries WWW-Authenticate (RFC 6749 §5.2). */
  viaBasic: boolean;
  /** Whether `grant_type` must be present (JSON and form bodies; the legacy endpoint does not send it). */
  requireGrantType: boolean;
}

export interface IssuedToken {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

const oauth = (code: string, kind: "invalid" | "unauthorized", message: string, headers?: Record<string, string>) =>
  new AppError(kind, message, { code, headers });

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4) with §5.2 errors. */
export async function issueToken({ ctx, input }: { ctx: VerbCtx; input: TokenRequest }): Promise<IssuedToken> {
  if (input.requireGrantType && !input.grantType) throw oauth("invalid_request", "invalid", "grant_type is required");
  if (input.grantType && input.grantType !== "client_credentials") {
    throw oauth(
      "unsupported_grant_type",
      "invalid",
      `grant_type '${input.grantType}' is not supported; use client_credentials`,
    );
  }
  if (!input.clientId || !input.clientSecret) {
    throw oauth("invalid_request", "invalid", "client_id and client_secret are required (body or HTTP Basic)");
  }
  const challenge = input.viaBasic ? { "WWW-Authenticate": 'Basic realm="hearth", charset="UTF-8"' } : undefined;
  const client = await ctx.services.orm.query.oauthClients.findFirst({ where: eq(oauthClients.id, input.clientId) });
  const presented = await hashSecret(input.clientSecret);
  if (!client || client.revokedAt || !timingSafeEqual(presented, client.secretHash)) {
    throw oauth("invalid_client", "unauthorized", "Client authentication failed", challenge);
  }
  const granted = parseScopes(client.scopes).scopes;
  let scope = client.scopes.join(" ");
  if (input.scope !== null && input.scope.trim() !== "") {
    const requested = input.scope.trim().split(/\s+/);
    const bad = requested.filter((s) => !scopeCovered(granted, s));
    if (bad.length) throw oauth("invalid_scope", "invalid", `Scopes not granted to this client: ${bad.join(" ")}`);
    scope = requested.join(" ");
  }
  const token = await signAccessToken(ctx.services.env, {
    orgId: client.orgId,
    clientId: client.id,
    scope,
    patientId: client.patientId,
    consentRequired: client.consentRequired,
  });
  return { access_token: token, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_SECONDS, scope };
}
