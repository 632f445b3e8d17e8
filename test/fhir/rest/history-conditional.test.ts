import { beforeAll, describe, expect, it } from "vitest";
import { BASE, call } from "../../harness";
import { fhir, newStore, patient, type TestStore } from "./fhir-helpers";

type Bundle = {
  type: string;
  total?: number;
  link: { relation: string; url: string }[];
  entry?: {
    fullUrl: string;
    resource?: { id: string; meta: { versionId: string }; name?: { family: string }[] };
    request: { method: string; url: string };
    response: { status: string; etag: string };
  }[];
};
type Res = { id: string; meta: { versionId: string; lastUpdated: string } };

let s: TestStore;
beforeAll(async () => {
  s = await newStore();
});

const h = (path: string) => fhir<Bundle>(`${s.base}/${path}`, { auth: s.key });
const create = (body: unknown, headers: Record<string, string> = {}) =>
  fhir<Res>(`${s.base}/${(body as { resourceType: string }).resourceType}`, {
    method: "POST",
    auth: s.key,
    json: body,
    headers,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("history", () => {
  it("instance history: newest first, with request/response per version, deletions without resource", async () => {
    const c = await create(patient("H1"));
    await fhir(`${s.base}/Patient/${c.body.id}`, {
      method: "PUT",
      auth: s.key,
      json: { ...patient("H2"), id: c.body.id },
    });
    await call(`${s.base}/Patient/${c.body.id}`, { method: "DELETE", auth: s.key });
    const r = await h(`Patient/${c.body.id}/_history`);
    expect(r.status).toBe(200);
    expect(r.body.type).toBe("history");
    expect(r.body.total).toBe(3);
    const e = r.body.entry!;
    expect(e.map((x) => x.request.method)).toEqual(["DELETE", "PUT", "POST"]);
    expect(e.map((x) => x.response.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
    expect(e[0]!.resource).toBeUndefined();
    expect(e[1]!.resource!.name![0]!.family).toBe("H2");
    expect(e[2]!.request.url).toBe("Patient");
    expect(e[1]!.request.url).toBe(`Patient/${c.body.id}`);
    expect(e[2]!.fullUrl).toBe(`${BASE}${s.base}/Patient/${c.body.id}`);
    expect((await h("Patient/never/_history")).status).toBe(404);
  });

  it("type and system history with _count paging, _since and _at", async () => {
    const other = await newStore();
    const hh = (path: string) => fhir<Bundle>(`${other.base}/${path}`, { auth: other.key });
    const made: Res[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        (await fhir<Res>(`${other.base}/Patient`, { method: "POST", auth: other.key, json: patient(`T${i}`) })).body,
      );
      await sleep(3);
    }
    await fhir(`${other.base}/Observation`, {
      method: "POST",
      auth: other.key,
      json: { resourceType: "Observation", status: "final", code: { text: "x" } },
    });
    const type = await hh("Patient/_history?_count=2");
    expect(type.body.total).toBe(5);
    expect(type.body.entry).toHaveLength(2);
    expect(type.body.entry![0]!.resource!.id).toBe(made[4]!.id);
    const next = type.body.link.find((l) => l.relation === "next")!.url;
    expect(next).toContain("_offset=2");
    const page2 = await fhir<Bundle>(next.replace(BASE, ""), { auth: other.key });
    expect(page2.body.entry!.map((x) => x.resource!.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(page2.body.link.some((l) => l.relation === "previous")).toBe(true);
    const system = await hh("_history");
    expect(system.body.total).toBe(6);
    const since = await hh(`Patient/_history?_since=${encodeURIComponent(made[3]!.meta.lastUpdated)}`);
    expect(since.body.entry!.map((x) => x.resource!.id).sort()).toEqual([made[3]!.id, made[4]!.id].sort());
    // _at: the versions current at a point in time.
    await fhir(`${other.base}/Patient/${made[0]!.id}`, {
      method: "PUT",
      auth: other.key,
      json: { ...patient("T0b"), id: made[0]!.id },
    });
    const at = await hh(`Patient/${made[0]!.id}/_history?_at=${encodeURIComponent(made[1]!.meta.lastUpdated)}`);
    expect(at.body.entry!.map((x) => x.resource!.meta.versionId)).toEqual(["1"]);
    expect((await hh("Patient/_history?_since=yesterday")).status).toBe(400);
    expect((await hh("Patient/_history?_count=-1")).status).toBe(400);
    const strict = await fhir(`${other.base}/Patient/_history?bogus=1`, {
      auth: other.key,
      headers: { Prefer: "handling=strict" },
    });
    expect(strict.status).toBe(400);
  });
});

describe("conditional interactions", () => {
  const ident = (v: string) => ({ identifier: [{ system: "urn:cond", value: v }] });

  it("conditional create: none → 201, one → 200 with the existing resource, several → 412", async () => {
    const first = await create(patient("C", ident("c1")), { "If-None-Exist": "identifier=urn:cond|c1" });
    expect(first.status).toBe(201);
    const second = await create(patient("C", ident("c1")), { "If-None-Exist": "identifier=urn:cond|c1" });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    await create(patient("C", ident("c1")));
    const third = await create(patient("C", ident("c1")), { "If-None-Exist": "identifier=urn:cond|c1" });
    expect(third.status).toBe(412);
    expect((await create(patient(), { "If-None-Exist": "" })).status).toBe(400);
  });

  it("conditional update: none → create, one → update, several → 412, body id mismatch → 400", async () => {
    const put = (q: string, body: unknown) =>
      fhir<Res>(`${s.base}/Patient?${q}`, { method: "PUT", auth: s.key, json: body });
    const created = await put("identifier=urn:cond|u1", patient("U", ident("u1")));
    expect(created.status).toBe(201);
    const updated = await put("identifier=urn:cond|u1", patient("U2", ident("u1")));
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe("2");
    expect((await put("identifier=urn:cond|u1", { ...patient("U3", ident("u1")), id: "other" })).status).toBe(400);
    await create(patient("U", ident("u1")));
    expect((await put("identifier=urn:cond|u1", patient("U4", ident("u1")))).status).toBe(412);
    expect((await fhir(`${s.base}/Patient`, { method: "PUT", auth: s.key, json: patient() })).status).toBe(400);
  });

  it("conditional delete (single) and conditional patch", async () => {
    const a = await create(patient("D", ident("d1")));
    const del = await call(`${s.base}/Patient?identifier=urn:cond|d1`, { method: "DELETE", auth: s.key });
    expect(del.status).toBe(204);
    expect((await fhir(`${s.base}/Patient/${a.body.id}`, { auth: s.key })).status).toBe(410);
    expect((await call(`${s.base}/Patient?identifier=urn:cond|d1`, { method: "DELETE", auth: s.key })).status).toBe(
      204,
    );
    await create(patient("D", ident("d2")));
    await create(patient("D", ident("d2")));
    expect((await call(`${s.base}/Patient?identifier=urn:cond|d2`, { method: "DELETE", auth: s.key })).status).toBe(
      412,
    );

    const p = await create(patient("P", ident("p1")));
    const patched = await fhir<Res & { gender: string }>(`${s.base}/Patient?identifier=urn:cond|p1`, {
      method: "PATCH",
      auth: s.key,
      body: JSON.stringify([{ op: "replace", path: "/gender", value: "unknown" }]),
      headers: { "Content-Type": "application/json-patch+json" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: p.body.id, gender: "unknown" });
    const none = await fhir(`${s.base}/Patient?identifier=urn:cond|nothing`, {
      method: "PATCH",
      auth: s.key,
      body: "[]",
      headers: { "Content-Type": "application/json-patch+json" },
    });
    expect(none.status).toBe(404);
  });
});

describe("search routes", () => {
  it("GET [type]?…, POST [type]/_search (form), system search with _type", async () => {
    await create(patient("Searchable"));
    const g = await fhir<Bundle>(`${s.base}/Patient?family=Searchable`, { auth: s.key });
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ type: "searchset", total: 1 });
    const p = await fhir<Bundle>(`${s.base}/Patient/_search`, {
      method: "POST",
      auth: s.key,
      body: "family=Searchable",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(p.status).toBe(200);
    expect(p.body.total).toBe(1);
    const wrong = await fhir(`${s.base}/Patient/_search`, { method: "POST", auth: s.key, json: { family: "x" } });
    expect(wrong.status).toBe(415);
    const sys = await fhir<Bundle>(`${s.base}?_type=Patient&family=Searchable`, { auth: s.key });
    expect(sys.status).toBe(200);
    expect(sys.body.total).toBe(1);
    const strict = await fhir(`${s.base}/Patient?nonsense=1`, { auth: s.key, headers: { Prefer: "handling=strict" } });
    expect(strict.status).toBe(400);
  });
});
