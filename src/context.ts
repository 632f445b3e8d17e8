import type { Context } from "hono";
import type { AppEnv } from "./env";
import type { Principal } from "./features/auth/principal";
import type { StoreRow } from "./features/stores/store-row";
import type { Services } from "./services";

/** What a domain verb receives: its dependencies and who is asking. No HTTP types inside. */
export interface VerbCtx {
  services: Services;
  requestId: string;
  /** Scheme + host the caller used, for absolute URLs in responses (Location, fullUrl, endpoint). */
  origin: string;
}

/**
 * The store named by the route's `{storeId}` (or, with `id` null, the caller's default store), read in
 * the same D1 round trip as the credential (authenticate middleware); `row` is null when the caller's
 * organization has no such store.
 */
export interface RouteStore {
  id: string | null;
  row: StoreRow | null;
}

export interface AuthedCtx extends VerbCtx {
  principal: Principal;
  /** Set on routes with a `{storeId}`: openStore uses it instead of reading the store again. */
  routeStore?: RouteStore;
}

export function verbCtx(c: Context<AppEnv>): VerbCtx {
  return { services: c.var.services, requestId: c.var.requestId, origin: new URL(c.req.url).origin };
}

export function authedCtx(c: Context<AppEnv>): AuthedCtx {
  const routeStore = c.var.routeStore;
  return { ...verbCtx(c), principal: c.var.principal, ...(routeStore ? { routeStore } : {}) };
}
