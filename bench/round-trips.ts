/**
 * npx tsx bench/round-trips.ts — the sequential D1 round trips and Durable Object (rate limiter) steps
 * of one request per authenticated route family, read from the `Server-Timing` header
 * (src/platform/server-timing.ts), against a running server (BENCH_URL, default http://127.0.0.1:8787).
 * Each request is sent once untimed first: it teaches the isolate the credential (authenticateAndLimit
 * overlaps the rate-limit call, and riders that need the caller's organization ride, from then on).
 * With BENCH_N, each is then timed N times (paced at BENCH_RATE per second, default 40, under the
 * platform rate policy) and p50s are printed: client, and Server-Timing app / auth / rate.
 *
 * "D1" counts every D1 call, including the audit row a read writes after its answer (waitUntil); the
 * client does not wait for that one.
 *
 *   BENCH_URL=http://127.0.0.1:8795 [BENCH_N=50] npx tsx bench/round-trips.ts
 */
import { createTenant, request } from "./lib/bench-env";
import { parseServerTiming, type ServerSample } from "./lib/server-timing";
import { percentile } from "./lib/stats";

const N = Number(process.env.BENCH_N ?? 1);
const RATE = Math.max(1, Number(process.env.BENCH_RATE ?? 40));

interface Probe {
  label: string;
  method: string;
  path: string;
  /** A function for writes that must change something on every send. */
  body?: string | (() => string);
  contentType?: string;
  expect: number[];
  /** Sent once even with BENCH_N (a quota of its own). */
  once?: boolean;
}

