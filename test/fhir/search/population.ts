/**
 * The fixture population of the search conformance suite: a small clinical record designed so that each
 * parameter type, modifier and prefix has both matching and non-matching resources.
 */
import { deleteResource, putResources, type Resource } from "./fixtures";

export const LOINC = "http://loinc.org";
export const SCT = "http://snomed.info/sct";
export const UCUM = "http://unitsofmeasure.org";
const V2 = "http://terminology.hl7.org/CodeSystem/v2-0203";
const CAT = "http://terminology.hl7.org/CodeSystem/observation-category";

const vital = [{ coding: [{ system: CAT, code: "vital-signs" }] }];
const temp = { coding: [{ system: LOINC, code: "8310-5", display: "Body temperature" }] };
const weight = { coding: [{ system: LOINC, code: "29463-7", display: "Body weight" }] };
const narrative = (text: string) => ({
  status: "generated",
  div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${text}</p></div>`,
});
const ref = (reference: string) => ({ reference });
const q = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });

export const population: Resource[] = [
  { resourceType: "Organization", id: "org-2", name: "Health System" },
  {
    resourceType: "Organization",
    id: "org-1",
    name: "General Hospital",
    partOf: ref("Organization/org-2"),
    identifier: [{ system: "http://orgs", value: "GH" }],
  },
  {
    resourceType: "Practitioner",
    id: "pr-1",
    name: [{ family: "Jones", given: ["Alice"] }],
    identifier: [{ system: "http://npi", value: "111" }],
  },
  { resourceType: "Practitioner", id: "pr-2", name: [{ family: "Brown", given: ["Bob"] }] },
  {
    resourceType: "Patient",
    id: "pat-1",
    meta: {
      tag: [{ system: "http://tags", code: "vip" }],
      profile: ["http://example.org/StructureDefinition/vip-patient"],
      security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", code: "R" }],
      source: "http://source.example/ehr",
    },
    text: narrative("John Smith, a friendly patient"),
    identifier: [{ system: "http://hospital/mrn", value: "MRN-1", type: { coding: [{ system: V2, code: "MR" }] } }],
    active: true,
    name: [{ family: "Smith", given: ["John", "Quincy"] }],
    telecom: [
      { system: "phone", value: "555-1000" },
      { system: "email", value: "john@example.org" },
    ],
    gender: "male",
    birthDate: "1970-05-15",
    address: [{ city: "Boston", postalCode: "02101" }],
    generalPractitioner: [ref("Practitioner/pr-1")],
    managingOrganization: ref("Organization/org-1"),
  },
  {
    resourceType: "Patient",
    id: "pat-2",
    identifier: [{ system: "http://hospital/mrn", value: "MRN-2" }],
    active: false,
    name: [{ family: "Müller", given: ["Anna"] }],
    gender: "female",
    birthDate: "1985",
    deceasedDateTime: "2020-01-01",
    address: [{ city: "Berlin" }],
    generalPractitioner: [ref("Practitioner/pr-2")],
  },
  {
    resourceType: "Patient",
    id: "pat-3",
    name: [{ family: "Smithson", given: ["Zoë"] }],
    gender: "female",
    birthDate: "1990-12-31",
    link: [{ other: ref("Patient/pat-1"), type: "seealso" }],
  },
  { resourceType: "Patient", id: "pat-4", name: [{ family: "Ghost" }], gender: "other", birthDate: "1950" },
  { resourceType: "Patient", id: "pat-5", name: [{ family: "Nobody" }] },
  { resourceType: "Group", id: "grp-1", type: "person", actual: true, member: [{ entity: ref("Patient/pat-1") }] },
  {
    resourceType: "Encounter",
    id: "enc-1",
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
    subject: ref("Patient/pat-1"),
    participant: [{ individual: ref("Practitioner/pr-1") }],
    period: { start: "2023-03-01T09:00:00Z", end: "2023-03-01T10:00:00Z" },
    // another date param far in the future: must never leak into `date` searches
    location: [{ location: { display: "Room 1" }, period: { start: "2031-01-01", end: "2031-01-01" } }],
    serviceProvider: ref("Organization/org-1"),
  },
  {
    resourceType: "Encounter",
    id: "enc-2",
    status: "in-progress",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "IMP" },
    subject: ref("Patient/pat-2"),
    period: { start: "2023-06-01" },
    serviceProvider: ref("Organization/org-2"),
  },
  {
    resourceType: "Observation",
    id: "obs-1",
    text: narrative("Fever noted in the afternoon"),
    status: "final",
    category: vital,
    code: temp,
    subject: ref("Patient/pat-1"),
    encounter: ref("Encounter/enc-1"),
    performer: [ref("Practitioner/pr-1")],
    effectiveDateTime: "2023-05-01T10:00:00Z",
    valueQuantity: { ...q(38.1, "Cel"), unit: "C" },
  },
  {
    resourceType: "Observation",
    id: "obs-2",
    status: "final",
    category: vital,
    code: temp,
    subject: ref("Patient/pat-1"),
    effectiveDateTime: "2022-12-31T23:00:00-02:00",
    valueQuantity: q(36.6, "Cel"),
  },
  {
    resourceType: "Observation",
    id: "obs-3",
    status: "final",
    category: vital,
    code: weight,
    subject: ref("Patient/pat-1"),
    effectivePeriod: { start: "2023-07-01", end: "2023-07-02" },
    valueQuantity: q(70, "kg"),
  },
  {
    resourceType: "Observation",
    id: "obs-4",
    status: "final",
    category: vital,
    code: weight,
    subject: ref("Patient/pat-2"),
    performer: [ref("Practitioner/pr-2")],
    effectiveDateTime: "2024-01-15",
    valueQuantity: q(70000, "g"),
  },
  {
    resourceType: "Observation",
    id: "obs-5",
    status: "final",
    category: vital,
    code: { coding: [{ system: LOINC, code: "85354-9", display: "Blood pressure panel" }] },
    subject: ref("Patient/pat-2"),
    effectiveDateTime: "2023-02-10",
    component: [
      { code: { coding: [{ system: LOINC, code: "8480-6", display: "Systolic" }] }, valueQuantity: q(120, "mm[Hg]") },
      { code: { coding: [{ system: LOINC, code: "8462-4", display: "Diastolic" }] }, valueQuantity: q(80, "mm[Hg]") },
    ],
  },
  {
    resourceType: "Observation",
    id: "obs-6",
    status: "preliminary",
    category: [{ coding: [{ system: CAT, code: "social-history" }] }],
    code: { coding: [{ system: LOINC, code: "72166-2", display: "Tobacco smoking status" }] },
    subject: ref("Patient/pat-3"),
    effectiveDateTime: "2023-08-20T08:30:00Z",
    valueCodeableConcept: { coding: [{ system: SCT, code: "266919005", display: "Never smoked tobacco" }] },
  },
  {
    resourceType: "Observation",
    id: "obs-7",
    status: "final",
    code: temp,
    subject: ref("Group/grp-1"),
    effectiveDateTime: "2023-05-01T12:00:00Z",
    valueQuantity: q(37, "Cel"),
  },
  {
    resourceType: "Observation",
    id: "obs-8",
    status: "final",
    code: { text: "Mystery test" },
    issued: "2023-09-09T09:09:09.123Z",
    valueString: "Positive result",
  },
  {
    resourceType: "Observation",
    id: "obs-9",
    status: "final",
    code: temp,
    subject: { identifier: { system: "http://hospital/mrn", value: "MRN-1" } },
    effectiveDateTime: "2021",
  },
  { resourceType: "Observation", id: "obs-10", status: "final", code: temp, subject: ref("Patient/pat-4") },
  {
    resourceType: "Condition",
    id: "cond-1",
    clinicalStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
    },
    code: { coding: [{ system: SCT, code: "44054006", display: "Diabetes mellitus type 2" }] },
    subject: ref("Patient/pat-1"),
    onsetDateTime: "2010",
    recordedDate: "2010-06-01",
  },
  {
    resourceType: "List",
    id: "list-1",
    status: "current",
    mode: "working",
    subject: ref("Patient/pat-1"),
    entry: [{ item: ref("Observation/obs-1") }, { item: ref("Observation/obs-3") }],
  },
  {
    resourceType: "Provenance",
    id: "prov-1",
    target: [ref("Observation/obs-1")],
    recorded: "2023-05-01T11:00:00Z",
    agent: [{ who: ref("Practitioner/pr-1") }],
  },
  {
    resourceType: "DiagnosticReport",
    id: "dr-1",
    status: "final",
    code: { coding: [{ system: LOINC, code: "24331-1" }] },
    subject: ref("Patient/pat-1"),
    result: [ref("Observation/obs-1"), ref("Observation/obs-2")],
  },
  ...[0.25, 0.8, 100.2, 99.4].map((p, i) => ({
    resourceType: "RiskAssessment",
    id: `ra-${i + 1}`,
    status: "final",
    subject: ref(i < 2 ? "Patient/pat-1" : "Patient/pat-2"),
    prediction: [{ probabilityDecimal: p }],
  })),
  { resourceType: "ValueSet", id: "vs-1", status: "active", url: "http://example.org/fhir/ValueSet/abc" },
  { resourceType: "ValueSet", id: "vs-2", status: "active", url: "http://example.org/fhir/ValueSet/abc/sub" },
  { resourceType: "ValueSet", id: "vs-3", status: "draft", url: "http://other.org/ValueSet/x" },
];

/** A second tenant whose ids collide with the first one's on purpose. */
export const otherStore: Resource[] = [
  { resourceType: "Patient", id: "pat-1", name: [{ family: "Smith", given: ["Other"] }], gender: "male" },
  {
    resourceType: "Observation",
    id: "obs-1",
    status: "final",
    code: temp,
    subject: ref("Patient/pat-1"),
    effectiveDateTime: "2023-05-01",
  },
];

export const STORE = "store-a";
export const OTHER = "store-b";

/** Loads both stores; pat-4 is then deleted (a tombstone that must never be found). */
export async function loadPopulation(): Promise<void> {
  // Several batches, as the repository would write them.
  await putResources(STORE, population.slice(0, 10));
  await putResources(STORE, population.slice(10));
  await putResources(OTHER, otherStore);
  await deleteResource(STORE, "Patient", "pat-4");
}
