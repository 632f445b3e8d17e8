/**
 * npm run bench:crud — single-resource create, read and update latency at one client against a running
 * server (BENCH_URL, default http://127.0.0.1:8787). Prints p50/p95/p99 per interaction as the client
 * sees it, and Hearth's own share from the `Server-Timing` header (`app` = time in the Worker; `d1` =
 * D1 round trips), next to two baselines measured the same way:
 *   floor   GET of an unknown route: no auth, no D1 (the server's fixed per-request cost: proxy, routing)
 *   health  GET /health: one D1 round trip, no auth
 * Client minus floor ≈ what the interaction costs beyond the local server's transport.
 *
 *   BENCH_N   resources created/updated (default 300); reads are 3× that.
 *
 * `wrangler dev` (npm run dev) puts a proxy Worker in front of the app; bench/serve-direct.mjs serves
 * the same build on Miniflare without it (see there).
 */
import { createTenant, request } from "./lib/bench-env";
import { parseServerTiming, type ServerSample } from "./lib/server-timing";
import { ms, percentile, summary } from "./lib/stats";

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

interface Series {
  client: number[];
  server: ServerSample[];
}

const series = (): Series => ({ client: [], server: [] });

async function timed(
  into: Series | null,
  fn: () => Promise<{ status: number; text: string; headers: Headers }>,
  expect: number[],
): Promise<string> {
  const t0 = performance.now();
  const r = await fn();
  const elapsed = performance.now() - t0;
  if (!expect.includes(r.status)) throw new Error(`unexpected HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  if (into) {
    into.client.push(elapsed);
    into.server.push(parseServerTiming(r.headers.get("Server-Timing")));
  }
  return r.text;
}

function report(label: string, s: Series): string {
  const p50 = (name: string) =>
    percentile(
      s.server.map((x) => x.dur[name] ?? 0),
      50,
    );
  const trips = s.server.map((x) => x.d1RoundTrips);
  const server =
    `server p50 app ${ms(p50("app"))}` +
    (s.server.some((x) => x.dur.auth !== undefined) ? ` (auth ${ms(p50("auth"))}, rate ${ms(p50("rate"))})` : "") +
    `, p95 app ${ms(
      percentile(
        s.server.map((x) => x.dur.app ?? 0),
        95,
      ),
    )}; D1 round trips/request ${percentile(trips, 50)} (max ${Math.max(...trips)})`;
  return `${summary(label, s.client)}  |  ${server}`;
}

async function main() {
  const t = await createTenant("crud");
  const floor = series();
  const health = series();
  const create = series();
  const read = series();
  const update = series();
  const ids: string[] = [];
  // Baselines, interleaved with nothing else so they measure the bare server.
  for (let i = 0; i < N + WARMUP; i++) {
    await timed(i >= WARMUP ? floor : null, () => request("GET", "/__bench/no-such-route"), [404]);
    await timed(i >= WARMUP ? health : null, () => request("GET", "/health"), [200]);
  }
  for (let i = 0; i < N + WARMUP; i++) {
    const text = await timed(
      i >= WARMUP ? create : null,
      () =>
        request("POST", `${t.base}/Observation`, { token: t.key, body: JSON.stringify(observation(i, 60 + (i % 40))) }),
      [201],
    );
    ids.push((JSON.parse(text) as { id: string }).id);
  }
  for (let i = 0; i < 3 * N + WARMUP; i++) {
    const id = ids[i % ids.length]!;
    await timed(
      i >= WARMUP ? read : null,
      () => request("GET", `${t.base}/Observation/${id}`, { token: t.key }),
      [200],
    );
  }
  for (let i = 0; i < N + WARMUP; i++) {
    const id = ids[i % ids.length]!;
    const body = JSON.stringify({ ...observation(i, 100 + i), id });
    await timed(
      i >= WARMUP ? update : null,
      () => request("PUT", `${t.base}/Observation/${id}`, { token: t.key, body }),
      [200],
    );
  }
  console.log(
    `store ${t.storeId}, 1 client, ${N} creates, ${3 * N} reads, ${N} updates (after ${WARMUP} warm-up calls each)`,
  );
  console.log(report("floor", floor));
  console.log(report("health", health));
  console.log(report("create", create));
  console.log(report("read", read));
  console.log(report("update", update));
  console.log("targets (issue 3): read p50 ≤ 3 ms, create p50 ≤ 10 ms at 1 client");
}

await main();
