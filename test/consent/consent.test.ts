import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { assertConsented, consentAllowList, consentPredicate } from "../../src/features/consent/consent-access";
import {
  consentActorReference,
  consentVerdict,
  HEARTH_ORG_SYSTEM,
  hasConsent,
  patientsWithConsent,
} from "../../src/features/consent/consent-decision";
import { finalizeSql, SqlBuilder } from "../../src/features/fhir/search/compile-search";
import { AppError } from "../../src/platform/errors";
import {
  type BundleLike,
  consent,
  fhir,
  keyFor,
  keysOf,
  newTenant,
  population,
  put,
  type Tenant,
} from "../everything/fixtures";

const ORG = "org_Abc123";
const actor = (reference: string) => ({ reference: { reference } });
const base = (provision: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  resourceType: "Consent",
  status: "active",
  patient: { reference: "Patient/p1" },
  provision,
  ...extra,
});

describe("consentVerdict (one Consent resource)", () => {
  it("permits an active permit naming the organization (FHIR-id form, absolute URL, identifier)", () => {
    expect(consentActorReference(ORG)).toBe("Organization/org-Abc123");
    expect(consentVerdict(base({ type: "permit", actor: [actor("Organization/org-Abc123")] }), ORG)).toBe("permit");
    expect(
      consentVerdict(base({ type: "permit", actor: [actor("https://x.example/fhir/Organization/org-Abc123")] }), ORG),
    ).toBe("permit");
    expect(
      consentVerdict(
        base({ type: "permit", actor: [{ reference: { identifier: { system: HEARTH_ORG_SYSTEM, value: ORG } } }] }),
        ORG,
      ),
    ).toBe("permit");
  });

  it("says nothing for another organization, an inactive status or an expired period", () => {
    expect(consentVerdict(base({ type: "permit", actor: [actor("Organization/org-Other")] }), ORG)).toBe("none");
    expect(
      consentVerdict(base({ type: "permit", actor: [actor("Organization/org-Abc123")] }, { status: "inactive" }), ORG),
    ).toBe("none");
    expect(
      consentVerdict(base({ type: "permit", actor: [actor("Organization/org-Abc123")] }, { status: "proposed" }), ORG),
    ).toBe("none");
    expect(
      consentVerdict(
        base({ type: "permit", period: { end: "2001-01-01" }, actor: [actor("Organization/org-Abc123")] }),
        ORG,
      ),
    ).toBe("none");
    expect(consentVerdict({ resourceType: "Patient" }, ORG)).toBe("none");
  });

  it("a deny provision for the organization overrides a permit; nested provisions inherit or override the type", () => {
    expect(
      consentVerdict(
        base({
          type: "permit",
          actor: [actor("Organization/org-Abc123")],
          provision: [{ type: "deny", actor: [actor("Organization/org-Abc123")] }],
        }),
        ORG,
      ),
    ).toBe("deny");
    // Base policy deny, with an exception permitting this organization.
    expect(
      consentVerdict(
        base({ type: "deny", provision: [{ type: "permit", actor: [actor("Organization/org-Abc123")] }] }),
        ORG,
      ),
    ).toBe("permit");
    // A nested provision without a type inherits its parent's.
    expect(
      consentVerdict(base({ type: "permit", provision: [{ actor: [actor("Organization/org-Abc123")] }] }), ORG),
    ).toBe("permit");
    expect(consentVerdict(base({ type: "deny", actor: [actor("Organization/org-Abc123")] }), ORG)).toBe("deny");
  });
});

let t: Tenant;
beforeAll(async () => {
  t = await newTenant();
  await population(t);
});

describe("patientsWithConsent (store)", () => {
  it("evaluates several patients in one call, and changes take effect on the next call", async () => {
    expect(await patientsWithConsent(env.DB, t.storeId, t.orgId, ["p1", "p2", "nobody"])).toEqual(new Set());
    await put(t, [consent("cp1", "p1", t.orgId), consent("cp2-other-org", "p2", "org_SomeoneElse")]);
    expect(await patientsWithConsent(env.DB, t.storeId, t.orgId, ["p1", "p2", "nobody"])).toEqual(new Set(["p1"]));
    expect(await hasConsent(env.DB, t.storeId, "org_SomeoneElse", "p2")).toBe(true);
    // A second active Consent denying the organization withdraws it.
    await put(t, [consent("cp1-deny", "p1", t.orgId, { type: "deny" })]);
    expect(await hasConsent(env.DB, t.storeId, t.orgId, "p1")).toBe(false);
    await put(t, [consent("cp1-deny", "p1", t.orgId, { type: "deny", status: "inactive" })]);
    expect(await hasConsent(env.DB, t.storeId, t.orgId, "p1")).toBe(true);
    // Deleting the Consent withdraws too.
    expect((await fhir(`${t.base}/Consent/cp1`, { method: "DELETE", auth: t.key })).status).toBe(204);
    expect(await hasConsent(env.DB, t.storeId, t.orgId, "p1")).toBe(false);
  });
});

