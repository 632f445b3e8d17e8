/**
 * Consent (seed 001) through the FHIR API: a consent-required credential sees a patient's data only
 * while that patient has an active Consent permitting the credential's organization. Direct reads are
 * 403 otherwise; searches, totals, includes and $everything leave the patient out; a withdrawal (status
 * inactive, a deny provision, a deletion) takes effect on the next request.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BundleLike,
  consent,
  fhir,
  keyFor,
  keysOf,
  newTenant,
  observation,
  population,
  put,
  type Tenant,
} from "../everything/fixtures";
import { createClient, tokenFor } from "../harness";

const P1_OBS = ["Observation/obs1", "Observation/obs2", "Observation/obs3", "Observation/obs4", "Observation/obs5"];

const status = async (path: string, auth: string) => (await fhir(path, { auth })).status;
const search = async (path: string, auth: string) => {
  const r = await fhir<BundleLike>(path, { auth });
  expect(r.status, JSON.stringify(r.body).slice(0, 400)).toBe(200);
  return r.body;
};
const matches = (b: BundleLike) =>
  (b.entry ?? []).filter((e) => e.search?.mode === "match").map((e) => `${e.resource.resourceType}/${e.resource.id}`);
const includes = (b: BundleLike) =>
  (b.entry ?? [])
    .filter((e) => e.search?.mode === "include")
    .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
    .sort();

describe("grant and withdraw", () => {
  let s: Tenant;
  let key: string;
  beforeAll(async () => {
    s = await newTenant();
    await population(s);
    key = await keyFor(s, ["system/*.read"], { consentRequired: true });
  });

  it("without consent: 403 for the patient's resources, shared resources readable, searches empty", async () => {
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(403);
    expect(await status(`${s.base}/Patient/p1`, key)).toBe(403);
    expect(await status(`${s.base}/Observation/obs1/_history/1`, key)).toBe(403);
    expect(await status(`${s.base}/Observation/obs1/_history`, key)).toBe(403);
    const denied = await fhir(`${s.base}/Observation/obs1`, { auth: key });
    expect(JSON.stringify(denied.body)).toContain("consent");
    expect(await status(`${s.base}/Practitioner/dr1`, key)).toBe(200);
    expect((await search(`${s.base}/Observation?_count=100`, key)).total).toBe(0);
    expect((await search(`${s.base}/Patient`, key)).total).toBe(0);
    expect(await status(`${s.base}/Patient/p1/$everything`, key)).toBe(403);
    // The organization's own unrestricted key is unaffected.
    expect(await status(`${s.base}/Observation/obs1`, s.key)).toBe(200);
  });

  it("a permitting Consent opens that patient only, on the next request", async () => {
    await put(s, [consent("c1", "p1", s.orgId)]);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(200);
    expect(await status(`${s.base}/Observation/obs1/_history/1`, key)).toBe(200);
    expect(await status(`${s.base}/Patient/p1`, key)).toBe(200);
    expect(await status(`${s.base}/Observation/obs-p2`, key)).toBe(403);
    expect(await status(`${s.base}/Patient/p2`, key)).toBe(403);
    const obs = await search(`${s.base}/Observation?_count=100`, key);
    expect(obs.total).toBe(5);
    expect(keysOf(obs).sort()).toEqual(P1_OBS);
    const everything = await fhir<BundleLike>(`${s.base}/Patient/p1/$everything`, { auth: key });
    expect(everything.status).toBe(200);
    expect(keysOf(everything.body)).toEqual(expect.arrayContaining(["Patient/p1", ...P1_OBS, "Consent/c1"]));
    expect(await status(`${s.base}/Patient/p2/$everything`, key)).toBe(403);
  });

  it("status inactive withdraws", async () => {
    await put(s, [consent("c1", "p1", s.orgId, { status: "inactive" })]);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(403);
    expect((await search(`${s.base}/Observation`, key)).total).toBe(0);
    expect(await status(`${s.base}/Patient/p1/$everything`, key)).toBe(403);
  });

  it("a deny provision withdraws (nested in the permit, or in a second active Consent); deletion too", async () => {
    const orgRef = `Organization/${s.orgId.replaceAll("_", "-")}`;
    await put(s, [
      consent("c1", "p1", s.orgId, {
        nested: [{ type: "deny", actor: [{ role: { text: "recipient" }, reference: { reference: orgRef } }] }],
      }),
    ]);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(403);
    expect((await search(`${s.base}/Observation`, key)).total).toBe(0);

    await put(s, [consent("c1", "p1", s.orgId)]);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(200);
    await put(s, [consent("c1-deny", "p1", s.orgId, { type: "deny" })]);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(403);
    expect((await search(`${s.base}/Observation`, key)).total).toBe(0);
    expect(await status(`${s.base}/Patient/p1/$everything`, key)).toBe(403);

    expect((await fhir(`${s.base}/Consent/c1-deny`, { method: "DELETE", auth: s.key })).status).toBe(204);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(200);
    expect((await fhir(`${s.base}/Consent/c1`, { method: "DELETE", auth: s.key })).status).toBe(204);
    expect(await status(`${s.base}/Observation/obs1`, key)).toBe(403);
  });

  it("applies to OAuth access tokens of a consent-required client too", async () => {
    const client = await createClient(s.orgId, ["system/*.read"], { consentRequired: true });
    const token = await tokenFor(client);
    expect(await status(`${s.base}/Observation/obs1`, token)).toBe(403);
    await put(s, [consent("c-tok", "p1", s.orgId)]);
    expect(await status(`${s.base}/Observation/obs1`, token)).toBe(200);
    expect(await status(`${s.base}/Observation/obs-p2`, token)).toBe(403);
  });
});

describe("search filtering", () => {
  let s: Tenant;
  let key: string;
  beforeAll(async () => {
    s = await newTenant();
    await population(s);
    await put(s, [
      consent("c1", "p1", s.orgId),
      observation("obs-p3", "p3", "8480-6", "2021-01-01T00:00:00Z", { performer: [{ reference: "Practitioner/dr1" }] }),
      { resourceType: "Patient", id: "p3", name: [{ family: "Third" }] },
      consent("c3", "p3", s.orgId),
    ]);
    key = await keyFor(s, ["system/*.read"], { consentRequired: true });
  });

  it("matches, totals and paging leave non-consented patients out", async () => {
    const all = await search(`${s.base}/Observation?code=8480-6&_total=accurate`, key);
    expect(all.total).toBe(2);
    expect(matches(all).sort()).toEqual(["Observation/obs-p3", "Observation/obs1"]);
    expect(await search(`${s.base}/Observation?_summary=count`, key)).toMatchObject({ total: 6 });
    const page = await search(`${s.base}/Observation?_count=4&_total=accurate`, key);
    expect(page.total).toBe(6);
    expect(page.link?.some((l) => l.relation === "next")).toBe(true);
    const patients = await search(`${s.base}/Patient?_sort=_id`, key);
    expect(matches(patients)).toEqual(["Patient/p1", "Patient/p3"]);
    // Reverse chaining cannot bring a non-consented patient back.
    const has = await search(`${s.base}/Patient?_has:Observation:subject:code=8480-6`, key);
    expect(matches(has).sort()).toEqual(["Patient/p1", "Patient/p3"]);
    // Shared resources are not patient data.
    expect(matches(await search(`${s.base}/Practitioner`, key))).toEqual(["Practitioner/dr1"]);
  });

  it("system search filters every type", async () => {
    const b = await search(`${s.base}?_type=Patient,Observation,Practitioner&_count=100`, key);
    const keys = matches(b);
    expect(keys).toEqual(
      expect.arrayContaining(["Patient/p1", "Patient/p3", "Observation/obs-p3", "Practitioner/dr1"]),
    );
    expect(keys).not.toContain("Patient/p2");
    expect(keys).not.toContain("Observation/obs-p2");
    expect(b.total).toBe(keys.length);
  });

  it("_include and _revinclude never bring in a non-consented patient's data", async () => {
    const rev = await search(`${s.base}/Practitioner?_revinclude=Observation:performer`, key);
    expect(includes(rev)).toEqual(["Observation/obs-p3", "Observation/obs1"]);
    const unrestricted = await search(`${s.base}/Practitioner?_revinclude=Observation:performer`, s.key);
    expect(includes(unrestricted)).toContain("Observation/obs-p2");

    const pats = await search(`${s.base}/Patient?_revinclude=Observation:subject`, key);
    expect(matches(pats).sort()).toEqual(["Patient/p1", "Patient/p3"]);
    expect(includes(pats)).not.toContain("Observation/obs-p2");
    expect(includes(pats)).toContain("Observation/obs1");

    // An Observation of a consented patient that also names a non-consented one is left out.
    await put(s, [
      observation("obs-both", "p1", "1234-5", "2021-01-01T00:00:00Z", { performer: [{ reference: "Patient/p2" }] }),
    ]);
    expect(await status(`${s.base}/Observation/obs-both`, key)).toBe(403);
    expect(matches(await search(`${s.base}/Observation?code=1234-5`, key))).toEqual([]);
    expect(matches(await search(`${s.base}/Observation?code=1234-5`, s.key))).toEqual(["Observation/obs-both"]);

    const inc = await search(`${s.base}/Observation?code=8480-6&_include=Observation:subject`, key);
    expect(includes(inc)).toEqual(["Patient/p1", "Patient/p3"]);
  });
});

describe("cross-tenant", () => {
  it("a Consent in another organization's store grants nothing", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await population(a);
    await population(b);
    const keyA = await keyFor(a, ["system/*.read"], { consentRequired: true });
    // Organization B's store holds a Consent of its own p1 naming organization A: it is B's data.
    await put(b, [consent("c-for-a", "p1", a.orgId)]);
    expect(await status(`${a.base}/Observation/obs1`, keyA)).toBe(403);
    expect((await search(`${a.base}/Observation`, keyA)).total).toBe(0);
    expect(await status(`${a.base}/Patient/p1/$everything`, keyA)).toBe(403);
    // ...and A's credential cannot reach B's store at all.
    expect(await status(`${b.base}/Observation/obs1`, keyA)).toBe(404);
    expect(await status(`${b.base}/Observation`, keyA)).toBe(404);
    // A Consent in A's store naming B grants A nothing either.
    await put(a, [consent("c-for-b", "p1", b.orgId)]);
    expect(await status(`${a.base}/Observation/obs1`, keyA)).toBe(403);
    // A's own permitting Consent does.
    await put(a, [consent("c-for-a", "p1", a.orgId)]);
    expect(await status(`${a.base}/Observation/obs1`, keyA)).toBe(200);
  });
});

describe("patient-context includes", () => {
  it("included resources stay inside the credential's patient compartment", async () => {
    const s = await newTenant();
    await population(s);
    // p2's observation recorded during p1's encounter.
    await put(s, [
      observation("obs-p2-enc1", "p2", "8867-4", "2020-11-26T15:40:00Z", {
        encounter: { reference: "Encounter/enc1" },
      }),
    ]);
    const key = await keyFor(s, ["patient/*.rs"], { patientId: "p1" });
    const b = await search(`${s.base}/Encounter?_revinclude=Observation:encounter`, key);
    expect(matches(b).sort()).toEqual(["Encounter/enc1", "Encounter/enc2"]);
    expect(includes(b)).toEqual(["Observation/obs1"]);
    const all = await search(`${s.base}/Encounter?_revinclude=Observation:encounter`, s.key);
    expect(includes(all)).toEqual(["Observation/obs-p2-enc1", "Observation/obs1"]);
    // Shared resources are outside the compartment, as for direct reads.
    const inc = await search(`${s.base}/Observation?_id=obs1&_include=Observation:performer`, key);
    expect(matches(inc)).toEqual(["Observation/obs1"]);
    expect(includes(inc)).toEqual([]);
    expect(await status(`${s.base}/Practitioner/dr1`, key)).toBe(403);
  });
});
