import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, callJson, createKey, createOrg } from "../harness";

describe("admin bootstrap", () => {
  it("creates an organization with a first all-scopes key shown once", async () => {
    const { status, body } = await admin("/admin/organizations", { method: "POST", json: { name: "Acme Health" } });
    expect(status).toBe(201);
    const data = body.data as {
      id: string;
      name: string;
      apiKey: { id: string; key: string; prefix: string; scopes: string[] };
    };
    expect(body).toMatchObject({ success: true, message: "Organization created" });
    expect(data.id).toMatch(/^org_/);
    expect(data.name).toBe("Acme Health");
    expect(data.apiKey.key.startsWith(data.apiKey.prefix)).toBe(true);
    expect(data.apiKey.scopes).toEqual(
      expect.arrayContaining(["fhir:read", "fhir:write", "terminology:read", "admin"]),
    );
    // Only the hash is stored.
    const row = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?")
      .bind(data.apiKey.id)
      .first<{ key_hash: string }>();
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.key_hash).not.toContain(data.apiKey.key);
  });

  it("rejects a missing or wrong admin token with 401", async () => {
    expect((await callJson("/admin/organizations", { method: "POST", json: { name: "x" } })).status).toBe(401);
    const wrong = await callJson("/admin/organizations", {
      method: "POST",
      json: { name: "x" },
      auth: "not-the-token-0000000",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ success: false, error: { code: "invalid_admin_token" } });
  });

  it("an organization's API key is not an admin token", async () => {
    const org = await createOrg();
    const res = await callJson("/admin/organizations", { method: "POST", json: { name: "x" }, auth: org.key });
    expect(res.status).toBe(401);
  });
});

describe("API keys", () => {
  it("create, use (X-API-KEY and Bearer), list by prefix, revoke at once", async () => {
    const org = await createOrg();
    const key = await createKey(org.orgId, ["terminology:read", "system/Patient.rs"]);
    const viaHeader = await callJson<{ data: { orgId: string; scopes: string[] } }>("/auth/me", {
      headers: { "X-API-KEY": key },
    });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.data.orgId).toBe(org.orgId);
    expect(viaHeader.body.data.scopes).toEqual(["terminology:read", "system/Patient.rs"]);
    expect((await callJson("/auth/me", { auth: key })).status).toBe(200);

    const list = await admin(`/admin/organizations/${org.orgId}/api-keys`);
    expect(list.status).toBe(200);
    const keys = list.body.data as { id: string; prefix: string; key?: string }[];
    expect(keys).toHaveLength(2);
    expect(JSON.stringify(keys)).not.toContain(key);
    const created = keys.find((k) => key.startsWith(k.prefix))!;

    const revoked = await admin(`/admin/organizations/${org.orgId}/api-keys/${created.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect((await callJson("/auth/me", { auth: key })).status).toBe(401);
    // Revoking twice: the key is no longer active.
    expect((await admin(`/admin/organizations/${org.orgId}/api-keys/${created.id}`, { method: "DELETE" })).status).toBe(
      404,
    );
  });

  it("expired keys fail at once", async () => {
    const org = await createOrg();
    const key = await createKey(org.orgId, ["terminology:read"], {
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect((await callJson("/auth/me", { auth: key })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE org_id = ? AND name = 'test'")
      .bind(new Date(Date.now() - 1000).toISOString(), org.orgId)
      .run();
    const res = await callJson("/auth/me", { auth: key });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, error: { code: "unauthorized" } });
  });

  it("rejects unknown scopes, past expiry and unknown organizations", async () => {
    const org = await createOrg();
    const bad = await admin(`/admin/organizations/${org.orgId}/api-keys`, {
      method: "POST",
      json: { name: "k", scopes: ["fhir:read", "bogus"] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "invalid_scope", details: { invalid: ["bogus"] } } });
    const past = await admin(`/admin/organizations/${org.orgId}/api-keys`, {
      method: "POST",
      json: { name: "k", scopes: ["fhir:read"], expiresAt: "2001-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(400);
    const none = await admin("/admin/organizations/org_doesnotexist/api-keys", {
      method: "POST",
      json: { name: "k", scopes: ["fhir:read"] },
    });
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ error: { code: "organization_not_found" } });
  });

  it("missing or unknown credentials: 401", async () => {
    expect((await callJson("/auth/me")).status).toBe(401);
    expect((await callJson("/auth/me", { auth: "hk_unknownkeyvalue" })).status).toBe(401);
    expect((await callJson("/auth/me", { headers: { Authorization: "Basic abc" } })).status).toBe(401);
  });
});

describe("tenant isolation on the admin API", () => {
  it("one organization's key id cannot be listed or revoked through another organization", async () => {
    const a = await createOrg();
    const b = await createOrg();
    const listA = await admin(`/admin/organizations/${a.orgId}/api-keys`);
    const keyA = (listA.body.data as { id: string }[])[0]!.id;
    const viaB = await admin(`/admin/organizations/${b.orgId}/api-keys/${keyA}`, { method: "DELETE" });
    expect(viaB.status).toBe(404);
    expect((await callJson("/auth/me", { auth: a.key })).status).toBe(200);
    const listB = await admin(`/admin/organizations/${b.orgId}/api-keys`);
    expect((listB.body.data as { id: string }[]).map((k) => k.id)).not.toContain(keyA);
  });

  it("one organization's OAuth client cannot be revoked through another organization", async () => {
    const a = await createOrg();
    const b = await createOrg();
    const created = await admin(`/admin/organizations/${a.orgId}/oauth-clients`, {
      method: "POST",
      json: { name: "c", scopes: ["fhir:read"] },
    });
    const clientId = (created.body.data as { client_id: string }).client_id;
    expect(
      (await admin(`/admin/organizations/${b.orgId}/oauth-clients/${clientId}`, { method: "DELETE" })).status,
    ).toBe(404);
    const listB = await admin(`/admin/organizations/${b.orgId}/oauth-clients`);
    expect(listB.body.data).toEqual([]);
    const listA = await admin(`/admin/organizations/${a.orgId}/oauth-clients`);
    expect((listA.body.data as { client_id: string; client_secret?: string }[])[0]).toMatchObject({
      client_id: clientId,
    });
    expect(JSON.stringify(listA.body.data)).not.toContain("client_secret");
  });
});

describe("OAuth clients", () => {
  it("creates a client whose secret is shown once and revokes it", async () => {
    const org = await createOrg();
    const created = await admin(`/admin/organizations/${org.orgId}/oauth-clients`, {
      method: "POST",
      json: { name: "etl", scopes: ["fhir:read", "system/Observation.rs"] },
    });
    expect(created.status).toBe(201);
    const c = created.body.data as { client_id: string; client_secret: string };
    expect(c.client_secret).toMatch(/^hcs_/);
    const revoke = await admin(`/admin/organizations/${org.orgId}/oauth-clients/${c.client_id}`, { method: "DELETE" });
    expect(revoke.status).toBe(200);
    const token = await call("/v2/auth/token", { method: "POST", json: { grant_type: "client_credentials", ...c } });
    expect(token.status).toBe(401);
  });
});
