/**
 * Consent decisions (seed 001: "a patient who has consented to share their data with your
 * organization"). A credential marked `consentRequired` sees a patient's data only while that patient
 * has a FHIR R4 `Consent` in the store that:
 *   - has `status` = `active`;
 *   - has `patient` → Patient/{id};
 *   - has a provision of type `permit` whose `actor[].reference` names the caller's Hearth
 *     organization, and whose `period` (if any) covers now. The organization is named either by the
 *     reference `Organization/{fhir id}`, where the FHIR id is the Hearth organization id with `_`
 *     written as `-` (`org_AbC…` → `Organization/org-AbC…`; FHIR ids may not contain `_`, R4
 *     datatypes.html#id), also as an absolute URL ending in it, or by a logical reference whose
 *     identifier is `{ system: "urn:hearth:organization", value: "org_AbC…" }`;
 *   - and no provision of type `deny` for that same actor (in this or any other active Consent of the
 *     patient). Nested provisions inherit their parent's type when they do not state one (FHIR R4
 *     consent.html#provision: nested provisions are exceptions to the base policy).
 * A status other than `active` (e.g. `inactive`) or a deny provision withdraws consent. Decisions are
 * read from the store on every call (no cache), so a withdrawal takes effect on the next request.
 */
import { compartmentPatientIds } from "../fhir/everything/compartment";

export type ConsentVerdict = "permit" | "deny" | "none";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function periodCovers(period: unknown, now: number): boolean {
  if (!isObject(period)) return true;
  const start = typeof period.start === "string" ? Date.parse(period.start) : Number.NaN;
  const end = typeof period.end === "string" ? Date.parse(period.end) : Number.NaN;
  if (!Number.isNaN(start) && now < start) return false;
  if (!Number.isNaN(end) && now > end) return false;
  return true;
}

/** Identifier system of Hearth organization ids (logical references in Consent.provision.actor). */
export const HEARTH_ORG_SYSTEM = "urn:hearth:organization";

/** A Hearth organization id as a valid FHIR id: `org_AbC` → `org-AbC` (FHIR ids allow no `_`). */
export const fhirOrgId = (orgId: string): string => orgId.replaceAll("_", "-");

/** The reference a Consent puts in provision.actor to name the organization `orgId`. */
export const consentActorReference = (orgId: string): string => `Organization/${fhirOrgId(orgId)}`;

/** True when a Reference names organization `orgId` (relative/absolute reference, or by identifier). */
function isOrgActor(ref: unknown, orgId: string): boolean {
  if (!isObject(ref)) return false;
  if (typeof ref.reference === "string") {
    const reference = ref.reference;
    const targets = [`Organization/${fhirOrgId(orgId)}`, `Organization/${orgId}`];
    if (targets.some((t) => reference === t || reference.endsWith(`/${t}`))) return true;
  }
  const identifier = ref.identifier;
  return isObject(identifier) && identifier.system === HEARTH_ORG_SYSTEM && identifier.value === orgId;
}

/** The reference of Consent.patient points at Patient/{patientId}. */
export function consentIsAbout(consent: Record<string, unknown>, patientId: string): boolean {
  const p = consent.patient;
  if (!isObject(p) || typeof p.reference !== "string") return false;
  const target = `Patient/${patientId}`;
  return p.reference === target || p.reference.endsWith(`/${target}`);
}

/** What one Consent resource says about the organization `orgId` at `now` (epoch ms). */
export function consentVerdict(consent: unknown, orgId: string, now = Date.now()): ConsentVerdict {
  if (!isObject(consent) || consent.resourceType !== "Consent" || consent.status !== "active") return "none";
  let permits = false;
  let denies = false;
  const walk = (provision: unknown, inherited: string | undefined, depth: number) => {
    if (!isObject(provision) || depth > 16) return;
    if (!periodCovers(provision.period, now)) return;
    const type = provision.type === "permit" || provision.type === "deny" ? provision.type : inherited;
    const actors = Array.isArray(provision.actor) ? provision.actor : [];
    if (actors.some((a) => isObject(a) && isOrgActor(a.reference, orgId))) {
      if (type === "permit") permits = true;
      else if (type === "deny") denies = true;
    }
    const nested = Array.isArray(provision.provision) ? provision.provision : [];
    for (const p of nested) walk(p, type, depth + 1);
  };
  walk(consent.provision, undefined, 0);
  return denies ? "deny" : permits ? "permit" : "none";
}

