/**
 * Patient/[id]/$everything and Person/[id]/$everything (FHIR R4 patient-operation-everything.html,
 * seed 001): decides WHAT the response holds, before any body is read. The result is the ordered key
 * list of the requested page plus the Bundle's total and paging links; stream-everything.ts then streams
 * the bodies.
 *
 * What is returned: the patient (for Person: the Person and every Patient in Person.link.target), every
 * resource in those patients' compartments (compartmentdefinition-patient), and the shared resources they
 * reference (one level, via reference search parameters; types outside the compartment only, so another
 * patient's data never comes in through a reference). Other Patient resources linked through
 * Patient.link are not returned (ask for their own $everything).
 *
 * Access (src/features/fhir/access.ts decides per type): the subject needs `read` on Patient/Person
 * (else 403); every other type is returned only when the caller may read it, with v2 query constraints
 * applied per resource; a patient-context credential may only ask for its own patient (403 otherwise)
 * and gets no shared resources (as for direct reads); a consent-required credential gets 403 unless the
 * patient has an active permitting Consent for its organization (src/features/consent).
 */
import { errors } from "../../../platform/errors";
import { noConsent } from "../../consent/consent-access";
import { patientsWithConsent } from "../../consent/consent-decision";
import { authorize } from "../access";
import type { FhirCtx } from "../fhir-ctx";
import { goneResource, notFoundResource } from "../read-resource";
import { readCurrent } from "../repo/rows";
import { isValidId } from "../resource-json";
import { type BundleLink, searchUrl } from "../search/bundle";
import { getParam } from "../search/definitions";
import { parseReference } from "../search/extract";
import { CLINICAL_DATE_PARAMS } from "./clinical-dates";
import { compartmentRefCodes, isCompartmentType } from "./compartment";
import { everythingKeys } from "./everything-keys";
import { type EverythingParams, parseEverythingParams } from "./everything-params";
import { loadScopeKeys, readGrant, ridsMatchingConstraints } from "./read-grants";

export type EverythingSubject = "Patient" | "Person";

export interface EverythingEntryRef {
  type: string;
  id: string;
}

export interface EverythingPlan {
  storeId: string;
  /** Entries of the requested page, in order. */
  page: EverythingEntryRef[];
  total: number;
  links: BundleLink[];
  params: EverythingParams;
  /** The patients whose record this is (after access and consent filtering). */
  patients: string[];
}

export interface EverythingInput {
  subjectType: EverythingSubject;
  id: string;
  params: URLSearchParams;
  strict: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Patient ids of Person.link.target (local or absolute references to Patient). */
function personPatients(person: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const link of Array.isArray(person.link) ? person.link : []) {
    if (!isObject(link) || !isObject(link.target) || typeof link.target.reference !== "string") continue;
    const ref = parseReference(link.target.reference);
    if (ref?.tt === "Patient" && ref.tid) out.add(ref.tid);
  }
  return [...out];
}

