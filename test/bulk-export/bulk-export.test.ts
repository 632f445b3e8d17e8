import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findJob } from "../../src/features/bulk-export/export-job-row";
import { NdjsonFile } from "../../src/features/bulk-export/ndjson-file";
import {
  DEFAULT_EXPORT_LIMITS,
  type ExportLimits,
  handleBulkExportJob,
  runExportStep,
} from "../../src/features/bulk-export/run-export-job";
import { consent, fhir, keyFor, newTenant, pathOf, population, put, type Tenant } from "../everything/fixtures";
import { call, callJson } from "../harness";
import { downloadNdjson, drainExports } from "./helpers";

let t: Tenant;
beforeAll(async () => {
  t = await newTenant();
  await population(t);
  await put(t, [
    {
      resourceType: "Group",
      id: "g2",
      type: "person",
      actual: true,
      member: [{ entity: { reference: "Patient/p2" } }],
    },
  ]);
});
// Kick-offs put messages on the real JOBS queue: let its consumer finish before the file ends.
afterAll(() => drainExports());

const ASYNC = { Prefer: "respond-async", Accept: "application/fhir+json" };

async function kickOff(
  path: string,
  auth = t.key,
  init: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
) {
  const res = await callJson(path, {
    method: init.method ?? "GET",
    auth,
    headers: { ...ASYNC, ...(init.headers ?? {}) },
    json: init.json,
  });
  return res;
}

const jobIdOf = (statusUrl: string) => statusUrl.split("/").pop() as string;

