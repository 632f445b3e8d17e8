import { env } from "cloudflare:workers";

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
