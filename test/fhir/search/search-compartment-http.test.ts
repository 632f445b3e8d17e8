/**
 * Patient compartment search over HTTP (R4 search.html#compartments): GET Patient/[id]/[type]?… and
 * Patient/[id]/*, under each FHIR base, with scopes, consent and tenants.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BundleLike,
  consent,
  fhir,
  keyFor,
  keysOf,
  link,
  newTenant,
  population,
  put,
  type Tenant,
} from "../../everything/fixtures";

let t: Tenant;
beforeAll(async () => {
  t = await newTenant();
  await population(t);
});

const sorted = (b: BundleLike) => keysOf(b).sort();

describe("Patient/[id]/[type]", () => {
  it("returns the type's resources in that patient's compartment only", async () => {
    const r = await fhir<BundleLike>(`${t.base}/Patient/p1/Observation`, { auth: t.key });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(5);
    expect(sorted(r.body)).toEqual(["obs1", "obs2", "obs3", "obs4", "obs5"].map((id) => `Observation/${id}`));
    const other = await fhir<BundleLike>(`${t.base}/Patient/p2/Observation`, { auth: t.key });
    expect(keysOf(other.body)).toEqual(["Observation/obs-p2"]);
  });

  it("applies the query's parameters, with a self link on the compartment URL", async () => {
    const r = await fhir<BundleLike>(`${t.base}/Patient/p1/Observation?code=http://loinc.org|8480-6&_count=1`, {
      auth: t.key,
    });
    expect(keysOf(r.body)).toEqual(["Observation/obs1"]);
    expect(link(r.body, "self")).toMatch(new RegExp(`${t.base}/Patient/p1/Observation\\?`));
    const none = await fhir<BundleLike>(`${t.base}/Patient/p1/Observation?category=laboratory&date=lt2021`, {
      auth: t.key,
    });
    expect(none.body.total).toBe(0);
  });

  it("Patient/[id]/* spans every compartment type, the patient included", async () => {
    const r = await fhir<BundleLike>(`${t.base}/Patient/p1/*?_count=100`, { auth: t.key });
    expect(r.status).toBe(200);
    const keys = sorted(r.body);
    for (const k of ["Patient/p1", "Observation/obs1", "Encounter/enc1", "Condition/cond1", "MedicationRequest/mr1"])
      expect(keys).toContain(k);
    expect(keys).not.toContain("Observation/obs-p2");
    expect(keys).not.toContain("Practitioner/dr1");
  });

  it("a type outside the compartment matches nothing; an unknown type is 404", async () => {
    const r = await fhir<BundleLike>(`${t.base}/Patient/p1/Practitioner`, { auth: t.key });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(0);
    expect((await fhir(`${t.base}/Patient/p1/Nope`, { auth: t.key })).status).toBe(404);
  });

  it("other compartments are 400 (not offered), a non-compartment type 404, and _history keeps its meaning", async () => {
    const enc = await fhir<{ resourceType: string }>(`${t.base}/Encounter/enc1/Observation`, { auth: t.key });
    expect(enc.status).toBe(400);
    expect(enc.body.resourceType).toBe("OperationOutcome");
    expect((await fhir(`${t.base}/Observation/obs1/Patient`, { auth: t.key })).status).toBe(404);
    const hist = await fhir<{ type: string }>(`${t.base}/Patient/p1/_history`, { auth: t.key });
    expect(hist.status).toBe(200);
    expect(hist.body.type).toBe("history");
  });

  it("the CapabilityStatement declares the Patient compartment", async () => {
    const r = await fhir<{ rest: { compartment?: string[] }[] }>(`${t.base}/metadata`);
    expect(r.body.rest[0]?.compartment).toEqual(["http://hl7.org/fhir/CompartmentDefinition/patient"]);
  });

  it("strict handling rejects unknown parameters", async () => {
    const r = await fhir(`${t.base}/Patient/p1/Observation?bogus=1`, {
      auth: t.key,
      headers: { Prefer: "handling=strict" },
    });
    expect(r.status).toBe(400);
  });
});

describe("access", () => {
  it("a patient-context credential may search its own compartment, not another's", async () => {
    const key = await keyFor(t, ["patient/*.rs"], { patientId: "p1" });
    const own = await fhir<BundleLike>(`${t.base}/Patient/p1/Observation`, { auth: key });
    expect(own.status).toBe(200);
    expect(own.body.total).toBe(5);
    expect((await fhir(`${t.base}/Patient/p2/Observation`, { auth: key })).status).toBe(403);
  });

  it("scopes decide the types; consent filters the patient", async () => {
    const condOnly = await keyFor(t, ["system/Condition.rs"]);
    expect((await fhir(`${t.base}/Patient/p1/Observation`, { auth: condOnly })).status).toBe(403);
    expect((await fhir<BundleLike>(`${t.base}/Patient/p1/Condition`, { auth: condOnly })).body.total).toBe(1);

    const s = await newTenant();
    await population(s);
    const gated = await keyFor(s, ["system/*.rs"], { consentRequired: true });
    expect((await fhir<BundleLike>(`${s.base}/Patient/p1/Observation`, { auth: gated })).body.total).toBe(0);
    await put(s, [consent("c1", "p1", s.orgId)]);
    expect((await fhir<BundleLike>(`${s.base}/Patient/p1/Observation`, { auth: gated })).body.total).toBe(5);
  });

  it("another tenant's store is 404, under /fhir and /datastore", async () => {
    const other = await newTenant();
    expect((await fhir(`${t.base}/Patient/p1/Observation`, { auth: other.key })).status).toBe(404);
    expect((await fhir(`/datastore/${t.storeId}/r4/Patient/p1/Observation`, { auth: other.key })).status).toBe(404);
    const mine = await fhir<BundleLike>(`/datastore/${t.storeId}/r4/Patient/p1/Observation`, { auth: t.key });
    expect(mine.body.total).toBe(5);
  });
});