describe("$everything with a consent-required credential", () => {
  it("403 without consent, 200 once granted, 403 again after withdrawal", async () => {
    const s = await newTenant();
    await population(s);
    const key = await keyFor(s, ["system/*.read"], { consentRequired: true });
    const get = (path: string) => fhir<BundleLike>(`${s.base}${path}`, { auth: key });
    const denied = await get("/Patient/p1/$everything");
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toContain("consent");
    expect((await get("/Person/person1/$everything")).status).toBe(403);
    // The same organization's key without the flag is unaffected.
    expect((await fhir(`${s.base}/Patient/p1/$everything`, { auth: s.key })).status).toBe(200);

    await put(s, [consent("c1", "p1", s.orgId)]);
    const granted = await get("/Patient/p1/$everything");
    expect(granted.status).toBe(200);
    expect(keysOf(granted.body)).toEqual(
      expect.arrayContaining(["Patient/p1", "Observation/obs1", "Consent/c1", "Practitioner/dr1"]),
    );
    expect((await get("/Person/person1/$everything")).status).toBe(200);
    expect((await get("/Patient/p2/$everything")).status).toBe(403);

    await put(s, [consent("c1", "p1", s.orgId, { status: "inactive" })]);
    expect((await get("/Patient/p1/$everything")).status).toBe(403);
    await put(s, [
      consent("c1", "p1", s.orgId, {
        nested: [
          {
            type: "deny",
            actor: [
              { role: { text: "recipient" }, reference: { reference: `Organization/${s.orgId.replaceAll("_", "-")}` } },
            ],
          },
        ],
      }),
    ]);
    expect((await get("/Patient/p1/$everything")).status).toBe(403);
  });

  it("leaves out members that also belong to a patient without consent", async () => {
    const s = await newTenant();
    await population(s);
    await put(s, [
      consent("c1", "p1", s.orgId),
      {
        resourceType: "Group",
        id: "both",
        type: "person",
        actual: true,
        member: [{ entity: { reference: "Patient/p1" } }, { entity: { reference: "Patient/p2" } }],
      },
      {
        resourceType: "Group",
        id: "only-p1",
        type: "person",
        actual: true,
        member: [{ entity: { reference: "Patient/p1" } }],
      },
    ]);
    const key = await keyFor(s, ["system/*.read"], { consentRequired: true });
    const r = await fhir<BundleLike>(`${s.base}/Patient/p1/$everything?_type=Group`, { auth: key });
    expect(keysOf(r.body)).toEqual(["Group/only-p1"]);
    const unrestricted = await fhir<BundleLike>(`${s.base}/Patient/p1/$everything?_type=Group`, { auth: s.key });
    expect(keysOf(unrestricted.body).sort()).toEqual(["Group/both", "Group/only-p1"]);
  });
});

describe("integration points for direct reads and searches", () => {
  it("assertConsented: 403 for a non-consented patient's resource, nothing needed for shared resources", async () => {
    const s = await newTenant();
    await put(s, [
      { resourceType: "Patient", id: "a" },
      { resourceType: "Patient", id: "b" },
      consent("ca", "a", s.orgId),
    ]);
    const ctx = (consentRequired: boolean) => ({
      principal: { orgId: s.orgId, consentRequired },
      services: { db: env.DB },
      store: { id: s.storeId },
    });
    const obs = (p: string) => ({
      resourceType: "Observation",
      id: "o",
      status: "final",
      code: { text: "x" },
      subject: { reference: `Patient/${p}` },
    });
    await expect(assertConsented(ctx(true), obs("a"))).resolves.toBeUndefined();
    await expect(assertConsented(ctx(true), { resourceType: "Patient", id: "a" })).resolves.toBeUndefined();
    const err = await assertConsented(ctx(true), obs("b")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(403);
    await expect(assertConsented(ctx(true), { resourceType: "Practitioner", id: "d" })).resolves.toBeUndefined();
    await expect(assertConsented(ctx(false), obs("b"))).resolves.toBeUndefined();
  });

  it("consentPredicate filters a search's rows to consented patients", async () => {
    const s = await newTenant();
    await population(s);
    await put(s, [consent("c2", "p2", s.orgId)]);
    const ctx = {
      principal: { orgId: s.orgId, consentRequired: true },
      services: { db: env.DB },
      store: { id: s.storeId },
    };
    const allow = await consentAllowList(ctx);
    expect(allow).toEqual(["p2"]);
    expect(await consentAllowList({ ...ctx, principal: { ...ctx.principal, consentRequired: false } })).toBeNull();
    const search = async (type: string) => {
      const sql = new SqlBuilder();
      const b = (v: string | number) => sql.bind(v);
      const cond = consentPredicate(b, type, "R", b(JSON.stringify(allow)));
      const q = finalizeSql(
        `SELECT R.id AS id FROM fhir_search_scope sc CROSS JOIN fhir_search_res R ON R.sk = sc.sk
         WHERE sc.store_id = ${b(s.storeId)} AND sc.resource_type = ${b(type)} AND ${cond} ORDER BY R.id`,
        sql.params,
      );
      const res = await env.DB.prepare(q.sql)
        .bind(...q.params)
        .all<{ id: string }>();
      return res.results.map((r) => r.id);
    };
    expect(await search("Patient")).toEqual(["p2"]);
    expect(await search("Observation")).toEqual(["obs-p2"]);
    expect(await search("Practitioner")).toEqual(["dr1"]);
  });
});