export async function planEverything({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: EverythingInput;
}): Promise<EverythingPlan> {
  const params = parseEverythingParams(input.params, input.strict);
  const { subjectType, id } = input;
  const subjectGrant = authorize(ctx, "read", subjectType);
  const contextPatient = subjectGrant.patientId;
  // A patient-context credential may not even learn whether another patient exists.
  if (subjectType === "Patient" && contextPatient !== null && id !== contextPatient) {
    throw errors.forbidden("This credential may only access data in its patient's compartment", {
      code: "patient_context",
    });
  }
  if (!isValidId(id)) throw notFoundResource(subjectType, id);
  const db = ctx.services.db;
  // Independent reads in parallel: the response cannot start before both are back.
  const [row, scopes] = await Promise.all([
    readCurrent(db, ctx.store.id, subjectType, id),
    loadScopeKeys(db, ctx.store.id),
  ]);
  if (!row) throw notFoundResource(subjectType, id);
  if (row.deleted) throw goneResource(row);

  let patients = subjectType === "Patient" ? [id] : personPatients(JSON.parse(row.body) as Record<string, unknown>);
  if (contextPatient !== null && subjectType === "Person") {
    if (!patients.includes(contextPatient)) {
      throw errors.forbidden("This credential may only access data in its patient's compartment", {
        code: "patient_context",
      });
    }
    patients = [contextPatient];
  }
  const consent = ctx.principal.consentRequired;
  if (consent && patients.length) {
    const ok = await patientsWithConsent(db, ctx.store.id, ctx.principal.orgId, patients);
    patients = patients.filter((p) => ok.has(p));
    if (patients.length === 0) throw noConsent();
  }

  const requested = params.types ? new Set(params.types) : null;
  const memberPairs: [number, string][] = [];
  const refTypes: string[] = [];
  const allowedSks: number[] = [];
  const windowPairs: [number, string][] = [];
  const constrained = new Map<number, { type: string; constraints: URLSearchParams[] }>();
  const typeOfSk = new Map<number, string>();
  for (const [type, sk] of scopes) {
    typeOfSk.set(sk, type);
    const grant = readGrant(ctx, type);
    if (!grant) continue;
    // A patient-scoped grant covers one patient's compartment only.
    if (grant.patientId !== null && (patients.length !== 1 || patients[0] !== grant.patientId)) continue;
    const member = isCompartmentType(type);
    if (member) for (const code of compartmentRefCodes(type)) memberPairs.push([sk, code]);
    else if (grant.patientId === null) refTypes.push(type);
    else continue;
    if (requested && !requested.has(type)) continue;
    allowedSks.push(sk);
    if (grant.constraints) constrained.set(sk, { type, constraints: grant.constraints });
    for (const code of CLINICAL_DATE_PARAMS[type] ?? []) if (getParam(type, code)) windowPairs.push([sk, code]);
  }

  let keys = await everythingKeys(db, {
    storeId: ctx.store.id,
    patients,
    patientSk: scopes.get("Patient") ?? null,
    person: subjectType === "Person" && scopes.has("Person") ? { sk: scopes.get("Person") as number, id } : null,
    memberPairs,
    refTypes,
    allowedSks,
    since: params.since,
    window: params.window ? { ...params.window, pairs: windowPairs } : null,
    consent,
  });
  for (const [sk, { type, constraints }] of constrained) {
    const rids = keys.filter((k) => k.sk === sk).map((k) => k.rid);
    if (rids.length === 0) continue;
    const ok = await ridsMatchingConstraints(db, ctx.store.id, ctx.base, type, constraints, rids);
    keys = keys.filter((k) => k.sk !== sk || ok.has(k.rid));
  }

  const total = keys.length;
  const slice =
    params.count === null ? keys.slice(params.offset) : keys.slice(params.offset, params.offset + params.count);
  const page = slice.map((k) => ({ type: typeOfSk.get(k.sk) as string, id: k.id }));
  const path = `${ctx.base}/${subjectType}/${encodeURIComponent(id)}/$everything`;
  return { storeId: ctx.store.id, page, total, links: everythingLinks(path, params, total), params, patients };
}

/**
 * self/first/previous/next/last as seed 001 shows them: every paging link carries `_count` and `_offset`
 * explicitly (`?_count=30&_offset=0`). Without `_count` the whole record is one response: self only.
 */
export function everythingLinks(path: string, p: EverythingParams, total: number): BundleLink[] {
  if (p.count === null) {
    const self = p.offset > 0 ? [...p.linkParams, ["_offset", String(p.offset)] as [string, string]] : p.linkParams;
    return [{ relation: "self", url: searchUrl(path, self) }];
  }
  const count = p.count;
  const at = (offset: number): string =>
    searchUrl(path, [...p.linkParams, ["_count", String(count)], ["_offset", String(offset)]]);
  const links: BundleLink[] = [{ relation: "self", url: at(p.offset) }];
  if (count === 0) return links;
  links.push({ relation: "first", url: at(0) });
  if (p.offset > 0) links.push({ relation: "previous", url: at(Math.max(0, p.offset - count)) });
  if (p.offset + count < total) links.push({ relation: "next", url: at(p.offset + count) });
  links.push({ relation: "last", url: at(total > 0 ? Math.floor((total - 1) / count) * count : 0) });
  return links;
}
