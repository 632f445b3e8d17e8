/**
 * npm run bench:terminology — the terminology speed targets of issue 5 on the full ICD-10-CM 2025
 * tabular list with its alphabetic index as synonyms:
 *
 *   1. import time (target ≤ 60 s) into an isolated local state (.bench/terminology);
 *   2. `wrangler dev` on that state (entry bench/terminology-worker.ts), then one client:
 *      - over HTTP (API key auth and rate limiting included; /health is the floor of one round trip);
 *      - inside the Worker (the domain verbs timed around their D1 calls: the service's own latency).
 *      Text search over a mixed query set (codes, words, prefixes, typos; targets p50 ≤ 10 ms,
 *      p99 ≤ 30 ms), semantic search (p50 ≤ 50 ms), list pages (≤ 10 ms), lookups (≤ 3 ms).
 *
 *   --data <dir>   folder with icd10cm_2025/ (default ../shared/data/terminology)
 *   --skip-import  reuse the state of the previous run
 *   BENCH_PORT     dev server port (default: a random one); BENCH_ROUNDS repetitions (default 5)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { localTarget } from "../scripts/lib/terminology-executors";
import { loadRelease } from "../scripts/lib/terminology-load";
import { openSource } from "../scripts/lib/terminology-sources";
import { adminToken } from "./lib/bench-env";
import { httpRequest } from "./lib/http-client";
import { summary } from "./lib/stats";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const DATA = resolve(arg("data") ?? "../shared/data/terminology");
const STATE = resolve(".bench/terminology");
// A port of our own: another dev server on this machine must not answer for ours.
const PORT = Number(process.env.BENCH_PORT ?? 20000 + Math.floor(Math.random() * 20000));
const BASE = `http://127.0.0.1:${PORT}`;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const SYSTEM = "ICD-10-CM";

const TEXT_QUERIES: Record<string, string[]> = {
  codes: [
    "E11.65",
    "E1165",
    "11.65",
    "I10",
    "J45",
    "S72.0",
    "M54.5",
    "F32",
    "Z00.0",
    "R07",
    "N18.3",
    "C50.9",
    "K21",
    "G47.33",
    "I48",
  ],
  words: [
    "diabetes",
    "hypertension",
    "asthma",
    "pneumonia",
    "fracture of femur",
    "chest pain",
    "major depressive disorder",
    "heart failure",
    "chronic kidney disease",
    "breast cancer",
    "type 2 diabetes with hyperglycemia",
    "acute myocardial infarction",
  ],
  prefixes: ["diab", "hypert", "pneum", "fract", "asth", "migr", "osteo", "cardio", "gastro", "nephr"],
  typos: [
    "diabtes",
    "hypertenshun",
    "pnuemonia",
    "asthmma",
    "fractre",
    "depresion",
    "migrane",
    "artritis",
    "sinusitus",
    "bronchitus",
  ],
};
const SEMANTIC_QUERIES = [
  "high blood sugar",
  "heart attack",
  "trouble breathing at night",
  "kidney stones",
  "broken hip",
  "sore throat",
  "shortness of breath",
  "belly pain",
  "low thyroid",
  "memory loss",
  "water on the lung",
  "chest infection",
  "yellow skin",
  "ringing in the ears",
  "irregular heartbeat",
  "blood clot in leg",
  "high cholesterol",
  "pins and needles",
  "sugar diabetes with eye problems",
  "bladder infection",
];

async function importIcd(): Promise<void> {
  const dir = join(DATA, "icd10cm_2025");
  if (!existsSync(join(dir, "ICD10CM_2025_codes.csv")))
    throw new Error(`no ICD-10-CM 2025 files in ${dir} (pass --data)`);
  mkdirSync(STATE, { recursive: true });
  const t0 = performance.now();
  const source = await openSource({
    system: SYSTEM,
    file: join(dir, "ICD10CM_2025_codes.csv"),
    index: join(dir, "ICD10CM_2025_Index.csv"),
  });
  const target = await localTarget({ configPath: "wrangler.toml", persistTo: STATE });
  try {
    const r = await loadRelease({
      exec: target.exec,
      db: target.db,
      system: SYSTEM,
      version: "2025",
      records: source.records,
    });
    const total = (performance.now() - t0) / 1000;
    console.log(
      `import   ${r.written.count} codes with index synonyms and vectors in ${total.toFixed(1)} s = ` +
        `${Math.round(r.written.count / total)} codes/s (codes ${r.seconds.codes.toFixed(1)} s, vectors ${r.seconds.vectors.toFixed(1)} s; target ≤ 60 s)`,
    );
  } finally {
    await target.dispose();
  }
}

async function http(path: string, token?: string, init: { method?: string; body?: unknown } = {}) {
  const res = await httpRequest(`${BASE}${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, text: res.text };
}

async function startServer(): Promise<ChildProcess> {
  try {
    await fetch(`${BASE}/health`);
    throw new Error(`port ${PORT} is taken by another server (set BENCH_PORT)`);
  } catch (e) {
    if ((e as Error).message.includes("is taken")) throw e;
  }
  const child = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "bench/terminology-worker.ts",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(PORT),
      "--persist-to",
      STATE,
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  let log = "";
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${BASE}/health`)).ok) return child;
    } catch {
      // still starting
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not start:\n${log.slice(-2000)}`);
}

/** Several keys, used in turn, keep one fast client under the per-credential rate limit. */
async function credentials(): Promise<string[]> {
  const org = await http("/admin/organizations", adminToken(), {
    method: "POST",
    body: { name: `bench terminology ${Date.now()}` },
  });
  if (org.status !== 201) throw new Error(`creating the organization failed: ${org.status} ${org.text.slice(0, 300)}`);
  const data = JSON.parse(org.text).data as { id: string; apiKey: { key: string } };
  const keys = [data.apiKey.key];
  for (let i = 0; i < 7; i++) {
    const k = await http(`/admin/organizations/${data.id}/api-keys`, adminToken(), {
      method: "POST",
      body: { name: `bench-${i}`, scopes: ["terminology:read"] },
    });
    keys.push((JSON.parse(k.text).data as { key: string }).key);
  }
  return keys;
}