/** Runs the consumer until the job is finished (it is also safe if the real queue consumer runs it). */
async function runToEnd(jobId: string, limits: ExportLimits = DEFAULT_EXPORT_LIMITS): Promise<number> {
  let invocations = 0;
  for (let i = 0; i < 200; i++) {
    const r = await runExportStep(env, jobId, limits);
    invocations++;
    if (r === "completed" || r === "failed" || r === "cancelled") return invocations;
    if (r === "idle") {
      const job = await findJob(env.DB, jobId);
      if (job && job.status !== "accepted" && job.status !== "in-progress") return invocations;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  throw new Error("export did not finish");
}

/**
 * A job exactly as kick-off makes it, but that no queue message points at: only this test runs it, even
 * once the JOBS consumer handles bulk-export messages (the kicked-off original is cancelled).
 */
async function detachedJob(path: string, auth = t.key): Promise<{ jobId: string; statusPath: string }> {
  const k = await kickOff(path, auth);
  expect(k.status, JSON.stringify(k.body)).toBe(202);
  const loc = pathOf(k.res.headers.get("Content-Location") as string);
  const original = jobIdOf(loc);
  const jobId = `${original}d`;
  await env.DB.prepare(
    `INSERT INTO bulk_export_jobs (id, org_id, store_id, credential_id, status, level, group_id, request_url, base_url, params, access,
       transaction_time, created_at, updated_at)
     SELECT ?2, org_id, store_id, credential_id, 'accepted', level, group_id, request_url, base_url, params, access,
       transaction_time, created_at, updated_at FROM bulk_export_jobs WHERE id = ?1`,
  )
    .bind(original, jobId)
    .run();
  expect((await call(loc, { method: "DELETE", auth })).status).toBe(202);
  return { jobId, statusPath: loc.replace(original, jobId) };
}

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: { type: string; url: string; count: number }[];
}

async function exportAll(path: string, auth = t.key, limits?: ExportLimits, init: Parameters<typeof kickOff>[2] = {}) {
  const k = await kickOff(path, auth, init);
  expect(k.status, JSON.stringify(k.body)).toBe(202);
  const statusUrl = k.res.headers.get("Content-Location") as string;
  await runToEnd(jobIdOf(statusUrl), limits);
  const s = await callJson<Manifest>(pathOf(statusUrl), { auth });
  expect(s.status).toBe(200);
  return { statusUrl, manifest: s.body, kickoffUrl: k.res.url };
}

const download = (url: string, auth = t.key) => downloadNdjson(url, auth);

async function exported(manifest: Manifest, auth = t.key): Promise<string[]> {
  const out: string[] = [];
  for (const f of manifest.output) {
    const rows = await download(f.url, auth);
    expect(rows).toHaveLength(f.count);
    for (const r of rows) expect(r.resourceType).toBe(f.type);
    out.push(...rows.map((r) => `${r.resourceType}/${r.id}`));
  }
  return out.sort();
}

describe("kick-off", () => {
  it("answers 202 with Content-Location; status is 202 with X-Progress until the job ran", async () => {
    const k = await kickOff(`${t.base}/$export`);
    expect(k.status).toBe(202);
    const loc = k.res.headers.get("Content-Location") as string;
    expect(loc).toMatch(new RegExp(`^http://hearth.test${t.base}/\\$export-status/[A-Za-z0-9]+$`));
    const { jobId, statusPath } = await detachedJob(`${t.base}/$export`);
    const s = await call(statusPath, { auth: t.key });
    expect(s.status).toBe(202);
    expect(s.headers.get("X-Progress")).toBeTruthy();
    expect(Number(s.headers.get("Retry-After"))).toBeGreaterThan(0);
    await runToEnd(jobId);
    expect((await call(statusPath, { auth: t.key })).status).toBe(200);
  });

  it("validates the request", async () => {
    const cases: [string, Record<string, string>, number][] = [
      [`${t.base}/$export`, { Prefer: "" }, 400],
      [`${t.base}/$export?_outputFormat=text/csv`, {}, 400],
      [`${t.base}/$export?_since=yesterday`, {}, 400],
      [`${t.base}/$export?_type=Nope`, {}, 400],
      [`${t.base}/$export?_elements=id`, {}, 400],
      [`${t.base}/$export?_typeFilter=Observation%3Fbogus%3D1`, {}, 400],
      [`${t.base}/$export?_type=Patient&_typeFilter=Observation%3Fstatus%3Dfinal`, {}, 400],
      [`${t.base}/$export?_typeFilter=nonsense`, {}, 400],
      [`${t.base}/Patient/$export?_type=Practitioner`, {}, 400],
      [`${t.base}/$export`, { Accept: "application/fhir+xml" }, 406],
      [`${t.base}/Group/nope/$export`, {}, 404],
    ];
    for (const [path, headers, status] of cases) {
      const r = await kickOff(path, t.key, { headers });
      expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
      expect((r.body as { resourceType: string }).resourceType).toBe("OperationOutcome");
    }
    // The three NDJSON names of export.html#query-parameters, also with an unencoded "+" (read as a space).
    for (const format of ["application%2Ffhir%2Bndjson", "application/fhir+ndjson", "application/ndjson", "ndjson"]) {
      const r = await kickOff(`${t.base}/$export?_type=Patient&_outputFormat=${format}`);
      expect(r.status, format).toBe(202);
      // Cancelled at once: one credential may run only a few exports at a time.
      const loc = pathOf(r.res.headers.get("Content-Location") as string);
      expect((await call(loc, { method: "DELETE", auth: t.key })).status).toBe(202);
    }
    // A patient-context credential may not name other patients.
    const own = await keyFor(t, ["patient/*.read"], { patientId: "p1" });
    const other = await kickOff(`${t.base}/Patient/$export`, own, {
      method: "POST",
      json: {
        resourceType: "Parameters",
        parameter: [{ name: "patient", valueReference: { reference: "Patient/p2" } }],
      },
    });
    expect(other.status).toBe(403);
    const badPatient = await kickOff(`${t.base}/Patient/$export`, t.key, {
      method: "POST",
      json: { resourceType: "Parameters", parameter: [{ name: "patient", valueReference: { reference: "Group/g2" } }] },
    });
    expect(badPatient.status).toBe(400);
    // Unsupported parameters are ignored under handling=lenient.
    const lenient = await kickOff(`${t.base}/$export?_elements=id&_type=Patient`, t.key, {
      headers: { Prefer: "respond-async, handling=lenient" },
    });
    expect(lenient.status).toBe(202);
    expect((await call(`${t.base}/$export`)).status).toBe(401);
  });

  it("another organization's store is not found", async () => {
    const other = await newTenant();
    expect((await kickOff(`${t.base}/$export`, other.key)).status).toBe(404);
  });
});

describe("export", () => {
  it("system level: every resource, one file per type, with the manifest of the spec", async () => {
    const { manifest, statusUrl } = await exportAll(`${t.base}/$export`);
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.request).toBe(`http://hearth.test${t.base}/$export`);
    expect(Date.parse(manifest.transactionTime)).not.toBeNaN();
    expect(manifest.error).toEqual([]);
    const types = manifest.output.map((o) => o.type);
    expect(new Set(types).size).toBe(types.length);
    for (const o of manifest.output)
      expect(o.url).toBe(`http://hearth.test${t.base}/$export-file/${jobIdOf(statusUrl)}/${o.type}-1.ndjson`);
    const all = await exported(manifest);
    const search = await fhir<{ total: number }>(`${t.base}?_type=${[...new Set(types)].join(",")}&_summary=count`, {
      auth: t.key,
    });
    expect(all.length).toBe(search.body.total);
    expect(all).toEqual(
      expect.arrayContaining([
        "Patient/p1",
        "Patient/p2",
        "Observation/obs-p2",
        "Practitioner/dr1",
        "Organization/org-unused",
        "Group/g2",
      ]),
    );
  });

  it("patient level: the compartments of all patients only", async () => {
    const { manifest } = await exportAll(`${t.base}/Patient/$export`);
    const all = await exported(manifest);
    expect(all).toEqual(expect.arrayContaining(["Patient/p1", "Patient/p2", "Observation/obs1", "Observation/obs-p2"]));
    expect(
      all.some((k) => k.startsWith("Practitioner/") || k.startsWith("Organization/") || k.startsWith("Medication/")),
    ).toBe(false);
  });

  it("patient level with the patient parameter: those patients' compartments only", async () => {
    const { manifest } = await exportAll(`${t.base}/Patient/$export?_type=Patient,Observation`, t.key, undefined, {
      method: "POST",
      json: {
        resourceType: "Parameters",
        parameter: [{ name: "patient", valueReference: { reference: "Patient/p2" } }],
      },
    });
    expect(await exported(manifest)).toEqual(["Observation/obs-p2", "Patient/p2"]);
  });

  it("group level: the members' compartments only", async () => {
    const { manifest } = await exportAll(`/datastore/${t.storeId}/r4/Group/g2/$export`);
    const all = await exported(manifest);
    expect(all).toEqual(["Group/g2", "Observation/obs-p2", "Patient/p2"]);
  });

  it("POST with a Parameters body; _type, _since and _typeFilter", async () => {
    const { manifest } = await exportAll(`${t.base}/$export`, t.key, undefined, {
      method: "POST",
      json: {
        resourceType: "Parameters",
        parameter: [
          { name: "_outputFormat", valueString: "application/fhir+ndjson" },
          { name: "_type", valueString: "Observation,Condition" },
          { name: "_since", valueInstant: "2000-01-01T00:00:00Z" },
          { name: "_typeFilter", valueString: "Observation?category=laboratory,Observation?code=8480-6" },
        ],
      },
    });
    expect(await exported(manifest)).toEqual(
      ["Condition/cond1", "Observation/obs1", "Observation/obs-p2", "Observation/obs3"].sort(),
    );
    const future = await exportAll(`${t.base}/$export?_since=2999-01-01T00:00:00Z`);
    expect(future.manifest.output).toEqual([]);
  });

  it("rolls files and resumes across invocations without gaps or repeats", async () => {
    const { jobId, statusPath } = await detachedJob(`${t.base}/$export?_type=Observation,Encounter`);
    const limits: ExportLimits = { ...DEFAULT_EXPORT_LIMITS, pageRows: 2, maxRows: 2, fileBytes: 500 };
    const invocations = await runToEnd(jobId, limits);
    expect(invocations).toBeGreaterThan(3);
    const manifest = (await callJson<Manifest>(statusPath, { auth: t.key })).body;
    const obsFiles = manifest.output.filter((o) => o.type === "Observation").map((o) => o.url.split("/").pop());
    expect(obsFiles.length).toBeGreaterThan(1);
    expect(obsFiles).toEqual(obsFiles.map((_, i) => `Observation-${i + 1}.ndjson`));
    const all = await exported(manifest);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual([
      "Encounter/enc1",
      "Encounter/enc2",
      "Observation/obs-p2",
      "Observation/obs1",
      "Observation/obs2",
      "Observation/obs3",
      "Observation/obs4",
      "Observation/obs5",
    ]);
  });

  it("the queue handler runs a job to the end (continuations go back on the queue)", async () => {
    const { jobId, statusPath } = await detachedJob(`${t.base}/$export?_type=Patient`);
    await handleBulkExportJob(env, { type: "bulk-export", jobId });
    const s = await callJson<Manifest>(statusPath, { auth: t.key });
    expect(s.status).toBe(200);
    expect(s.body.output).toEqual([expect.objectContaining({ type: "Patient", count: 2 })]);
  });
});

