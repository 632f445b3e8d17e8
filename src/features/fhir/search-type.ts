/**
 * search (FHIR R4 http.html#search, search.html): GET [type]?…, POST [type]/_search, and system search
 * GET [base]?_type=…. The query itself is the search helper's; this verb adds authorisation: a v2
 * query-constrained grant adds its constraints as extra filters, a patient grant the patient compartment.
 */

import { AppError } from "../../platform/errors";
import { authorize } from "./access";
import type { FhirCtx } from "./fhir-ctx";
import { searchResources } from "./search/execute-search";

export async function searchType({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string | null; params: URLSearchParams; strict: boolean };
}): Promise<Record<string, unknown>> {
  const grant = authorize(ctx, "search", input.resourceType ?? "*");
  const bundle = await searchResources(ctx.services.db, {
    storeId: ctx.store.id,
    resourceType: input.resourceType,
    params: input.params,
    baseUrl: ctx.base,
    strict: input.strict,
    ...(grant.constraints ? { extraFilters: grant.constraints } : {}),
    ...(grant.patientId ? { compartment: { type: "Patient" as const, id: grant.patientId } } : {}),
    // _include/_revinclude results obey the caller's grants for their own types.
    includeAccess: (type) => {
      try {
        return authorize(ctx, "search", type).constraints ?? "all";
      } catch (err) {
        if (err instanceof AppError) return "none";
        throw err;
      }
    },
  });
  return bundle as unknown as Record<string, unknown>;
}
