/**
 * search (FHIR R4 http.html#search, search.html): GET [type]?…, POST [type]/_search, system search
 * GET [base]?_type=…, and Patient compartment search GET Patient/[id]/[type]?…. The query itself is the search helper's; this verb adds authorisation: a v2
 * query-constrained grant adds its constraints as extra filters, a patient grant the patient compartment,
 * a consent-required credential the consent filter (seed 001); included resources obey the same rules
 * for their own types.
 */

import { AppError, errors } from "../../platform/errors";
import { consentAllowList } from "../consent/consent-access";
import { authorize, type FhirGrant } from "./access";
import type { FhirCtx } from "./fhir-ctx";
import { searchResources } from "./search/execute-search";

export async function searchType({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: {
    resourceType: string | null;
    params: URLSearchParams;
    strict: boolean;
    /** Compartment search (R4 search.html#compartments): `Patient/{id}/{type}` or `Patient/{id}/*`. */
    patientCompartment?: string;
  };
}): Promise<Record<string, unknown>> {
  const grant = authorize(ctx, "search", input.resourceType ?? "*");
  const compartmentId = input.patientCompartment ?? grant.patientId;
  if (grant.patientId && compartmentId !== grant.patientId) {
    throw errors.forbidden("This credential may only access data in its patient's compartment", {
      details: { compartment: `Patient/${compartmentId}` },
    });
  }
  // Seed 001: patients without an active permitting Consent are filtered out (null = no consent rule).
  const consentAllow = await consentAllowList(ctx);
  const bundle = await searchResources(ctx.services.db, {
    storeId: ctx.store.id,
    resourceType: input.resourceType,
    params: input.params,
    baseUrl: ctx.base,
    strict: input.strict,
    // The store row is at hand: custom SearchParameters are known exactly, without a version probe.
    paramsVersion: ctx.store.searchParamsVersion,
    ...(grant.constraints ? { extraFilters: grant.constraints } : {}),
    ...(compartmentId ? { compartment: { type: "Patient" as const, id: compartmentId } } : {}),
    ...(consentAllow ? { consentAllow } : {}),
    // _include/_revinclude results obey the caller's grants for their own types: query constraints and,
    // for patient/ grants, that patient's compartment (as direct reads do).
    includeAccess: (type) => {
      const g = includeGrant(ctx, type);
      return g ? (g.constraints ?? "all") : "none";
    },
    includePatient: (type) => includeGrant(ctx, type)?.patientId ?? null,
  });
  return bundle as unknown as Record<string, unknown>;
}

/** The caller's search grant for an included type, or null when its scopes do not allow it. */
function includeGrant(ctx: FhirCtx, type: string): FhirGrant | null {
  try {
    return authorize(ctx, "search", type);
  } catch (err) {
    if (err instanceof AppError) return null;
    throw err;
  }
}