describe("access", () => {
  it("exports only what the scopes allow; requested types it may not read are reported as errors", async () => {
    const key = await keyFor(t, ["system/Patient.read", "system/Observation.rs?category=laboratory"]);
    const { manifest } = await exportAll(`${t.base}/$export?_type=Patient,Observation,Condition`, key);
    expect(await exported(manifest, key)).toEqual(["Observation/obs3", "Patient/p1", "Patient/p2"]);
    expect(manifest.error).toHaveLength(1);
    const outcomes = await download(manifest.error[0]!.url, key);
    expect(outcomes).toHaveLength(1);
    expect(JSON.stringify(outcomes[0])).toContain("Condition");
    const none = await keyFor(t, ["system/Practitioner.read"]);
    expect((await kickOff(`${t.base}/$export?_type=Observation`, none)).status).toBe(403);
    const noGroup = await keyFor(t, ["system/Observation.read"]);
    expect((await kickOff(`${t.base}/Group/g2/$export`, noGroup)).status).toBe(403);
  });

  it("a patient-context credential exports its own compartment only", async () => {
    const key = await keyFor(t, ["patient/*.read"], { patientId: "p2" });
    const { manifest } = await exportAll(`${t.base}/$export`, key);
    expect(await exported(manifest, key)).toEqual(["Group/g2", "Observation/obs-p2", "Patient/p2"]);
  });

  it("a consent-required credential exports consented patients only", async () => {
    const c = await newTenant();
    await population(c);
    const key = await keyFor(c, ["system/*.read"], { consentRequired: true });
    await put(c, [consent("c1", "p2", c.orgId)]);
    const { manifest } = await exportAll(`${c.base}/Patient/$export`, key);
    expect(await exported(manifest, key)).toEqual(["Consent/c1", "Observation/obs-p2", "Patient/p2"]);
  });

  it("status, files and cancel answer only to the credential that started the job", async () => {
    const { manifest, statusUrl } = await exportAll(`${t.base}/$export?_type=Patient`);
    const sameOrgOtherKey = await keyFor(t, ["fhir:read"]);
    const other = await newTenant();
    for (const auth of [sameOrgOtherKey, other.key]) {
      expect((await call(pathOf(statusUrl), { auth })).status).toBe(404);
      expect((await call(pathOf(manifest.output[0]!.url), { auth })).status).toBe(404);
      expect((await call(pathOf(statusUrl), { method: "DELETE", auth })).status).toBe(404);
    }
    // The same job id under another organization's store is unknown there too.
    const elsewhere = statusUrl.replace(t.storeId, other.storeId);
    expect((await call(pathOf(elsewhere), { auth: other.key })).status).toBe(404);
    expect((await call(pathOf(`${manifest.output[0]!.url}x`), { auth: t.key })).status).toBe(404);
  });

  it("DELETE cancels a job and removes its files", async () => {
    const { manifest, statusUrl } = await exportAll(`${t.base}/$export?_type=Patient,Observation`);
    const jobId = jobIdOf(statusUrl);
    const before = await env.BLOBS.list({ prefix: `exports/${t.orgId}/${jobId}/` });
    expect(before.objects.length).toBe(manifest.output.length);
    const del = await call(pathOf(statusUrl), { method: "DELETE", auth: t.key });
    expect(del.status).toBe(202);
    expect((await call(pathOf(statusUrl), { auth: t.key })).status).toBe(404);
    expect((await call(pathOf(manifest.output[0]!.url), { auth: t.key })).status).toBe(404);
    const after = await env.BLOBS.list({ prefix: `exports/${t.orgId}/${jobId}/` });
    expect(after.objects).toHaveLength(0);
    // A running job that is cancelled stops at its next step and leaves nothing behind.
    const k = await kickOff(`${t.base}/$export`);
    const loc = k.res.headers.get("Content-Location") as string;
    expect((await call(pathOf(loc), { method: "DELETE", auth: t.key })).status).toBe(202);
    expect(await runExportStep(env, jobIdOf(loc))).toBe("idle");
    expect((await env.BLOBS.list({ prefix: `exports/${t.orgId}/${jobIdOf(loc)}/` })).objects).toHaveLength(0);
  });

  it("a job that cannot finish reports a 500-class OperationOutcome", async () => {
    await put(t, [
      {
        resourceType: "Group",
        id: "g-temp",
        type: "person",
        actual: true,
        member: [{ entity: { reference: "Patient/p1" } }],
      },
    ]);
    const { jobId, statusPath } = await detachedJob(`${t.base}/Group/g-temp/$export`);
    expect((await fhir(`${t.base}/Group/g-temp`, { method: "DELETE", auth: t.key })).status).toBe(204);
    expect(await runExportStep(env, jobId)).toBe("failed");
    const s = await callJson<{ resourceType: string; issue: { diagnostics: string }[] }>(statusPath, { auth: t.key });
    expect(s.status).toBe(500);
    expect(s.body.resourceType).toBe("OperationOutcome");
    expect(s.body.issue[0]!.diagnostics).toContain("Group/g-temp");
  });
});

