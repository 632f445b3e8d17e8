/**
 * Consent as an access rule, in the two forms the FHIR API needs:
 *   - per resource (read, vread, $everything's subject): `assertConsented` → 403 when a patient the
 *     resource belongs to has not consented (seed 001: "The patient may not have consented to share
 *     their data with your organization (or may have withdrawn their consent)");
 *   - per query (search, bulk export): `consentAllowList` + `consentPredicate`, an SQL condition on a
 *     fhir_search_res row that drops every resource of a non-consented patient, so such patients are
 *     filtered out of results (and of totals and paging) rather than failing the search.
 * Only credentials with `consentRequired` are affected.
 */
import { errors } from "../../platform/errors";
import type { Principal } from "../auth/principal";
import { compartmentRefCodes, isCompartmentType } from "../fhir/everything/compartment";
import { consentedPatients, patientsNeedingConsent, patientsWithConsent } from "./consent-decision";

export interface ConsentCtx {
  principal: Pick<Principal, "orgId" | "consentRequired">;
  services: { db: D1Database };
  store: { id: string };
}

export const noConsent = () =>
  errors.forbidden(
    "The patient has not consented to share their data with your organization (or has withdrawn their consent)",
    { code: "consent_required" },
  );

/** 403 unless every patient `resource` belongs to consents to the caller's organization. */
export async function assertConsented(ctx: ConsentCtx, resource: Record<string, unknown>): Promise<void> {
  if (!ctx.principal.consentRequired) return;
  const patients = patientsNeedingConsent(resource);
  if (patients.length === 0) return;
  const ok = await patientsWithConsent(ctx.services.db, ctx.store.id, ctx.principal.orgId, patients);
  if (patients.some((p) => !ok.has(p))) throw noConsent();
}

/**
 * The patients a consent-required caller may see in this store (null = no consent rule applies).
 * Feed it to `consentPredicate` as one JSON-array parameter.
 */
export async function consentAllowList(ctx: ConsentCtx): Promise<string[] | null> {
  if (!ctx.principal.consentRequired) return null;
  return [...(await consentedPatients(ctx.services.db, ctx.store.id, ctx.principal.orgId))].sort();
}

/**
 * SQL condition: the fhir_search_res row `R` (of `type`) belongs to no patient outside the allow list.
 * `bind` binds a value and returns its placeholder (SqlBuilder.bind); `allowJson` is the placeholder of
 * the allow list as a JSON array (bind it once, reuse it for every type). Types outside the Patient
 * compartment (Practitioner, Organization, Medication ...) are not patient data: "1".
 */
export function consentPredicate(bind: (v: string) => string, type: string, R: string, allowJson: string): string {
  if (type === "Patient") return `${R}.id IN (SELECT value FROM json_each(${allowJson}))`;
  if (!isCompartmentType(type)) return "1";
  const codes = compartmentRefCodes(type);
  if (codes.length === 0) return "1";
  return `NOT EXISTS (SELECT 1 FROM fhir_idx_reference cz WHERE cz.rid = ${R}.rid AND cz.p IN (${codes.map(bind).join(", ")})
    AND cz.tt = 'Patient' AND cz.tid NOT IN (SELECT value FROM json_each(${allowJson})))`;
}
