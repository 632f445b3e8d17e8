import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { pathOf } from "../everything/fixtures";
import { call } from "../harness";

/**
 * Waits for the JOBS queue to settle before a test file ends: kick-offs put `bulk-export` messages on
 * the real queue, whose consumer runs them (batches are delivered after `max_batch_timeout`, 1 s in
 * wrangler.toml). Waits until no export is unfinished (at most `maxMs`), then one delivery interval
 * more, so no delivery reaches a runtime being torn down (which can keep vitest from exiting).
 */
export async function drainExports(maxMs = 15_000): Promise<void> {
  const until = Date.now() + maxMs;
  for (;;) {
    const r = await env.DB.prepare(
      "SELECT count(*) AS n FROM bulk_export_jobs WHERE status IN ('accepted', 'in-progress')",
    ).first<{ n: number }>();
    if (!r?.n || Date.now() > until) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 1500));
}

/** One exported NDJSON file, downloaded through Hearth with the caller's credential (Bulk Data v2 output). */
export async function downloadNdjson(url: string, auth: string): Promise<{ resourceType: string; id: string }[]> {
  const res = await call(pathOf(url), { auth });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("application/fhir+ndjson");
  const text = new TextDecoder().decode(await res.arrayBuffer());
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { resourceType: string; id: string });
}