/** Folds the verdicts of several Consents of one patient (a deny wins, otherwise a permit). */
function combine(verdicts: ConsentVerdict[]): boolean {
  return !verdicts.includes("deny") && verdicts.includes("permit");
}

export interface ConsentRow {
  pid: string;
  body: string;
}

/**
 * The Consents of `patientIds` in store `storeId`, through the reference index (Consent `patient` rows),
 * as one statement (run alone by `patientsWithConsent`, or in a batch); evaluate its rows with
 * `consentingAmong`.
 */
export function consentRowsStatement(
  db: D1Database,
  storeId: string,
  patientIds: readonly string[],
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT x.tid AS pid, f.body AS body
       FROM fhir_search_scope sc
       CROSS JOIN json_each(?2) j
       CROSS JOIN fhir_idx_reference x ON x.sk = sc.sk AND x.p = 'patient' AND x.tid = j.value AND x.tt = 'Patient'
       CROSS JOIN fhir_search_res R ON R.rid = x.rid
       CROSS JOIN fhir_resources f ON f.store_id = sc.store_id AND f.resource_type = 'Consent' AND f.id = R.id AND f.deleted = 0
       WHERE sc.store_id = ?1 AND sc.resource_type = 'Consent'`,
    )
    .bind(storeId, JSON.stringify([...new Set(patientIds)]));
}

/** Which of `patientIds` consent to share with `orgId`, from the rows of `consentRowsStatement`. */
export const consentingAmong = (rows: ConsentRow[], orgId: string, patientIds: readonly string[]): Set<string> =>
  decide(rows, orgId, new Set(patientIds));

/** Which of `patientIds` currently consent to share their data with organization `orgId` in store `storeId`. */
export async function patientsWithConsent(
  db: D1Database,
  storeId: string,
  orgId: string,
  patientIds: readonly string[],
): Promise<Set<string>> {
  if (patientIds.length === 0) return new Set();
  const res = await consentRowsStatement(db, storeId, patientIds).all<ConsentRow>();
  return consentingAmong(res.results, orgId, patientIds);
}

/** Whether one patient currently consents to share with `orgId`. */
export async function hasConsent(db: D1Database, storeId: string, orgId: string, patientId: string): Promise<boolean> {
  return (await patientsWithConsent(db, storeId, orgId, [patientId])).has(patientId);
}

/**
 * Every patient of the store that currently consents to share with `orgId` (for filtering searches and
 * exports). Reads the store's active Consents through the status token index.
 */
export async function consentedPatients(db: D1Database, storeId: string, orgId: string): Promise<Set<string>> {
  const res = await db
    .prepare(
      `SELECT x.tid AS pid, f.body AS body
       FROM fhir_search_scope sc
       CROSS JOIN fhir_idx_token t ON t.sk = sc.sk AND t.p = 'status' AND t.val = 'active'
       CROSS JOIN fhir_idx_reference x ON x.rid = t.rid AND x.p = 'patient' AND x.tt = 'Patient'
       CROSS JOIN fhir_search_res R ON R.rid = t.rid
       CROSS JOIN fhir_resources f ON f.store_id = sc.store_id AND f.resource_type = 'Consent' AND f.id = R.id AND f.deleted = 0
       WHERE sc.store_id = ?1 AND sc.resource_type = 'Consent'`,
    )
    .bind(storeId)
    .all<ConsentRow>();
  return decide(res.results, orgId, null);
}

function decide(rows: ConsentRow[], orgId: string, wanted: ReadonlySet<string> | null): Set<string> {
  const now = Date.now();
  const byPatient = new Map<string, ConsentVerdict[]>();
  for (const row of rows) {
    if (wanted && !wanted.has(row.pid)) continue;
    let consent: unknown;
    try {
      consent = JSON.parse(row.body);
    } catch {
      continue;
    }
    // The index row says the Consent names this patient; the body must agree (Consent.patient itself).
    if (!isObject(consent) || !consentIsAbout(consent, row.pid)) continue;
    const list = byPatient.get(row.pid) ?? [];
    list.push(consentVerdict(consent, orgId, now));
    byPatient.set(row.pid, list);
  }
  const out = new Set<string>();
  for (const [pid, verdicts] of byPatient) if (combine(verdicts)) out.add(pid);
  return out;
}

/**
 * The patients whose consent a resource needs before a consent-required credential may see it: the
 * patients whose compartment it is in (FHIR R4 compartmentdefinition-patient). Empty for shared
 * resources (Practitioner, Organization, Medication, ...), which need none.
 */
export const patientsNeedingConsent = (resource: Record<string, unknown>): string[] => compartmentPatientIds(resource);
