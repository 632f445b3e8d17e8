import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { sha256Hex, timingSafeEqual } from "../platform/crypto";
import { errors } from "../platform/errors";

/**
 * The bootstrap admin API is authorised by the `HEARTH_ADMIN_TOKEN` secret. Compared as hashes so the
 * comparison time does not depend on the secret.
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.HEARTH_ADMIN_TOKEN;
  if (!expected || expected.length < 16)
    throw errors.unavailable("Admin API is disabled: set HEARTH_ADMIN_TOKEN (16+ characters)");
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
  if (!m || !timingSafeEqual(await sha256Hex(m[1]!), await sha256Hex(expected))) {
    throw errors.unauthorized("Invalid or missing admin token", { code: "invalid_admin_token" });
  }
  await next();
});
