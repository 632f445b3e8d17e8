import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, call } from "../../harness";
import { fhir, newStore, patient, type TestStore } from "./fhir-helpers";

type Resource = Record<string, unknown> & { id: string; meta: { versionId: string; lastUpdated: string } };
type Outcome = {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics: string; expression?: string[] }[];
};

let s: TestStore;
beforeAll(async () => {
  s = await newStore();
});

const create = (body: unknown, headers: Record<string, string> = {}) =>
  fhir<Resource>(`${s.base}/Patient`, { method: "POST", auth: s.key, json: body, headers });
const put = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  fhir<Resource>(`${s.base}/Patient/${id}`, { method: "PUT", auth: s.key, json: body, headers });
const read = (path: string, headers: Record<string, string> = {}) =>
  fhir<Resource>(`${s.base}/${path}`, { auth: s.key, headers });

async function historyCount(id: string): Promise<number> {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM fhir_history WHERE store_id = ?1 AND id = ?2")
    .bind(s.storeId, id)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

describe("create", () => {
  it("201 with a server id, Location, ETag, Last-Modified and meta (client id ignored)", async () => {
    const r = await create({ ...patient(), id: "client-chosen" });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(r.body.id).not.toBe("client-chosen");
    expect(r.body.meta.versionId).toBe("1");
    expect(Date.parse(r.body.meta.lastUpdated)).toBeGreaterThan(Date.now() - 60_000);
    expect(r.res.headers.get("ETag")).toBe('W/"1"');
    expect(r.res.headers.get("Location")).toBe(`${BASE}${s.base}/Patient/${r.body.id}/_history/1`);
    expect(new Date(r.res.headers.get("Last-Modified")!).getTime()).toBe(
      Math.floor(Date.parse(r.body.meta.lastUpdated) / 1000) * 1000,
    );
    expect(r.res.headers.get("Content-Type")).toBe("application/fhir+json; charset=utf-8");
    expect(r.body).toMatchObject({ resourceType: "Patient", name: [{ family: "Smith" }], birthDate: "1980-02-03" });
  });

  it("accepts application/json too, and refuses XML (415), junk (400), a type mismatch (400), invalid content (400 with expression)", async () => {
    expect((await create(patient(), { "Content-Type": "application/json" })).status).toBe(201);
    const xml = await fhir<Outcome>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      body: "<Patient/>",
      headers: { "Content-Type": "application/fhir+xml" },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.resourceType).toBe("OperationOutcome");
    const junk = await fhir<Outcome>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      body: "{not json",
      headers: { "Content-Type": "application/fhir+json" },
    });
    expect(junk.status).toBe(400);
    const empty = await fhir<Outcome>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      body: "",
      headers: { "Content-Type": "application/fhir+json" },
    });
    expect(empty.status).toBe(400);
    const mismatch = await create({ resourceType: "Observation", status: "final", code: { text: "x" } });
    expect(mismatch.status).toBe(400);
    const bad = await fhir<Outcome>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient("X", { birthDate: "1980-13-45" }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0]!.expression).toEqual(["Patient.birthDate"]);
    const array = await fhir<Outcome>(`${s.base}/Patient`, { method: "POST", auth: s.key, json: [patient()] });
    expect(array.status).toBe(400);
    const unknownType = await fhir<Outcome>(`${s.base}/Unicorn`, {
      method: "POST",
      auth: s.key,
      json: { resourceType: "Unicorn" },
    });
    expect(unknownType.status).toBe(404);
    const huge = await fhir<Outcome>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient("H", {
        text: {
          status: "generated",
          div: `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(3 * 1024 * 1024)}</div>`,
        },
      }),
    });
    expect(huge.status).toBe(413);
    // 320,000 characters but 960 KB of UTF-8: a valid FHIR string, but too large a row for D1 (1 MB).
    const wide = await create(patient("W", { name: [{ family: "€".repeat(320_000) }] }));
    expect(wide.status).toBe(413);
    const fits = await create(patient("W", { name: [{ family: "€".repeat(250_000) }] }));
    expect(fits.status).toBe(201);
  });

  it("Prefer: return=minimal (no body) and return=OperationOutcome", async () => {
    const min = await call(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      body: JSON.stringify(patient()),
      headers: { "Content-Type": "application/fhir+json", Prefer: "return=minimal" },
    });
    expect(min.status).toBe(201);
    expect(await min.text()).toBe("");
    expect(min.headers.get("Location")).toMatch(/\/Patient\/[A-Za-z0-9]+\/_history\/1$/);
    const oo = await fhir<Outcome>(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      json: patient(),
      headers: { Prefer: "return=OperationOutcome" },
    });
    expect(oo.status).toBe(201);
    expect(oo.body.resourceType).toBe("OperationOutcome");
    expect(oo.body.issue[0]!.severity).toBe("information");
  });
});