describe("NdjsonFile", () => {
  it("writes files larger than one part with an R2 multipart upload", async () => {
    const file = new NdjsonFile(env.BLOBS, "exports/test/multipart/Observation-1.ndjson", 5 * 1024 * 1024);
    const line = JSON.stringify({ resourceType: "Observation", id: "x", note: [{ text: "é".repeat(2000) }] });
    const lines = 3000;
    for (let i = 0; i < lines; i++) await file.append(line);
    await file.close();
    const obj = await env.BLOBS.get("exports/test/multipart/Observation-1.ndjson");
    expect(obj).not.toBeNull();
    const text = await (obj as R2ObjectBody).text();
    expect(text.split("\n").filter(Boolean)).toHaveLength(lines);
    expect(obj?.size).toBeGreaterThan(10 * 1024 * 1024);
    expect(obj?.httpMetadata?.contentType).toBe("application/fhir+ndjson");
  });
});

describe("OpenAPI", () => {
  it("documents every $everything and $export route on the three bases", async () => {
    const { body } = await callJson<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json");
    for (const base of ["/fhir/{storeId}", "/datastore/{storeId}/r4", "/FHIR/R4"]) {
      for (const sub of ["/Patient/{id}/$everything", "/Person/{id}/$everything"])
        expect(Object.keys(body.paths[base + sub] ?? {})).toEqual(["get"]);
      for (const sub of ["/$export", "/Patient/$export", "/Group/{id}/$export"])
        expect(Object.keys(body.paths[base + sub] ?? {}).sort()).toEqual(["get", "post"]);
      expect(Object.keys(body.paths[`${base}/$export-status/{jobId}`] ?? {}).sort()).toEqual(["delete", "get"]);
      expect(Object.keys(body.paths[`${base}/$export-file/{jobId}/{file}`] ?? {})).toEqual(["get"]);
    }
  });
});
