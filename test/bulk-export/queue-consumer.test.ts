/**
 * The JOBS queue consumer (src/jobs.ts → handleBulkExportJob) running exports by itself, end to end:
 * kick-off over HTTP, the real queue delivers the message, the client only polls and downloads.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findJob } from "../../src/features/bulk-export/export-job-row";
import { consent, keyFor, newTenant, pathOf, population, put, type Tenant } from "../everything/fixtures";
import { call, callJson } from "../harness";
import { downloadNdjson, drainExports } from "./helpers";

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

let t: Tenant;
beforeAll(async () => {
  t = await newTenant();
  await population(t);
});
afterAll(() => drainExports());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function kickOff(path: string, auth = t.key): Promise<string> {
  const k = await call(path, { auth, headers: { Prefer: "respond-async" } });
  expect(k.status).toBe(202);
  return pathOf(k.headers.get("Content-Location") as string);
}

/** Polls the status URL as a client would until it is no longer 202; checks the 202 headers on the way. */
async function poll(statusPath: string, auth = t.key): Promise<Response> {
  for (let i = 0; i < 150; i++) {
    const res = await call(statusPath, { auth });
    if (res.status !== 202) return res;
    expect(res.headers.get("X-Progress")).toBeTruthy();
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    await sleep(100);
  }
  throw new Error(`${statusPath} still running after 15 s`);
}

async function lines(url: string, auth = t.key): Promise<string[]> {
  return (await downloadNdjson(url, auth)).map((r) => `${r.resourceType}/${r.id}`);
}

describe("JOBS queue consumer", () => {
  it("runs a system export to a complete manifest the client downloads", async () => {
    const statusPath = await kickOff(`${t.base}/$export?_type=Patient,Observation`);
    const done = await poll(statusPath);
    expect(done.status).toBe(200);
    const manifest = (await done.json()) as Manifest;
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.request).toBe(`http://hearth.test${t.base}/$export?_type=Patient,Observation`);
    expect(manifest.output.map((o) => [o.type, o.count])).toEqual([
      ["Observation", 6],
      ["Patient", 2],
    ]);
    const all: string[] = [];
    for (const o of manifest.output) all.push(...(await lines(o.url)));
    expect(all.sort()).toEqual([
      "Observation/obs-p2",
      "Observation/obs1",
      "Observation/obs2",
      "Observation/obs3",
      "Observation/obs4",
      "Observation/obs5",
      "Patient/p1",
      "Patient/p2",
    ]);
    const job = await findJob(env.DB, statusPath.split("/").pop() as string);
    expect(job?.status).toBe("completed");
  });

  it("applies the kick-off credential's consent rule in the consumer", async () => {
    const c = await newTenant();
    await population(c);
    await put(c, [consent("c2", "p2", c.orgId)]);
    const key = await keyFor(c, ["system/*.read"], { consentRequired: true });
    const statusPath = await kickOff(`${c.base}/Patient/$export?_type=Patient,Observation`, key);
    const done = await poll(statusPath, key);
    expect(done.status).toBe(200);
    const manifest = (await done.json()) as Manifest;
    const all: string[] = [];
    for (const o of manifest.output) all.push(...(await lines(o.url, key)));
    expect(all.sort()).toEqual(["Observation/obs-p2", "Patient/p2"]);
  });

  it("a job cancelled before delivery is dropped by the consumer and leaves no files", async () => {
    const statusPath = await kickOff(`${t.base}/$export`);
    const jobId = statusPath.split("/").pop() as string;
    expect((await call(statusPath, { method: "DELETE", auth: t.key })).status).toBe(202);
    // Give the queue time to deliver the message (max_batch_timeout 1 s).
    await sleep(2000);
    expect((await findJob(env.DB, jobId))?.status).toBe("cancelled");
    expect((await env.BLOBS.list({ prefix: `exports/${t.orgId}/${jobId}/` })).objects).toHaveLength(0);
    expect((await callJson(statusPath, { auth: t.key })).status).toBe(404);
  });
});