async function main() {
  const t = await createTenant("round-trips");
  const fhir = (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> =>
    request(method, `${t.base}${path}`, { token: t.key, body: body === undefined ? undefined : JSON.stringify(body) });
  const pat = JSON.parse(
    (await fhir("POST", "/Patient", { resourceType: "Patient", name: [{ family: "Probe", given: ["Ann"] }] })).text,
  ) as { id: string };
  await fhir("POST", "/Observation", {
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
    subject: { reference: `Patient/${pat.id}` },
  });
  let sends = 0;
  const patientBody = (family: string) =>
    JSON.stringify({ resourceType: "Patient", id: pat.id, name: [{ family, given: ["Ann"] }] });
  const bundle = JSON.stringify({
    resourceType: "Bundle",
    type: "transaction",
    entry: [
      {
        fullUrl: "urn:uuid:6f1d2c4e-2b7a-4a55-9a55-0d1f7c3b9e11",
        resource: { resourceType: "Patient", name: [{ family: "Ingested" }] },
        request: { method: "POST", url: "Patient" },
      },
    ],
  });
  const ingest = await request("POST", `/api/g/${t.orgId}/ingestion/fhir/v4`, {
    token: t.key,
    body: bundle,
    contentType: "application/json",
  });
  const txId = (JSON.parse(ingest.text) as { transactionId?: string }).transactionId ?? "none";

  const probes: Probe[] = [
    { label: "GET /auth/me", method: "GET", path: "/auth/me", expect: [200] },
    { label: "GET /api/fhirserver/list", method: "GET", path: "/api/fhirserver/list", expect: [200] },
    { label: "GET /api/fhirserver/{id}", method: "GET", path: `/api/fhirserver/${t.storeId}`, expect: [200] },
    { label: "FHIR read", method: "GET", path: `${t.base}/Patient/${pat.id}`, expect: [200] },
    { label: "FHIR vread", method: "GET", path: `${t.base}/Patient/${pat.id}/_history/1`, expect: [200] },
    { label: "FHIR history (instance)", method: "GET", path: `${t.base}/Patient/${pat.id}/_history`, expect: [200] },
    { label: "FHIR history (type)", method: "GET", path: `${t.base}/Patient/_history`, expect: [200] },
    { label: "FHIR search type ?name=", method: "GET", path: `${t.base}/Patient?name=probe`, expect: [200] },
    { label: "FHIR search system ?_type=", method: "GET", path: `${t.base}?_type=Patient`, expect: [200] },
    {
      label: "FHIR search ?subject=",
      method: "GET",
      path: `${t.base}/Observation?subject=Patient/${pat.id}`,
      expect: [200],
    },
    {
      label: "FHIR update",
      method: "PUT",
      path: `${t.base}/Patient/${pat.id}`,
      body: () => patientBody(`Probe${++sends}`),
      contentType: "application/fhir+json",
      expect: [200],
    },
    {
      label: "FHIR patch",
      method: "PATCH",
      path: `${t.base}/Patient/${pat.id}`,
      body: () => JSON.stringify([{ op: "add", path: "/active", value: ++sends % 2 === 0 }]),
      contentType: "application/json-patch+json",
      expect: [200],
    },
    {
      label: "FHIR create",
      method: "POST",
      path: `${t.base}/Patient`,
      body: JSON.stringify({ resourceType: "Patient" }),
      contentType: "application/fhir+json",
      expect: [201],
    },
    { label: "FHIR $everything", method: "GET", path: `${t.base}/Patient/${pat.id}/$everything`, expect: [200] },
    { label: "/FHIR/R4 read (default store)", method: "GET", path: `/FHIR/R4/Patient/nope`, expect: [404] },
    { label: "/FHIR/R4 search (default store)", method: "GET", path: `/FHIR/R4/Patient?name=x`, expect: [200] },
    {
      label: "POST ingestion bundle",
      once: true,
      method: "POST",
      path: `/api/g/${t.orgId}/ingestion/fhir/v4`,
      body: bundle,
      contentType: "application/json",
      expect: [200],
    },
    {
      label: "GET ingestion transaction",
      method: "GET",
      path: `/api/g/${t.orgId}/ingestion/transactions/${txId}`,
      expect: [200],
    },
    { label: "GET construe systems", method: "GET", path: "/construe/codes/systems", expect: [200] },
    { label: "GET construe code", method: "GET", path: "/construe/codes/ICD-10-CM/E1165", expect: [200] },
    {
      label: "GET construe search/text",
      method: "GET",
      path: "/construe/codes/ICD-10-CM/search/text?q=diabetes",
      expect: [200],
    },
    { label: "GET construe list codes", method: "GET", path: "/construe/codes/ICD-10-CM?limit=5", expect: [200] },
    {
      label: "POST construe/extract",
      method: "POST",
      path: "/construe/extract",
      body: JSON.stringify({ text: "Type 2 diabetes with hyperglycemia.", system: { name: "ICD-10-CM" } }),
      contentType: "application/json",
      expect: [200],
    },
    {
      label: "FHIR $export kick-off",
      once: true,
      method: "GET",
      path: `${t.base}/$export?_type=Patient`,
      expect: [202],
    },
    {
      label: "FHIR delete",
      method: "DELETE",
      path: `${t.base}/Patient/${pat.id}`,
      expect: [204],
    },
  ];

  const rows: string[] = [];
  for (const p of probes) {
    const send = () =>
      request(p.method, p.path, {
        token: t.key,
        body: typeof p.body === "function" ? p.body() : p.body,
        contentType: p.contentType,
        headers: p.label.includes("$export") ? { Prefer: "respond-async" } : {},
      });
    await send();
    const samples: { client: number; sample: ServerSample; status: number; text: string }[] = [];
    // Writes with a quota of their own (ingestion 10/s, 5 running exports) are sent once.
    const n = p.once ? 1 : Math.max(1, N);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await send();
      const client = performance.now() - t0;
      samples.push({
        client,
        sample: parseServerTiming(r.headers.get("Server-Timing")),
        status: r.status,
        text: r.text,
      });
      // Paced under the platform policy's refill (50/s), so no probe meets a 429.
      if (n > 1) await new Promise((res) => setTimeout(res, Math.max(0, 1000 / RATE - client)));
    }
    const last = samples[samples.length - 1]!;
    const s = last.sample;
    const bad = samples.find((x) => !p.expect.includes(x.status));
    const ok = bad ? `  (HTTP ${bad.status}: ${bad.text.slice(0, 120)})` : "";
    const p50 = (f: (x: (typeof samples)[number]) => number) => percentile(samples.map(f), 50).toFixed(1).padStart(5);
    const timing =
      n > 1
        ? `  n=${n} p50 client ${p50((x) => x.client)}  app ${p50((x) => x.sample.dur.app ?? 0)}  auth ${p50((x) => x.sample.dur.auth ?? 0)}  rate ${p50((x) => x.sample.dur.rate ?? 0)}`
        : `  app ${(s.dur.app ?? 0).toFixed(1).padStart(5)}  auth ${(s.dur.auth ?? 0).toFixed(1).padStart(5)}  rate ${(s.dur.rate ?? 0).toFixed(1).padStart(5)}`;
    rows.push(
      `${p.label.padEnd(34)} ${String(last.status).padEnd(4)} D1 ${String(s.d1RoundTrips).padStart(2)} trips ${String(s.d1Statements).padStart(3)} stmts${timing}${ok}`,
    );
  }
  console.log(rows.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
