import type { Context } from "hono";
import { authedCtx } from "../../../context";
import type { AppEnv } from "../../../env";
import { openDefaultStore, openStore } from "../../stores/open-store";
import type { FhirBase } from "../fhir.routes";
import type { FhirCtx } from "../fhir-ctx";

/**
 * Opens the store a FHIR base names (tenant-checked: another organization's store is a 404) and builds
 * the FhirCtx of an operation request, like the core FHIR handlers do.
 */
export async function openFhirCtx(c: Context<AppEnv>, base: FhirBase): Promise<FhirCtx> {
  const ctx = authedCtx(c);
  const store = base.hasStore ? await openStore(ctx, c.req.param("storeId") ?? "") : await openDefaultStore(ctx);
  return { ...ctx, store, base: ctx.origin + base.prefix.replace("{storeId}", store.id) };
}
