/**
 * npm run bench:crud — single-resource create, read and update latency at one client against a running
 * dev server (BENCH_URL, default http://127.0.0.1:8787). Prints p50/p95/p99 per interaction.
 *
 *   BENCH_N   resources created/updated (default 300); reads are 3× that.
 */
import { createTenant, request } from "./lib/bench-env";
import { summary } from "./lib/stats";

const N = Math.max(10, Number(process.env.BENCH_N ?? 300));
const WARMUP = 20;

function observation(i: number, value: number) {
  return {
    resourceType: "Observation",
    status: "final",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
    ],
    code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
    subject: { reference: `Patient/bench-${i % 50}` },
    effectiveDateTime: "2024-05-23T10:12:00Z",
    valueQuantity: { value, unit: "beats/min", system: "http://unitsofmeasure.org", code: "/min" },
  };
}

async function timed(fn: () => Promise<{ status: number; text: string }>, expect: number[]): Promise<[number, string]> {
  const t0 = performance.now();
  const r = await fn();
  const elapsed = performance.now() - t0;
  if (!expect.includes(r.status)) throw new Error(`unexpected HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return [elapsed, r.text];
}

async function main() {
  const t = await createTenant("crud");
  const create: number[] = [];
  const read: number[] = [];
  const update: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const [elapsed, text] = await timed(
      () =>
        request("POST", `${t.base}/Observation`, { token: t.key, body: JSON.stringify(observation(i, 60 + (i % 40))) }),
      [201],
    );
    if (i >= WARMUP) create.push(elapsed);
    ids.push((JSON.parse(text) as { id: string }).id);
  }
  for (let i = 0; i < 3 * N + WARMUP; i++) {
    const id = ids[i % ids.length]!;
    const [elapsed] = await timed(() => request("GET", `${t.base}/Observation/${id}`, { token: t.key }), [200]);
    if (i >= WARMUP) read.push(elapsed);
  }
  for (let i = 0; i < N + WARMUP; i++) {
    const id = ids[i % ids.length]!;
    const body = JSON.stringify({ ...observation(i, 100 + i), id });
    const [elapsed] = await timed(() => request("PUT", `${t.base}/Observation/${id}`, { token: t.key, body }), [200]);
    if (i >= WARMUP) update.push(elapsed);
  }
  console.log(
    `store ${t.storeId}, 1 client, ${N} creates, ${3 * N} reads, ${N} updates (after ${WARMUP} warm-up calls each)`,
  );
  console.log(summary("create", create));
  console.log(summary("read", read));
  console.log(summary("update", update));
}

await main();
