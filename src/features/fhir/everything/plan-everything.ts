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
import {
  type ConsentRow,
  consentingAmong,
  consentRowsStatement,
  patientsWithConsent,
} from "../../consent/consent-decision";
import { authorize } from "../access";
import type { FhirCtx } from "../fhir-ctx";
import { goneResource, notFoundResource } from "../read-resource";
import { fromRaw } from "../repo/rows";
import { isValidId } from "../resource-json";
import { type BundleLink, searchUrl } from "../search/bundle";
import { getParam, RESOURCE_TYPES } from "../search/definitions";
import { parseReference } from "../search/extract";
import { CLINICAL_DATE_PARAMS } from "./clinical-dates";
import { compartmentRefCodes, isCompartmentType } from "./compartment";
import {
  type EverythingKey,
  type EverythingKeyQuery,
  everythingKeys,
  everythingKeysStatement,
} from "./everything-keys";
import { type EverythingParams, parseEverythingParams } from "./everything-params";
import { readGrant, ridsMatchingConstraints } from "./read-grants";

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
  const consent = ctx.principal.consentRequired;
  const subjectStmt = db
    .prepare(
      "SELECT resource_type, id, version_id, last_updated, deleted, body FROM fhir_resources WHERE store_id = ?1 AND resource_type = ?2 AND id = ?3",
    )
    .bind(ctx.store.id, subjectType, id);
  const checkSubject = (raw: Parameters<typeof fromRaw>[0] | undefined) => {
    if (!raw) throw notFoundResource(subjectType, id);
    const row = fromRaw(raw);
    if (row.deleted) throw goneResource(row);
    return row;
  };

  let keys: EverythingKey[];
  let patients: string[];
  if (subjectType === "Patient") {
    // One round trip: the subject, its Consents (consent-required callers) and the key list are
    // independent of each other, so they go to D1 as one batch; the checks then decide in order.
    patients = [id];
    const keysStmt = everythingKeysStatement(db, keyQuery(ctx, params, patients, null, consent));
    const stmts = [subjectStmt, ...(consent ? [consentRowsStatement(db, ctx.store.id, patients)] : [])];
    if (keysStmt) stmts.push(keysStmt);
    const results = await db.batch<Record<string, unknown>>(stmts);
    checkSubject(results[0]?.results[0] as unknown as Parameters<typeof fromRaw>[0] | undefined);
    if (consent) {
      const rows = results[1]?.results as unknown as ConsentRow[];
      if (!consentingAmong(rows, ctx.principal.orgId, patients).has(id)) throw noConsent();
    }
    keys = keysStmt ? ((results[stmts.length - 1]?.results ?? []) as unknown as EverythingKey[]) : [];
  } else {
    const row = checkSubject((await subjectStmt.first<Parameters<typeof fromRaw>[0]>()) ?? undefined);
    patients = personPatients(JSON.parse(row.body) as Record<string, unknown>);
    if (contextPatient !== null) {
      if (!patients.includes(contextPatient)) {
        throw errors.forbidden("This credential may only access data in its patient's compartment", {
          code: "patient_context",
        });
      }
      patients = [contextPatient];
    }
    if (consent && patients.length) {
      const ok = await patientsWithConsent(db, ctx.store.id, ctx.principal.orgId, patients);
      patients = patients.filter((p) => ok.has(p));
      if (patients.length === 0) throw noConsent();
    }
    keys = await everythingKeys(db, keyQuery(ctx, params, patients, id, consent));
  }

  // v2 query-constrained grants: their types' keys are checked against the constraints (one query each).
  for (const type of new Set(keys.map((k) => k.rt))) {
    const constraints = readGrant(ctx, type)?.constraints;
    if (!constraints) continue;
    const rids = keys.filter((k) => k.rt === type).map((k) => k.rid);
    const ok = await ridsMatchingConstraints(db, ctx.store.id, ctx.base, type, constraints, rids);
    keys = keys.filter((k) => k.rt !== type || ok.has(k.rid));
  }

  const total = keys.length;
  const slice =
    params.count === null ? keys.slice(params.offset) : keys.slice(params.offset, params.offset + params.count);
  const page = slice.map((k) => ({ type: k.rt, id: k.id }));
  const path = `${ctx.base}/${subjectType}/${encodeURIComponent(id)}/$everything`;
  return { storeId: ctx.store.id, page, total, links: everythingLinks(path, params, total), params, patients };
}

/**
 * What the key list may hold, from the caller's read grants per type (src/features/fhir/access.ts):
 * compartment members of readable types, shared types it may read as referenced resources (not under
 * a patient-context grant, as for direct reads), narrowed by `_type`; care-date pairs for `start`/`end`.
 */
function keyQuery(
  ctx: FhirCtx,
  params: EverythingParams,
  patients: string[],
  personId: string | null,
  consent: boolean,
): EverythingKeyQuery {
  const requested = params.types ? new Set(params.types) : null;
  const memberPairs: [string, string][] = [];
  const refTypes: string[] = [];
  const allowedTypes: string[] = [];
  const windowPairs: [string, string][] = [];
  for (const type of RESOURCE_TYPES) {
    const grant = readGrant(ctx, type);
    if (!grant) continue;
    // A patient-scoped grant covers one patient's compartment only.
    if (grant.patientId !== null && (patients.length !== 1 || patients[0] !== grant.patientId)) continue;
    if (isCompartmentType(type)) for (const code of compartmentRefCodes(type)) memberPairs.push([type, code]);
    else if (grant.patientId === null) refTypes.push(type);
    else continue;
    if (requested && !requested.has(type)) continue;
    allowedTypes.push(type);
    for (const code of CLINICAL_DATE_PARAMS[type] ?? []) if (getParam(type, code)) windowPairs.push([type, code]);
  }
  return {
    storeId: ctx.store.id,
    patients,
    personId,
    memberPairs,
    refTypes,
    allowedTypes,
    since: params.since,
    window: params.window ? { ...params.window, pairs: windowPairs } : null,
    consent,
  };
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