describe("read and vread", () => {
  it("reads the current version; unknown → 404; _format and _pretty; XML → 406", async () => {
    const c = await create(patient("Reader"));
    const r = await read(`Patient/${c.body.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(c.body);
    expect(r.res.headers.get("ETag")).toBe('W/"1"');
    const missing = await fhir<Outcome>(`${s.base}/Patient/nope`, { auth: s.key });
    expect(missing.status).toBe(404);
    expect(missing.body.issue[0]!.code).toBe("not-found");
    const pretty = await call(`${s.base}/Patient/${c.body.id}?_pretty=true`, { auth: s.key });
    expect(await pretty.text()).toContain('\n  "resourceType": "Patient"');
    const asJson = await call(`${s.base}/Patient/${c.body.id}?_format=json`, { auth: s.key });
    expect(asJson.status).toBe(200);
    const xml = await call(`${s.base}/Patient/${c.body.id}?_format=xml`, { auth: s.key });
    expect(xml.status).toBe(406);
    const accept = await call(`${s.base}/Patient/${c.body.id}`, {
      auth: s.key,
      headers: { Accept: "application/fhir+xml" },
    });
    expect(accept.status).toBe(406);
    const acceptJson = await call(`${s.base}/Patient/${c.body.id}`, {
      auth: s.key,
      headers: { Accept: "application/json" },
    });
    expect(acceptJson.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  });

  it("_elements and _summary shape a read", async () => {
    const c = await create(
      patient("Shape", { text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }),
    );
    const el = await read(`Patient/${c.body.id}?_elements=gender`);
    expect(el.status).toBe(200);
    expect(el.body.gender).toBe("female");
    expect(el.body.birthDate).toBeUndefined();
    expect((el.body.meta as { tag?: { code: string }[] }).tag?.[0]?.code).toBe("SUBSETTED");
    const data = await read(`Patient/${c.body.id}?_summary=data`);
    expect(data.body.text).toBeUndefined();
    expect(data.body.birthDate).toBe("1980-02-03");
    expect((await read(`Patient/${c.body.id}?_summary=count`)).status).toBe(400);
  });

  it("conditional read: If-None-Match and If-Modified-Since answer 304", async () => {
    const c = await create(patient());
    const etag = await call(`${s.base}/Patient/${c.body.id}`, { auth: s.key, headers: { "If-None-Match": 'W/"1"' } });
    expect(etag.status).toBe(304);
    const other = await call(`${s.base}/Patient/${c.body.id}`, { auth: s.key, headers: { "If-None-Match": 'W/"7"' } });
    expect(other.status).toBe(200);
    const later = new Date(Date.now() + 60_000).toUTCString();
    expect(
      (await call(`${s.base}/Patient/${c.body.id}`, { auth: s.key, headers: { "If-Modified-Since": later } })).status,
    ).toBe(304);
    const earlier = new Date(Date.now() - 3_600_000).toUTCString();
    expect(
      (await call(`${s.base}/Patient/${c.body.id}`, { auth: s.key, headers: { "If-Modified-Since": earlier } })).status,
    ).toBe(200);
  });

  it("vread returns each version; unknown version 404", async () => {
    const c = await create(patient("V1"));
    await put(c.body.id, { ...patient("V2"), id: c.body.id });
    const v1 = await read(`Patient/${c.body.id}/_history/1`);
    const v2 = await read(`Patient/${c.body.id}/_history/2`);
    expect(v1.status).toBe(200);
    expect((v1.body.name as { family: string }[])[0]!.family).toBe("V1");
    expect(v1.res.headers.get("ETag")).toBe('W/"1"');
    expect((v2.body.name as { family: string }[])[0]!.family).toBe("V2");
    expect((await read(`Patient/${c.body.id}/_history/3`)).status).toBe(404);
    expect((await read(`Patient/${c.body.id}/_history/abc`)).status).toBe(404);
  });
});

describe("update", () => {
  it("creates a new version; identical content keeps the version and writes nothing", async () => {
    const c = await create(patient("U"));
    const u = await put(c.body.id, { ...patient("U2"), id: c.body.id });
    expect(u.status).toBe(200);
    expect(u.body.meta.versionId).toBe("2");
    expect(u.res.headers.get("ETag")).toBe('W/"2"');
    expect(await historyCount(c.body.id)).toBe(2);
    // Same content (meta.versionId/lastUpdated differ or are absent): no new version.
    const same = await put(c.body.id, { ...u.body, meta: { versionId: "99", lastUpdated: "2001-01-01T00:00:00Z" } });
    expect(same.status).toBe(200);
    expect(same.body.meta.versionId).toBe("2");
    expect(same.body.meta.lastUpdated).toBe(u.body.meta.lastUpdated);
    const sameNoMeta = await put(c.body.id, { ...patient("U2"), id: c.body.id });
    expect(sameNoMeta.body.meta.versionId).toBe("2");
    expect(await historyCount(c.body.id)).toBe(2);
    // Key order does not matter either.
    const reordered = Object.fromEntries(Object.entries({ ...patient("U2"), id: c.body.id }).reverse());
    expect((await put(c.body.id, reordered)).body.meta.versionId).toBe("2");
  });

  it("update-as-create with a client id (201), and 400 for a missing or different id", async () => {
    const created = await put("my-own-id", { ...patient(), id: "my-own-id" });
    expect(created.status).toBe(201);
    expect(created.res.headers.get("Location")).toBe(`${BASE}${s.base}/Patient/my-own-id/_history/1`);
    expect((await put("my-own-id-2", patient())).status).toBe(400);
    expect((await put("abc", { ...patient(), id: "xyz" })).status).toBe(400);
    expect((await put("bad id!", { ...patient(), id: "bad id!" })).status).toBe(400);
  });

  it("If-Match: a stale version is 412, the current one succeeds, garbage is 400", async () => {
    const c = await create(patient());
    const stale = await put(c.body.id, { ...patient("X"), id: c.body.id }, { "If-Match": 'W/"5"' });
    expect(stale.status).toBe(412);
    const ok = await put(c.body.id, { ...patient("X"), id: c.body.id }, { "If-Match": 'W/"1"' });
    expect(ok.status).toBe(200);
    expect((await put(c.body.id, { ...patient("Y"), id: c.body.id }, { "If-Match": "banana" })).status).toBe(400);
    expect((await put("never-existed", { ...patient("Y"), id: "never-existed" }, { "If-Match": 'W/"1"' })).status).toBe(
      412,
    );
  });
});

describe("concurrent writes", () => {
  it("optimistic concurrency: racing updates either land as distinct versions or get 409, never lost", async () => {
    const c = await create(patient("Race"));
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => put(c.body.id, { ...patient(`Race${n}`), id: c.body.id })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(ok.length).toBeGreaterThan(0);
    const versions = ok.map((r) => r.body.meta.versionId);
    expect(new Set(versions).size).toBe(versions.length);
    const current = await read(`Patient/${c.body.id}`);
    expect(Number(current.body.meta.versionId)).toBe(1 + ok.length);
    expect(await historyCount(c.body.id)).toBe(1 + ok.length);
  });
});

describe("delete", () => {
  it("204; read → 410; deleting again or an unknown id → 204; re-create continues the versions", async () => {
    const c = await create(patient());
    const d = await call(`${s.base}/Patient/${c.body.id}`, { method: "DELETE", auth: s.key });
    expect(d.status).toBe(204);
    expect(d.headers.get("ETag")).toBe('W/"2"');
    const gone = await fhir<Outcome>(`${s.base}/Patient/${c.body.id}`, { auth: s.key });
    expect(gone.status).toBe(410);
    expect(gone.body.issue[0]!.code).toBe("deleted");
    expect((await call(`${s.base}/Patient/${c.body.id}`, { method: "DELETE", auth: s.key })).status).toBe(204);
    expect((await call(`${s.base}/Patient/unknown-id`, { method: "DELETE", auth: s.key })).status).toBe(204);
    expect(await historyCount(c.body.id)).toBe(2);
    const again = await put(c.body.id, { ...patient(), id: c.body.id });
    expect(again.status).toBe(201);
    expect(again.body.meta.versionId).toBe("3");
    // vread of the deletion version is 410.
    expect((await read(`Patient/${c.body.id}/_history/2`)).status).toBe(410);
  });

  it("If-Match on delete, and Prefer: return=OperationOutcome", async () => {
    const c = await create(patient());
    expect(
      (
        await call(`${s.base}/Patient/${c.body.id}`, {
          method: "DELETE",
          auth: s.key,
          headers: { "If-Match": 'W/"9"' },
        })
      ).status,
    ).toBe(412);
    const oo = await fhir<Outcome>(`${s.base}/Patient/${c.body.id}`, {
      method: "DELETE",
      auth: s.key,
      headers: { "If-Match": 'W/"1"', Prefer: "return=OperationOutcome" },
    });
    expect(oo.status).toBe(200);
    expect(oo.body.issue[0]!.diagnostics).toContain("Deleted");
  });
});

describe("patch", () => {
  it("JSON Patch (RFC 6902) creates a version; a no-op patch keeps it", async () => {
    const c = await create(patient());
    const r = await fhir<Resource>(`${s.base}/Patient/${c.body.id}`, {
      method: "PATCH",
      auth: s.key,
      body: JSON.stringify([
        { op: "replace", path: "/gender", value: "male" },
        { op: "add", path: "/active", value: true },
      ]),
      headers: { "Content-Type": "application/json-patch+json" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ gender: "male", active: true, meta: { versionId: "2" } });
    const noop = await fhir<Resource>(`${s.base}/Patient/${c.body.id}`, {
      method: "PATCH",
      auth: s.key,
      body: JSON.stringify([{ op: "test", path: "/gender", value: "male" }]),
      headers: { "Content-Type": "application/json-patch+json" },
    });
    expect(noop.status).toBe(200);
    expect(noop.body.meta.versionId).toBe("2");
  });

  it("FHIRPath Patch (Parameters)", async () => {
    const c = await create(patient());
    const r = await fhir<Resource>(`${s.base}/Patient/${c.body.id}`, {
      method: "PATCH",
      auth: s.key,
      json: {
        resourceType: "Parameters",
        parameter: [
          {
            name: "operation",
            part: [
              { name: "type", valueCode: "replace" },
              { name: "path", valueString: "Patient.birthDate" },
              { name: "value", valueDate: "1999-09-09" },
            ],
          },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.birthDate).toBe("1999-09-09");
  });

  it("errors: unknown 404, deleted 410, bad media type 415, invalid result 400, failing test op 4xx, If-Match 412", async () => {
    const c = await create(patient());
    const jp = (id: string, ops: unknown, headers: Record<string, string> = {}) =>
      fhir<Outcome>(`${s.base}/Patient/${id}`, {
        method: "PATCH",
        auth: s.key,
        body: JSON.stringify(ops),
        headers: { "Content-Type": "application/json-patch+json", ...headers },
      });
    expect((await jp("nope", [{ op: "remove", path: "/gender" }])).status).toBe(404);
    const invalid = await jp(c.body.id, [{ op: "replace", path: "/birthDate", value: "not-a-date" }]);
    expect(invalid.status).toBe(400);
    const failingTest = await jp(c.body.id, [{ op: "test", path: "/gender", value: "other" }]);
    expect([409, 412, 422]).toContain(failingTest.status);
    expect((await jp(c.body.id, [{ op: "replace", path: "/id", value: "other" }])).status).toBeGreaterThanOrEqual(400);
    expect((await jp(c.body.id, [{ op: "remove", path: "/gender" }], { "If-Match": 'W/"3"' })).status).toBe(412);
    const text = await fhir(`${s.base}/Patient/${c.body.id}`, {
      method: "PATCH",
      auth: s.key,
      body: "x",
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    await call(`${s.base}/Patient/${c.body.id}`, { method: "DELETE", auth: s.key });
    expect((await jp(c.body.id, [{ op: "remove", path: "/gender" }])).status).toBe(410);
  });
});

describe("$validate", () => {
  it("200 OperationOutcome for valid and invalid resources", async () => {
    const ok = await fhir<Outcome>(`${s.base}/Patient/$validate`, { method: "POST", auth: s.key, json: patient() });
    expect(ok.status).toBe(200);
    expect(ok.body.issue[0]!.severity).toBe("information");
    const bad = await fhir<Outcome>(`${s.base}/Patient/$validate`, {
      method: "POST",
      auth: s.key,
      json: {
        resourceType: "Parameters",
        parameter: [{ name: "resource", resource: patient("X", { gender: "robot" }) }],
      },
    });
    expect(bad.status).toBe(200);
    expect(bad.body.issue.some((i) => i.severity === "error" && i.expression?.[0]?.startsWith("Patient.gender"))).toBe(
      true,
    );
    // Nothing is stored by $validate.
    const r = await env.DB.prepare(
      "SELECT count(*) AS n FROM fhir_resources WHERE store_id = ?1 AND body LIKE '%robot%'",
    )
      .bind(s.storeId)
      .first<{ n: number }>();
    expect(r?.n).toBe(0);
  });
});

describe("metadata", () => {
  it("a generated CapabilityStatement, public, per store; unknown store 404", async () => {
    const r = await fhir<Record<string, unknown>>(`${s.base}/metadata`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resourceType: "CapabilityStatement", fhirVersion: "4.0.1", kind: "instance" });
    const rest = (r.body.rest as Record<string, unknown>[])[0]!;
    expect((rest.interaction as { code: string }[]).map((i) => i.code)).toEqual(
      expect.arrayContaining(["transaction", "batch", "history-system"]),
    );
    const res = rest.resource as {
      type: string;
      interaction: { code: string }[];
      searchParam: { name: string; type: string }[];
    }[];
    expect(res.length).toBeGreaterThan(140);
    const pat = res.find((x) => x.type === "Patient")!;
    expect(pat.interaction.map((i) => i.code)).toEqual(
      expect.arrayContaining([
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history-instance",
        "create",
        "search-type",
      ]),
    );
    expect(pat.searchParam).toEqual(
      expect.arrayContaining([
        { name: "family", type: "string" },
        { name: "birthdate", type: "date" },
      ]),
    );
    expect((r.body.implementation as { url: string }).url).toBe(`${BASE}${s.base}`);
    expect((await fhir("/fhir/fhs_unknown/metadata")).status).toBe(404);
    expect((await fhir("/FHIR/R4/metadata")).status).toBe(200);
  });
});
