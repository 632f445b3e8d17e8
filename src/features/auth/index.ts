import type { Context } from "hono";
import { verbCtx } from "../../context";
import type { AppEnv } from "../../env";
import { envelope } from "../../platform/envelope";
import { AppError } from "../../platform/errors";
import { createRouter } from "../../platform/router";
import {
  legacyTokenRoute,
  meRoute,
  smartConfigurationRoute,
  storeSmartConfigurationRoute,
  TokenBody,
  tokenRoute,
} from "./auth.routes";
import { issueToken } from "./issue-token";
import { smartConfiguration } from "./smart-configuration";

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ":" and base64-encoded. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return null;
  let decoded: string;
  try {
    decoded = atob(m[1]!);
  } catch {
    return null;
  }
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  const unform = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return { id: unform(decoded.slice(0, i)), secret: unform(decoded.slice(i + 1)) };
}

/**
 * The token endpoint takes JSON or a form (the OpenAPI document declares both); the body is parsed
 * here against the same schema so both media types get identical RFC 6749 §5.2 errors.
 */
async function tokenRequestBody(c: Context<AppEnv>) {
  const isForm = (c.req.header("Content-Type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
  let raw: unknown = {};
  if (isForm) raw = await c.req.parseBody();
  else {
    const text = await c.req.text();
    try {
      raw = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      throw new AppError("invalid", "Request body is not valid JSON", { code: "invalid_request" });
    }
  }
  const parsed = TokenBody.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      "invalid",
      `Invalid token request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      {
        code: "invalid_request",
      },
    );
  }
  return parsed.data;
}

export const authRouter = createRouter()
  .openapi(tokenRoute, async (c) => {
    const body = await tokenRequestBody(c);
    const basic = basicCredentials(c.req.header("Authorization"));
    if (basic && (body.client_id || body.client_secret)) {
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
      throw new AppError("invalid", "Use either HTTP Basic or body credentials, not both", { code: "invalid_request" });
    }
    const token = await issueToken({
      ctx: verbCtx(c),
      input: {
        grantType: body.grant_type ?? null,
        clientId: basic?.id ?? body.client_id ?? null,
        clientSecret: basic?.secret ?? body.client_secret ?? null,
        scope: body.scope ?? null,
        viaBasic: basic !== null,
        requireGrantType: !basic,
      },
    });
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json(token, 200);
  })
  .openapi(legacyTokenRoute, async (c) => {
    const basic = basicCredentials(c.req.header("Authorization"));
    if (!basic) throw new AppError("unauthorized", "Invalid credentials", { code: "invalid_client" });
    try {
      const token = await issueToken({
        ctx: verbCtx(c),
        input: {
          grantType: null,
          clientId: basic.id,
          clientSecret: basic.secret,
          scope: null,
          viaBasic: true,
          requireGrantType: false,
        },
      });
      return c.json({ token: token.access_token }, 200);
    } catch (e) {
      if (e instanceof AppError && e.kind === "unauthorized") throw new AppError("unauthorized", "Invalid credentials");
      throw e;
    }
  })
  .openapi(meRoute, (c) => {
    const p = c.var.principal;
    return c.json(
      envelope(
        {
          orgId: p.orgId,
          credentialId: p.credentialId,
          credentialKind: p.credentialKind,
          scopes: [...p.scopes.raw],
          storeId: p.storeId,
          patientId: p.patientId,
          consentRequired: p.consentRequired,
        },
        "Caller retrieved",
      ),
      200,
    );
  })
  .openapi(smartConfigurationRoute, (c) => c.json(smartConfiguration(new URL(c.req.url).origin), 200))
  .openapi(storeSmartConfigurationRoute, (c) => c.json(smartConfiguration(new URL(c.req.url).origin), 200));
