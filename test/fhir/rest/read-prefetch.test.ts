import { describe, expect, it } from "vitest";
import { admin, call, createClient, createKey, createOrg, tokenFor } from "../../harness";
import { fhir, newStore, patient } from "./fhir-helpers";

/**
 * A read starts its resource query before the credential check (read-prefetch.ts). These prove the
 * prefetched row is used only once the caller is authenticated, owns the store and holds the scope.
 */
describe("read: the row fetched before authentication is only used once access is granted", () => {
  it("gives nothing to a missing or wrong credential, another organization or a missing scope", async () => {
    const s = await newStore();
    const created = await fhir<{ id: string }>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient("Prefetch"),
    });
    expect(created.status).toBe(201);
    const path = `${s.base}/Patient/${created.body.id}`;

    const anonymous = await call(path);
    expect(anonymous.status).toBe(401);
    const wrong = await call(path, { auth: "hk_not-a-real-key" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("Prefetch");

    const other = await createOrg();
    const cross = await call(path, { auth: other.key });
    expect(cross.status).toBe(404);
    expect(await cross.text()).not.toContain("Prefetch");

    const observationsOnly = await createKey(s.orgId, ["system/Observation.rs"]);
    const noScope = await call(path, { auth: observationsOnly });
    expect(noScope.status).toBe(403);
    expect(await noScope.text()).not.toContain("Prefetch");

    const ok = await call(path, { auth: s.key });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Prefetch");
    // The same id in another store of the same organization is another resource.
    const s2 = await newStore("second");
    expect((await call(`${s2.base}/Patient/${created.body.id}`, { auth: s2.key })).status).toBe(404);
  });

  it("works with an access token, and a revoked client's token gets nothing", async () => {
    const s = await newStore();
    const created = await fhir<{ id: string }>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient("Tokened"),
    });
    const client = await createClient(s.orgId, ["fhir:read"]);
    const token = await tokenFor(client);
    const ok = await call(`${s.base}/Patient/${created.body.id}`, { auth: token });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Tokened");
    const revoke = await admin(`/admin/organizations/${s.orgId}/oauth-clients/${client.client_id}`, {
      method: "DELETE",
    });
    expect(revoke.status).toBe(200);
    const refused = await call(`${s.base}/Patient/${created.body.id}`, { auth: token });
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain("Tokened");
  });

  it("410 and 404 as before, and through the HealthLake-style base too", async () => {
    const s = await newStore();
    const created = await fhir<{ id: string }>(`${s.base}/Patient`, { method: "POST", auth: s.key, json: patient() });
    expect((await call(`/datastore/${s.storeId}/r4/Patient/${created.body.id}`, { auth: s.key })).status).toBe(200);
    expect((await call(`${s.base}/Patient/${created.body.id}`, { method: "DELETE", auth: s.key })).status).toBe(204);
    expect((await call(`${s.base}/Patient/${created.body.id}`, { auth: s.key })).status).toBe(410);
    expect((await call(`${s.base}/Patient/no-such-id`, { auth: s.key })).status).toBe(404);
    expect((await call(`${s.base}/NotAType/x`, { auth: s.key })).status).toBe(404);
  });
});
