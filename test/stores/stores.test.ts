import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fhir, patient } from "../fhir/rest/fhir-helpers";
import { BASE, callJson, createKey, createOrg } from "../harness";

type Envelope<T = Record<string, unknown>> = {
  success: boolean;
  message: string;
  data: T;
  error?: { code: string; details: unknown };
};

const SEED_FIELDS = [
  "apiKey",
  "createdAt",
  "description",
  "endpoint",
  "fhirVersion",
  "id",
  "infrastructure",
  "name",
  "region",
  "status",
  "teamId",
  "updatedAt",
];

const createBody = { name: "my-fhir-server", region: "global", fhirVersion: "R4", type: "serverless" };

async function create(key: string, body: Record<string, unknown> = createBody) {
  return callJson<Envelope>("/api/fhirserver/create", { method: "POST", auth: key, json: body });
}

async function count(table: string, storeId: string): Promise<number> {
  const r = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE store_id = ?1`)
    .bind(storeId)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

describe("POST /api/fhirserver/create", () => {
  it("creates a store with seed 000's exact response shape and a store key shown once", async () => {
    const org = await createOrg();
    const res = await create(org.key, { ...createBody, description: "demo" });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.message).toBe("FHIR server created successfully");
    const d = res.body.data;
    expect(Object.keys(d).sort()).toEqual(SEED_FIELDS);
    expect(d).toMatchObject({
      name: "my-fhir-server",
      description: "demo",
      region: "global",
      fhirVersion: "R4",
      status: "running",
      infrastructure: "serverless",
      teamId: org.orgId,
      endpoint: `${BASE}/fhir/${d.id}`,
    });
    expect(d.apiKey).toMatch(/^fhir_key_[A-Za-z0-9_-]{20,}$/);
    expect(d.createdAt).toBe(d.updatedAt);
    // The store key opens the store's FHIR API.
    const p = await fhir(`/fhir/${d.id}/Patient`, { method: "POST", auth: d.apiKey as string, json: patient() });
    expect(p.status).toBe(201);
  });

  it("defaults region and fhirVersion, description null", async () => {
    const org = await createOrg();
    const res = await create(org.key, { name: "minimal" });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ region: "global", fhirVersion: "R4", description: null });
  });

  it("rejects an unsupported FHIR version, region or infrastructure with seed 000's codes", async () => {
    const org = await createOrg();
    const v = await create(org.key, { ...createBody, fhirVersion: "R5" });
    expect(v.status).toBe(400);
    expect(v.body).toMatchObject({ success: false, data: null, error: { code: "invalid_fhir_version" } });
    const r = await create(org.key, { ...createBody, region: "us-east-1" });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe("region_not_available");
    const t = await create(org.key, { ...createBody, type: "dedicated" });
    expect(t.status).toBe(400);
    expect(t.body.error?.code).toBe("infrastructure_not_available");
    const n = await create(org.key, { region: "global" });
    expect(n.status).toBe(400);
    expect(n.body.error?.code).toBe("invalid_request");
    const s = await create(org.key, { ...createBody, settings: { uniqueIdentifiers: ["Nope"] } });
    expect(s.status).toBe(400);
    expect(s.body.error?.code).toBe("invalid_settings");
  });

  it("needs a credential with stores:write (401, 403 insufficient_permissions, 415)", async () => {
    const org = await createOrg();
    const none = await callJson<Envelope>("/api/fhirserver/create", { method: "POST", json: createBody });
    expect(none.status).toBe(401);
    const readOnly = await createKey(org.orgId, ["stores:read"]);
    const ro = await create(readOnly);
    expect(ro.status).toBe(403);
    expect(ro.body.error?.code).toBe("insufficient_permissions");
    const text = await callJson<Envelope>("/api/fhirserver/create", {
      method: "POST",
      auth: org.key,
      body: "name=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(text.status).toBe(415);
    // A store's own key opens its FHIR API only, never a platform route.
    const store = await create(org.key);
    const byStoreKey = await create(store.body.data.apiKey as string);
    expect(byStoreKey.status).toBe(403);
  });
});

describe("GET /api/fhirserver/list and /{id}", () => {
  it("lists the org's stores with the key prefix only; another org's store is not found", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const a = await create(org.key, { ...createBody, name: "a" });
    const b = await create(org.key, { ...createBody, name: "b" });
    const foreign = await create(other.key, { ...createBody, name: "foreign" });
    const list = await callJson<Envelope<Record<string, unknown>[]>>("/api/fhirserver/list", { auth: org.key });
    expect(list.status).toBe(200);
    expect(list.body.message).toBe("FHIR servers retrieved successfully");
    expect(list.body.data.map((s) => s.name)).toEqual(["a", "b"]);
    for (const s of list.body.data) {
      expect(Object.keys(s).sort()).toEqual(SEED_FIELDS);
      expect(s.apiKey).toMatch(/^fhir_key_.{8}\.\.\.$/);
    }
    expect((a.body.data.apiKey as string).startsWith((list.body.data[0]!.apiKey as string).slice(0, -3))).toBe(true);

    const got = await callJson<Envelope>(`/api/fhirserver/${b.body.data.id}`, { auth: org.key });
    expect(got.status).toBe(200);
    expect(got.body.message).toBe("FHIR server retrieved successfully");
    expect(got.body.data).toMatchObject({ id: b.body.data.id, name: "b", teamId: org.orgId });

    const cross = await callJson<Envelope>(`/api/fhirserver/${foreign.body.data.id}`, { auth: org.key });
    expect(cross.status).toBe(404);
    expect(cross.body).toEqual({
      success: false,
      message: "FHIR server not found",
      data: null,
      error: { code: "fhir_server_not_found", details: `FHIR server with ID '${foreign.body.data.id}' not found` },
    });
    const unknown = await callJson<Envelope>("/api/fhirserver/fhs_doesnotexist", { auth: org.key });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("fhir_server_not_found");
    const noScope = await createKey(org.orgId, ["fhir:read"]);
    expect((await callJson("/api/fhirserver/list", { auth: noScope })).status).toBe(403);
  });
});

describe("store keys", () => {
  it("open their own store only: another store of the org or another org's store is not found", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const a = (await create(org.key)).body.data;
    const b = (await create(org.key)).body.data;
    const c = (await create(other.key)).body.data;
    const key = a.apiKey as string;
    expect((await fhir(`/fhir/${a.id}/Patient`, { method: "POST", auth: key, json: patient() })).status).toBe(201);
    for (const id of [b.id, c.id]) {
      const r = await fhir(`/fhir/${id}/Patient`, { method: "POST", auth: key, json: patient() });
      expect(r.status).toBe(404);
      expect(r.res.headers.get("Content-Type")).toContain("application/fhir+json");
      expect((r.body.issue as { code: string }[])[0]!.code).toBe("not-found");
    }
    // Another org's key cannot open this store either.
    expect((await fhir(`/fhir/${a.id}/Patient`, { auth: other.key })).status).toBe(404);
    // The /FHIR/R4 alias opens the store key's own store.
    const viaAlias = await fhir("/FHIR/R4/Patient", { method: "POST", auth: key, json: patient("Alias") });
    expect(viaAlias.status).toBe(201);
    expect(viaAlias.res.headers.get("Location")).toContain(`${BASE}/FHIR/R4/Patient/`);
    const read = await fhir(`/fhir/${a.id}/Patient/${viaAlias.body.id}`, { auth: org.key });
    expect(read.status).toBe(200);
  });
});

describe("DELETE /api/fhirserver/{id}", () => {
  it("deletes the store with its resources, history, index rows and key", async () => {
    const org = await createOrg();
    const s = (await create(org.key)).body.data;
    const id = s.id as string;
    for (let i = 0; i < 3; i++) {
      expect(
        (await fhir(`/fhir/${id}/Patient`, { method: "POST", auth: org.key, json: patient(`F${i}`) })).status,
      ).toBe(201);
    }
    expect(await count("fhir_resources", id)).toBe(3);
    const del = await callJson<Envelope>(`/api/fhirserver/${id}`, { method: "DELETE", auth: org.key });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ success: true, message: "FHIR server deleted successfully", data: null });
    expect(await count("fhir_resources", id)).toBe(0);
    expect(await count("fhir_history", id)).toBe(0);
    const idx = await env.DB.prepare("SELECT count(*) AS n FROM fhir_search_scope WHERE store_id = ?1")
      .bind(id)
      .first<{ n: number }>();
    expect(idx?.n).toBe(0);
    expect((await callJson(`/api/fhirserver/${id}`, { auth: org.key })).status).toBe(404);
    expect((await fhir(`/fhir/${id}/Patient`, { method: "POST", auth: org.key, json: patient() })).status).toBe(404);
    // The store key is gone with it.
    expect((await fhir(`/fhir/${id}/Patient`, { auth: s.apiKey as string })).status).toBe(401);
    expect((await callJson(`/api/fhirserver/${id}`, { method: "DELETE", auth: org.key })).status).toBe(404);
  });

  it("cannot delete another org's store", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const s = (await create(other.key)).body.data;
    const del = await callJson<Envelope>(`/api/fhirserver/${s.id}`, { method: "DELETE", auth: org.key });
    expect(del.status).toBe(404);
    expect((await callJson(`/api/fhirserver/${s.id}`, { auth: other.key })).status).toBe(200);
  });
});

describe("default store", () => {
  it("the org's first store is its default (/FHIR/R4); without one, /FHIR/R4 creates it on first use", async () => {
    const org = await createOrg();
    const first = (await create(org.key, { ...createBody, name: "first" })).body.data;
    await create(org.key, { ...createBody, name: "second" });
    const p = await fhir("/FHIR/R4/Patient", { method: "POST", auth: org.key, json: patient() });
    expect(p.status).toBe(201);
    expect((await fhir(`/fhir/${first.id}/Patient/${p.body.id}`, { auth: org.key })).status).toBe(200);

    const fresh = await createOrg();
    const q = await fhir("/FHIR/R4/Patient", { method: "POST", auth: fresh.key, json: patient() });
    expect(q.status).toBe(201);
    const list = await callJson<Envelope<{ id: string; name: string; apiKey: string | null }[]>>(
      "/api/fhirserver/list",
      { auth: fresh.key },
    );
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ name: "default", apiKey: null });
    expect((await fhir(`/fhir/${list.body.data[0]!.id}/Patient/${q.body.id}`, { auth: fresh.key })).status).toBe(200);
  });
});

describe("settings: identifier uniqueness (seed 002 422 duplicate)", () => {
  it("rejects a second resource with the same identifier, on create, update and in transactions", async () => {
    const org = await createOrg();
    const s = (await create(org.key, { ...createBody, settings: { uniqueIdentifiers: ["Patient"] } })).body.data;
    const base = `/fhir/${s.id}`;
    const ident = { identifier: [{ system: "http://hospital.org/mrn", value: "123" }] };
    const a = await fhir(`${base}/Patient`, { method: "POST", auth: org.key, json: patient("A", ident) });
    expect(a.status).toBe(201);
    const dup = await fhir(`${base}/Patient`, { method: "POST", auth: org.key, json: patient("B", ident) });
    expect(dup.status).toBe(422);
    expect((dup.body.issue as { code: string }[])[0]!.code).toBe("duplicate");
    // Updating the owner itself keeps its identifier: fine.
    const same = await fhir(`${base}/Patient/${a.body.id}`, {
      method: "PUT",
      auth: org.key,
      json: { ...patient("A2", ident), id: a.body.id },
    });
    expect(same.status).toBe(200);
    // Another type is not ruled.
    const obs = { resourceType: "Observation", status: "final", code: { text: "x" }, ...ident };
    expect((await fhir(`${base}/Observation`, { method: "POST", auth: org.key, json: obs })).status).toBe(201);
    // Two new patients sharing an identifier inside one transaction.
    const tx = await fhir(base, {
      method: "POST",
      auth: org.key,
      json: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [1, 2].map(() => ({
          resource: patient("T", { identifier: [{ system: "s", value: "v" }] }),
          request: { method: "POST", url: "Patient" },
        })),
      },
    });
    expect(tx.status).toBe(422);
    // Deleting the owner frees the identifier.
    expect((await fhir(`${base}/Patient/${a.body.id}`, { method: "DELETE", auth: org.key })).status).toBe(204);
    expect((await fhir(`${base}/Patient`, { method: "POST", auth: org.key, json: patient("C", ident) })).status).toBe(
      201,
    );
  });

  it("turning a rule on checks existing data (409) and can be read back", async () => {
    const org = await createOrg();
    const s = (await create(org.key)).body.data;
    const base = `/fhir/${s.id}`;
    const ident = { identifier: [{ system: "sys", value: "1" }] };
    await fhir(`${base}/Patient`, { method: "POST", auth: org.key, json: patient("A", ident) });
    await fhir(`${base}/Patient`, { method: "POST", auth: org.key, json: patient("B", ident) });
    const put = (body: unknown) =>
      callJson<Envelope>(`/api/fhirserver/${s.id}/settings`, { method: "PUT", auth: org.key, json: body });
    const conflict = await put({ uniqueIdentifiers: ["Patient"] });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error?.code).toBe("uniqueness_violated");
    const ok = await put({ uniqueIdentifiers: ["Observation"] });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ uniqueIdentifiers: ["Observation"] });
    const got = await callJson<Envelope>(`/api/fhirserver/${s.id}/settings`, { auth: org.key });
    expect(got.body.data).toEqual({ uniqueIdentifiers: ["Observation"] });
    const other = await createOrg();
    expect((await callJson(`/api/fhirserver/${s.id}/settings`, { auth: other.key })).status).toBe(404);
  });
});

describe("OpenAPI", () => {
  it("documents the stores, FHIR (three bases) and ingestion routes", async () => {
    const doc = await callJson<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json");
    expect(doc.status).toBe(200);
    const paths = doc.body.paths;
    for (const p of [
      "/api/fhirserver/create",
      "/api/fhirserver/list",
      "/api/fhirserver/{serverId}",
      "/api/fhirserver/{serverId}/settings",
    ]) {
      expect(paths[p], p).toBeDefined();
    }
    for (const base of ["/fhir/{storeId}", "/datastore/{storeId}/r4", "/FHIR/R4"]) {
      expect(Object.keys(paths[`${base}/{type}/{id}`] ?? {}).sort()).toEqual(["delete", "get", "patch", "put"]);
      expect(Object.keys(paths[`${base}/{type}`] ?? {}).sort()).toEqual(["delete", "get", "patch", "post", "put"]);
      for (const sub of [
        "",
        "/metadata",
        "/_history",
        "/_search",
        "/{type}/_history",
        "/{type}/_search",
        "/{type}/$validate",
        "/{type}/{id}/_history",
        "/{type}/{id}/_history/{vid}",
        "/{type}/{id}/$validate",
      ]) {
        expect(paths[`${base}${sub}`], `${base}${sub}`).toBeDefined();
      }
    }
    expect(paths["/api/g/{groupId}/ingestion/fhir/v4"]?.post).toBeDefined();
    expect(paths["/api/g/{groupId}/ingestion/transactions/{transactionId}"]?.get).toBeDefined();
  });
});