async function overHttp(keys: string[], paths: string[]): Promise<number[]> {
  const samples: number[] = [];
  let k = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of paths) {
      const t0 = performance.now();
      const res = await http(p, keys[k++ % keys.length]);
      samples.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${res.text.slice(0, 200)}`);
    }
  }
  return samples;
}

type Op = {
  op: "text" | "semantic" | "list" | "lookup" | "floor";
  system: string;
  q?: string;
  cursor?: string;
  code?: string;
};

async function inWorker(ops: Op[]): Promise<number[]> {
  const all: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const res = await http("/__bench/terminology", undefined, { method: "POST", body: ops });
    if (res.status !== 200) throw new Error(`bench route: ${res.status} ${res.text.slice(0, 300)}`);
    all.push(...(JSON.parse(res.text) as { samples: number[] }).samples);
  }
  return all;
}

async function main() {
  if (!args.includes("--skip-import")) await importIcd();
  const server = await startServer();
  try {
    const keys = await credentials();
    const base = `/construe/codes/${SYSTEM}`;
    const textPath = (q: string) => `${base}/search/text?q=${encodeURIComponent(q)}`;
    const semanticPath = (q: string) => `${base}/search/semantic?text=${encodeURIComponent(q)}`;

    // List pages: walk 60 pages with their cursors.
    const cursors: string[] = [""];
    for (let i = 0; i < 60; i++) {
      const c = cursors[cursors.length - 1];
      const page = await http(`${base}?limit=20${c ? `&cursor=${encodeURIComponent(c)}` : ""}`, keys[0]);
      const next = (JSON.parse(page.text) as { next_cursor: string | null }).next_cursor;
      if (!next) break;
      cursors.push(next);
    }
    const listPath = (c: string) => `${base}?limit=20${c ? `&cursor=${encodeURIComponent(c)}` : ""}`;
    // Lookups: 200 codes spread over the system, every other one without its dot.
    const sample = JSON.parse((await http(`${base}?limit=1000`, keys[0])).text) as { codes: Array<{ code: string }> };
    const codes = sample.codes.filter((_, i) => i % 5 === 0).map((c, i) => (i % 2 ? c.code.replace(".", "") : c.code));

    // Warm-up: the first semantic query loads the vectors into the isolate, text queries the vocabulary.
    for (const p of [
      textPath("diabetes"),
      textPath("diabtes"),
      semanticPath("warm up"),
      listPath(""),
      `${base}/E11.65`,
    ]) {
      await http(p, keys[1]);
    }
    await inWorker([{ op: "semantic", system: SYSTEM, q: "warm up" }]);

    const textOps = Object.values(TEXT_QUERIES).flat();
    console.log(`\n${SYSTEM} 2025 (full tabular list), 1 client, ${ROUNDS} rounds`);
    console.log("over HTTP (API key auth and rate limit included):");
    console.log(summary("/health", await overHttp(keys, Array(100).fill("/health"))), "  one round trip + 1 D1 query");
    console.log(summary("text", await overHttp(keys, textOps.map(textPath))), "  targets p50 ≤ 10 ms, p99 ≤ 30 ms");
    console.log(summary("semantic", await overHttp(keys, SEMANTIC_QUERIES.map(semanticPath))), "  target p50 ≤ 50 ms");
    console.log(summary("list", await overHttp(keys, cursors.map(listPath))), "  target ≤ 10 ms");
    console.log(
      summary(
        "lookup",
        await overHttp(
          keys,
          codes.map((c) => `${base}/${encodeURIComponent(c)}`),
        ),
      ),
      "  target ≤ 3 ms",
    );

    console.log("inside the Worker (domain verbs with their D1 queries; no HTTP, auth or rate limit):");
    const floor = await inWorker(Array.from({ length: 100 }, () => ({ op: "floor" as const, system: SYSTEM })));
    console.log(summary("D1 RT", floor), "  one `SELECT 1` round trip: the floor of any query here");
    console.log(
      summary("text", await inWorker(textOps.map((q) => ({ op: "text", system: SYSTEM, q })))),
      "  targets p50 ≤ 10 ms, p99 ≤ 30 ms",
    );
    for (const [kind, qs] of Object.entries(TEXT_QUERIES)) {
      console.log(summary(` ${kind}`, await inWorker(qs.map((q) => ({ op: "text", system: SYSTEM, q })))));
    }
    console.log(
      summary("semantic", await inWorker(SEMANTIC_QUERIES.map((q) => ({ op: "semantic", system: SYSTEM, q })))),
      "  target p50 ≤ 50 ms",
    );
    console.log(
      summary(
        "list",
        await inWorker(cursors.map((c) => ({ op: "list", system: SYSTEM, ...(c ? { cursor: c } : {}) }))),
      ),
      "  target ≤ 10 ms",
    );
    console.log(
      summary("lookup", await inWorker(codes.map((code) => ({ op: "lookup", system: SYSTEM, code })))),
      "  target ≤ 3 ms",
    );
  } finally {
    if (server.pid) process.kill(-server.pid, "SIGTERM");
  }
}

await main();
