import { createMiddleware } from "hono/factory";
import { verbCtx } from "../context";
import type { AppEnv } from "../env";
import { resolvePrincipal } from "../features/auth/resolve-principal";
import { hasPlatformScope } from "../features/auth/scopes";
import { errors } from "../platform/errors";

/** Reads the credential from `X-API-KEY` or `Authorization: Bearer` (both accepted everywhere). */
export function presentedCredential(headers: { header(name: string): string | undefined }): string | null {
  const apiKey = headers.header("X-API-KEY")?.trim();
  if (apiKey) return apiKey;
  const auth = headers.header("Authorization");
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m ? m[1]! : null;
}

export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const credential = presentedCredential(c.req);
  if (!credential) throw errors.unauthorized("Invalid or missing API key");
  c.set("principal", await resolvePrincipal(verbCtx(c), credential));
  await next();
});

/**
 * Platform scope check. A store's own key (seed 000) carries only FHIR scopes for its store, so it
 * fails here on every non-FHIR route.
 */
export function requireScope(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const p = c.var.principal;
    if (!p) throw errors.unauthorized();
    if (p.storeId !== null || !hasPlatformScope(p.scopes, scope)) {
      throw errors.forbidden(`This credential lacks the '${scope}' scope`, { details: { required: scope } });
    }
    await next();
  });
}
