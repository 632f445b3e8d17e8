import type { Context } from "hono";
import type { AppEnv } from "./env";
import type { Principal } from "./features/auth/principal";
import type { Services } from "./services";

/** What a domain verb receives: its dependencies and who is asking. No HTTP types inside. */
export interface VerbCtx {
  services: Services;
  requestId: string;
  /** Scheme + host the caller used, for absolute URLs in responses (Location, fullUrl, endpoint). */
  origin: string;
}

export interface AuthedCtx extends VerbCtx {
  principal: Principal;
}

export function verbCtx(c: Context<AppEnv>): VerbCtx {
  return { services: c.var.services, requestId: c.var.requestId, origin: new URL(c.req.url).origin };
}

export function authedCtx(c: Context<AppEnv>): AuthedCtx {
  return { ...verbCtx(c), principal: c.var.principal };
}
