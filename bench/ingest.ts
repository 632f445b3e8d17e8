/**
 * npm run bench:ingest — loads the 81 Synthea sample bundles (2 batch bundles of shared practitioners,
 * organizations and locations first, then 79 patient transaction bundles with urn:uuid fullUrls and
 * conditional references) through POST /fhir/{storeId} of a running dev server, then checks that every
 * resource arrived (per-type counts by search) and prints resources/s and per-bundle p50/p95.
 *
 *   BENCH_URL            dev server (default http://127.0.0.1:8787)
 *   SYNTHEA_ARCHIVE      the .tar.xz (default ../shared/data/fhir/synthea-sample-bundles.tar.xz)
 *   BENCH_CONCURRENCY    transaction bundles in flight at once (default 1: D1 is the bottleneck, more only adds latency)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTenant, request } from "./lib/bench-env";
import { ms, percentile } from "./lib/stats";

const ARCHIVE = process.env.SYNTHEA_ARCHIVE ?? "../shared/data/fhir/synthea-sample-bundles.tar.xz";
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 1));

interface BundleFile {
  name: string;
  text: string;
  type: string;
  entries: number;
  byType: Map<string, number>;
}

function loadBundles(dir: string): BundleFile[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  return files.map((name) => {
    const text = readFileSync(join(dir, name), "utf8");
    const b = JSON.parse(text) as { type: string; entry: { resource: { resourceType: string } }[] };
    const byType = new Map<string, number>();
    for (const e of b.entry) byType.set(e.resource.resourceType, (byType.get(e.resource.resourceType) ?? 0) + 1);
    return { name, text, type: b.type, entries: b.entry.length, byType };
  });
}

async function main() {
  if (!existsSync(ARCHIVE)) {
    console.error(
      `Synthea archive not found at ${ARCHIVE} (the ../shared folder is absent?). Set SYNTHEA_ARCHIVE to its path.`,
    );
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "hearth-synthea-"));
  try {
    execFileSync("tar", ["-xJf", ARCHIVE, "-C", dir]);
    const all = loadBundles(dir);
    // Batch bundles (shared Practitioner/Organization/Location) first: the patient bundles refer to them conditionally.
    const batches = all.filter((b) => b.type === "batch");
    const transactions = all.filter((b) => b.type !== "batch");
    const tenant = await createTenant("ingest");
    console.log(
      `store ${tenant.storeId}: ${batches.length} batch + ${transactions.length} transaction bundles, ${all.reduce((n, b) => n + b.entries, 0)} entries; concurrency ${CONCURRENCY}`,
    );

    const latencies: { name: string; ms: number; entries: number }[] = [];
    const created = new Map<string, number>();
    let failures = 0;
    const send = async (b: BundleFile) => {
      const t0 = performance.now();
      const res = await request("POST", tenant.base, {
        token: tenant.key,
        body: b.text,
        headers: { Prefer: "return=minimal" },
      });
      const elapsed = performance.now() - t0;
      latencies.push({ name: b.name, ms: elapsed, entries: b.entries });
      if (res.status !== 200) {
        failures++;
        console.error(`✗ ${b.name}: HTTP ${res.status} ${res.text.slice(0, 400)}`);
        return;
      }
      const out = JSON.parse(res.text) as { entry: { response: { status: string; location?: string } }[] };
      const bad = out.entry.filter((e) => !/^20[01]/.test(e.response.status));
      if (bad.length) {
        failures++;
        console.error(`✗ ${b.name}: ${bad.length} entries failed, e.g. ${JSON.stringify(bad[0]).slice(0, 400)}`);
      }
      for (const e of out.entry) {
        if (!e.response.status.startsWith("201")) continue;
        const type = e.response.location?.split("/")[0] ?? "?";
        created.set(type, (created.get(type) ?? 0) + 1);
      }
    };

    const t0 = performance.now();
    for (const b of batches) await send(b);
    const tBatches = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < transactions.length) await send(transactions[next++]!);
      }),
    );
    const wall = performance.now() - t0;
    const entries = all.reduce((n, b) => n + b.entries, 0);
    const per = latencies.map((l) => l.ms);
    const txPer = latencies.filter((l) => transactions.some((t) => t.name === l.name)).map((l) => l.ms);
    console.log("");
    console.log(
      `loaded ${entries} resources in ${(wall / 1000).toFixed(1)} s  →  ${Math.round(entries / (wall / 1000))} resources/s`,
    );
    console.log(
      `  batch bundles:       ${((tBatches - t0) / 1000).toFixed(1)} s for ${batches.reduce((n, b) => n + b.entries, 0)} entries`,
    );
    console.log(
      `  transaction bundles: ${((performance.now() - tBatches) / 1000).toFixed(1)} s for ${transactions.reduce((n, b) => n + b.entries, 0)} entries`,
    );
    console.log(
      `per bundle (all 81):  p50 ${ms(percentile(per, 50))}  p95 ${ms(percentile(per, 95))}  max ${ms(Math.max(...per))}`,
    );
    console.log(`per transaction:      p50 ${ms(percentile(txPer, 50))}  p95 ${ms(percentile(txPer, 95))}`);

    // Verification: every entry created a resource, and a search count per type sees them all.
    const expected = new Map<string, number>();
    for (const b of all) for (const [t, n] of b.byType) expected.set(t, (expected.get(t) ?? 0) + n);
    let mismatches = 0;
    console.log("\nverification (expected = entries in the bundles; stored = search _summary=count)");
    for (const [type, n] of [...expected].sort()) {
      const r = await request("GET", `${tenant.base}/${type}?_summary=count`, { token: tenant.key });
      const stored = r.status === 200 ? (JSON.parse(r.text) as { total?: number }).total : undefined;
      const ok = stored === n && (created.get(type) ?? 0) === n;
      if (!ok) mismatches++;
      console.log(
        `  ${ok ? "✓" : "✗"} ${type.padEnd(24)} expected ${String(n).padStart(6)}  created ${String(created.get(type) ?? 0).padStart(6)}  stored ${String(stored ?? `HTTP ${r.status}`).padStart(6)}`,
      );
    }
    // References: every literal reference in a sample of resources must resolve in the store (urn:uuid
    // fullUrls and conditional references were rewritten to real Type/id).
    const refs = new Set<string>();
    const collect = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (k === "reference" && typeof v === "string" && !v.startsWith("#")) refs.add(v);
          else collect(v);
        }
      }
    };
    for (const type of [
      "Encounter",
      "Observation",
      "Claim",
      "ExplanationOfBenefit",
      "PractitionerRole",
      "Immunization",
    ]) {
      const r = await request("GET", `${tenant.base}/${type}?_count=25`, { token: tenant.key });
      collect((JSON.parse(r.text) as { entry?: { resource: unknown }[] }).entry?.map((e) => e.resource));
    }
    let unresolved = 0;
    for (const ref of refs) {
      const r = await request("GET", `${tenant.base}/${ref}`, { token: tenant.key });
      if (r.status !== 200) {
        unresolved++;
        if (unresolved <= 5) console.error(`  ✗ reference ${ref} → HTTP ${r.status}`);
      }
    }
    console.log(`references: ${refs.size - unresolved}/${refs.size} distinct references in sampled resources resolve`);
    if (unresolved) mismatches++;
    if (failures || mismatches) {
      console.error(`\nFAILED: ${failures} bundle(s) with errors, ${mismatches} type count mismatch(es)`);
      process.exitCode = 1;
    } else {
      console.log("\nall bundles loaded completely and correctly");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
