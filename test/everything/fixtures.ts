/** Fixtures shared by the $everything, bulk export and consent suites: stores, keys and a small population. */
import { type CallInit, callJson, createKey, createOrg } from "../harness";

export const FHIR_JSON = "application/fhir+json";

export async function fhir<T = Record<string, unknown>>(path: string, init: CallInit = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", FHIR_JSON);
  return callJson<T>(path, { ...init, headers });
}

export interface Tenant {
  orgId: string;
  /** The org's first key: every platform scope. */
  key: string;
  storeId: string;
  base: string;
}

export async function newTenant(): Promise<Tenant> {
  const org = await createOrg();
  const res = await callJson<{ data: { id: string } }>("/api/fhirserver/create", {
    method: "POST",
    auth: org.key,
    json: { name: "everything-store", region: "global", fhirVersion: "R4", type: "serverless" },
  });
  if (res.status !== 201) throw new Error(`store create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { orgId: org.orgId, key: org.key, storeId: res.body.data.id, base: `/fhir/${res.body.data.id}` };
}

export const keyFor = (t: Tenant, scopes: string[], extra: Record<string, unknown> = {}) =>
  createKey(t.orgId, scopes, extra);

type Resource = Record<string, unknown> & { resourceType: string; id: string };

/** PUTs resources with their ids through one transaction Bundle. */
export async function put(t: Tenant, resources: Resource[]): Promise<void> {
  const res = await fhir(t.base, {
    method: "POST",
    auth: t.key,
    json: {
      resourceType: "Bundle",
      type: "transaction",
      entry: resources.map((r) => ({ resource: r, request: { method: "PUT", url: `${r.resourceType}/${r.id}` } })),
    },
  });
  if (res.status !== 200)
    throw new Error(`transaction failed: ${res.status} ${JSON.stringify(res.body).slice(0, 800)}`);
}

const ref = (r: string) => ({ reference: r });

export function observation(
  id: string,
  patient: string,
  code: string,
  date: string,
  extra: Record<string, unknown> = {},
): Resource {
  return {
    resourceType: "Observation",
    id,
    status: "final",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
    ],
    code: { coding: [{ system: "http://loinc.org", code }] },
    subject: ref(`Patient/${patient}`),
    effectiveDateTime: date,
    ...extra,
  };
}

export function consent(
  id: string,
  patient: string,
  orgId: string,
  opts: { status?: string; type?: "permit" | "deny"; nested?: unknown[] } = {},
): Resource {
  return {
    resourceType: "Consent",
    id,
    status: opts.status ?? "active",
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: ref(`Patient/${patient}`),
    policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
    provision: {
      type: opts.type ?? "permit",
      actor: [
        {
          role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] },
          // The documented convention: the Hearth org id with "_" written as "-" (FHIR ids allow no "_").
          reference: ref(`Organization/${orgId.replaceAll("_", "-")}`),
        },
      ],
      ...(opts.nested ? { provision: opts.nested } : {}),
    },
  };
}

/**
 * Two patients: p1 (record: 2 encounters, 5 observations, a condition, a medication request referencing
 * a Medication, an allergy) and p2 (one observation). Shared: a practitioner, an organization, a location.
 */
export async function population(t: Tenant): Promise<void> {
  await put(t, [
    { resourceType: "Organization", id: "org1", name: "General Hospital" },
    { resourceType: "Organization", id: "org-unused", name: "Nobody refers to me" },
    { resourceType: "Practitioner", id: "dr1", name: [{ family: "House" }] },
    { resourceType: "Location", id: "loc1", name: "Ward 1" },
    {
      resourceType: "Medication",
      id: "med1",
      code: { coding: [{ system: "http://www.nlm.nih.gov/research/umls/rxnorm", code: "197361" }] },
    },
    {
      resourceType: "Patient",
      id: "p1",
      name: [{ family: "Lin", given: ["Derrick"] }],
      managingOrganization: ref("Organization/org1"),
    },
    { resourceType: "Patient", id: "p2", name: [{ family: "Other" }] },
    {
      resourceType: "Person",
      id: "person1",
      name: [{ family: "Lin", given: ["Derrick"] }],
      link: [{ target: ref("Patient/p1"), assurance: "level4" }],
    },
    {
      resourceType: "Encounter",
      id: "enc1",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
      subject: ref("Patient/p1"),
      participant: [{ individual: ref("Practitioner/dr1") }],
      serviceProvider: ref("Organization/org1"),
      location: [{ location: ref("Location/loc1") }],
      period: { start: "2020-11-26T15:00:00Z", end: "2020-11-26T16:00:00Z" },
    },
    {
      resourceType: "Encounter",
      id: "enc2",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
      subject: ref("Patient/p1"),
      period: { start: "2022-03-01T09:00:00Z", end: "2022-03-01T10:00:00Z" },
    },
    observation("obs1", "p1", "8480-6", "2020-11-26T15:28:31Z", {
      performer: [ref("Practitioner/dr1")],
      encounter: ref("Encounter/enc1"),
    }),
    observation("obs2", "p1", "8462-4", "2020-11-26T15:28:31Z"),
    observation("obs3", "p1", "29463-7", "2021-05-01T10:00:00Z", {
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] },
      ],
    }),
    observation("obs4", "p1", "8302-2", "2022-03-01T09:30:00Z"),
    observation("obs5", "p1", "39156-5", "2022-03-01T09:31:00Z"),
    observation("obs-p2", "p2", "8480-6", "2021-01-01T00:00:00Z", { performer: [ref("Practitioner/dr1")] }),
    {
      resourceType: "Condition",
      id: "cond1",
      subject: ref("Patient/p1"),
      code: { coding: [{ system: "http://snomed.info/sct", code: "44054006" }] },
      onsetDateTime: "2019-06-01",
    },
    {
      resourceType: "MedicationRequest",
      id: "mr1",
      status: "active",
      intent: "order",
      subject: ref("Patient/p1"),
      medicationReference: ref("Medication/med1"),
      authoredOn: "2021-02-02",
    },
    {
      resourceType: "AllergyIntolerance",
      id: "al1",
      patient: ref("Patient/p1"),
      recordedDate: "2018-01-01",
      code: { text: "Peanuts" },
    },
  ]);
}

export interface EntryLike {
  fullUrl?: string;
  search?: { mode?: string };
  resource: { resourceType: string; id: string } & Record<string, unknown>;
}
export interface BundleLike {
  resourceType: string;
  type: string;
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: EntryLike[];
}

export const keysOf = (b: BundleLike) => (b.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
export const link = (b: BundleLike, rel: string) => b.link?.find((l) => l.relation === rel)?.url;
/** A link URL as a harness path (drops the test origin). */
export const pathOf = (url: string) => url.replace(/^https?:\/\/[^/]+/, "");
