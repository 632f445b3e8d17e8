/**
 * npx tsx bench/reindex.ts — $reindex throughput and the cost of terminology token modifiers, against a
 * running dev server (issue 4: custom SearchParameters, `:in` / `:below`).
 *
 * Loads the batch bundles (practitioners, organizations, locations) and the first BENCH_PATIENTS patient
 * transactions of the Synthea sample into a fresh store, posts two custom SearchParameters, then times:
 *   - `POST $reindex` (synchronous up to 2,000 resources, else 202 → the JOBS queue; polled to the end),
 *     the same with `Prefer: respond-async`, and `POST Encounter/$reindex` (small enough to be synchronous),
 *   - searches on the custom parameters, `Observation?code:in=<ValueSet of the sample's codes>` and
 *     `Condition?code:below=<SNOMED code>` next to the plain token search (p50/p95 over BENCH_SAMPLES runs,
 *     and the p50 of GET /health: the dev server's own per-request floor).
 *
 *   BENCH_URL        dev server, e.g. PORT=8793 HEARTH_STATE_DIR=/tmp/hearth-reindex node scripts/dev.mjs
 *   SYNTHEA_ARCHIVE  the .tar.xz (default ../shared/data/fhir/synthea-sample-bundles.tar.xz)
 *   BENCH_PATIENTS   patient bundles to load (default 8)
 *   BENCH_SAMPLES    timed runs per query (default 30)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_URL, type BenchTenant, createTenant, request, waitForServer } from "./lib/bench-env";
import { ms, percentile } from "./lib/stats";

const ARCHIVE = process.env.SYNTHEA_ARCHIVE ?? "../shared/data/fhir/synthea-sample-bundles.tar.xz";
const PATIENTS = Math.max(1, Number(process.env.BENCH_PATIENTS ?? 8));
const SAMPLES = Math.max(5, Number(process.env.BENCH_SAMPLES ?? 30));
const SCT = "http://snomed.info/sct";

async function load(t: BenchTenant): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-reindex-bench-"));
  try {
    execFileSync("tar", ["-xJf", ARCHIVE, "-C", dir]);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
    const bundles = files.map((f) => readFileSync(join(dir, f), "utf8"));
    const batch = bundles.filter((b) => (JSON.parse(b) as { type: string }).type === "batch");
    const tx = bundles.filter((b) => (JSON.parse(b) as { type: string }).type !== "batch").slice(0, PATIENTS);
    let n = 0;
    for (const b of [...batch, ...tx]) {
      const r = await request("POST", t.base, { token: t.key, body: b, headers: { Prefer: "return=minimal" } });
      if (r.status !== 200) throw new Error(`load: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      n += (JSON.parse(b) as { entry: unknown[] }).entry.length;
      process.stdout.write(".");
    }
    return n;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function post(t: BenchTenant, path: string, body: unknown) {
  const r = await request("POST", `${t.base}${path}`, { token: t.key, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`POST ${path}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text) as Record<string, unknown>;
}

/** $reindex until done; returns wall time and the reindexed count. */
async function reindex(
  t: BenchTenant,
  async: boolean,
  path = "/$reindex",
): Promise<{ ms: number; count: number; mode: string }> {
  const t0 = performance.now();
  const r = await request("POST", `${t.base}${path}`, {
    token: t.key,
    headers: async ? { Prefer: "respond-async" } : {},
  });
  let mode = `${r.status}`;
  let body = r.text;
  if (r.status === 202) {
    const status = new URL(r.headers.get("Content-Location") ?? "").pathname;
    for (;;) {
      await new Promise((res) => setTimeout(res, 250));
      const s = await request("GET", status, { token: t.key });
      if (s.status === 200) {
        body = s.text;
        break;
      }
      if (s.status !== 202) throw new Error(`status: HTTP ${s.status} ${s.text}`);
    }
    mode = "202 → queue";
  } else if (r.status !== 200) throw new Error(`$reindex: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  const p = JSON.parse(body) as { parameter: { name: string; valueInteger?: number }[] };
  return {
    ms: performance.now() - t0,
    count: p.parameter.find((x) => x.name === "reindexed")?.valueInteger ?? 0,
    mode,
  };
}

async function timeQuery(t: BenchTenant, path: string): Promise<{ p50: number; p95: number; total: number }> {
  const once = async () => {
    const t0 = performance.now();
    const url = path ? `${t.base}${path}` : "/health";
    const r = await request("GET", url, { token: t.key, headers: { Prefer: "handling=strict" } });
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    return { ms: performance.now() - t0, total: (JSON.parse(r.text) as { total?: number }).total ?? -1 };
  };
  for (let i = 0; i < 3; i++) await once();
  const samples: number[] = [];
  let total = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const r = await once();
    samples.push(r.ms);
    total = r.total;
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), total };
}

async function main() {
  await waitForServer();
  const t = await createTenant("reindex");
  const t0 = performance.now();
  const loaded = await load(t);
  console.log(
    `\nloaded ${loaded} resources (${PATIENTS} patients) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  await post(t, "/SearchParameter", {
    resourceType: "SearchParameter",
    url: "http://bench.example/SearchParameter/obs-loinc",
    name: "obs-loinc",
    status: "active",
    description: "LOINC codes of an Observation",
    code: "obs-loinc",
    base: ["Observation"],
    type: "token",
    expression: "Observation.code.coding.where(system = 'http://loinc.org')",
  });
  await post(t, "/SearchParameter", {
    resourceType: "SearchParameter",
    url: "http://bench.example/SearchParameter/enc-start",
    name: "enc-start",
    status: "active",
    description: "Encounter start",
    code: "enc-start",
    base: ["Encounter"],
    type: "date",
    expression: "Encounter.period.start",
  });

  for (const [async, path] of [
    [false, "/$reindex"],
    [true, "/$reindex"],
    [false, "/Encounter/$reindex"],
  ] as const) {
    const r = await reindex(t, async, path);
    console.log(
      `POST ${path}${async ? " (Prefer: respond-async)" : ""}: ${r.count} resources in ${ms(r.ms)} [${r.mode}] = ${Math.round((r.count / r.ms) * 1000)} resources/s`,
    );
  }

  // Codes as the sample uses them (its codes are synthetic): most frequent first.
  const codesOf = async (type: string, system: string) => {
    const page = JSON.parse(
      (await request("GET", `${t.base}/${type}?_count=1000&_elements=code`, { token: t.key })).text,
    ) as { entry?: { resource: { code?: { coding?: { system?: string; code?: string }[] } } }[] };
    const freq = new Map<string, number>();
    for (const e of page.entry ?? [])
      for (const c of e.resource.code?.coding ?? [])
        if (c.system === system && c.code) freq.set(c.code, (freq.get(c.code) ?? 0) + 1);
    return [...freq].sort((a, b) => b[1] - a[1]).map(([code]) => code);
  };
  const loinc = await codesOf("Observation", "http://loinc.org");
  const sct = await codesOf("Condition", SCT);
  await post(t, "/ValueSet", {
    resourceType: "ValueSet",
    url: "http://bench.example/ValueSet/observations",
    status: "active",
    compose: { include: [{ system: "http://loinc.org", concept: loinc.slice(0, 50).map((code) => ({ code })) }] },
  });
  const loinc0 = encodeURIComponent(`http://loinc.org|${loinc[0] ?? "8302-2"}`);
  const sct0 = encodeURIComponent(`${SCT}|${sct[0] ?? "44054006"}`);
  const measures: [string, string][] = [
    ["GET /health (floor)", ""],
    ["Observation?code (plain)", `/Observation?code=${loinc0}`],
    ["custom token (obs-loinc), same code", `/Observation?obs-loinc=${loinc0}`],
    ["custom date (enc-start)", "/Encounter?enc-start=ge2015-01-01"],
    [
      `Observation?code:in (${Math.min(50, loinc.length)} codes)`,
      "/Observation?code:in=http://bench.example/ValueSet/observations",
    ],
    ["Condition?code (plain)", `/Condition?code=${sct0}`],
    ["Condition?code:below (SNOMED)", `/Condition?code:below=${sct0}`],
  ];
  for (const [label, path] of measures) {
    const r = await timeQuery(t, path);
    console.log(
      `${label.padEnd(36)} p50 ${ms(r.p50).padStart(9)}  p95 ${ms(r.p95).padStart(9)}  total ${r.total}\n    GET ${path}`,
    );
  }
  console.log(`(server ${BENCH_URL}, store ${t.storeId})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
