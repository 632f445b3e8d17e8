#!/usr/bin/env node
/**
 * A benchmark server without `wrangler dev`'s extra hops: the Worker is bundled once (wrangler's own
 * bundler, `deploy --dry-run`) and served by Miniflare on workerd directly, with the bindings of
 * wrangler.toml and the same local state layout as `wrangler dev --persist-to`.
 *
 * Why: `wrangler dev --local` puts a proxy Worker (its own workerd process, for hot reload and the
 * inspector) in front of the app, logs every request through Node, and restarts the Worker whenever a
 * source file changes. Latency measured through it is mostly that proxy. This server has none of it, and
 * serves a fixed build, so edits to the tree during a benchmark do not restart it.
 *
 *   PORT=8795 HEARTH_STATE_DIR=/tmp/hearth-bench node bench/serve-direct.mjs
 *   BENCH_URL=http://127.0.0.1:8795 npm run bench:crud
 *
 * Migrations are applied to the state first; create tenants through the admin API (the benches do).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const port = Number(process.env.PORT ?? 8795);
const state = resolve(process.env.HEARTH_STATE_DIR ?? ".wrangler/bench-direct");
const wrangler = (args) =>
  spawnSync("npx", ["wrangler", ...args], {
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });

if (wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]).status !== 0) process.exit(1);
const out = mkdtempSync(join(tmpdir(), "hearth-build-"));
if (wrangler(["deploy", "--dry-run", "--env=", "--outdir", out]).status !== 0) process.exit(1);

const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
// wrangler hands out options in Miniflare 4's flat shape; Miniflare 5 converts them.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port,
    // Same layout as `wrangler dev --persist-to <state>` (it keeps its stores under v3/).
    resourcePersistencePath: join(state, "v3"),
    logRequests: false,
    log: new Log(LogLevel.WARN),
    workers: [
      {
        ...workerOptions,
        name: "hearth",
        // Module paths are resolved under rootPath and may not climb out of it.
        rootPath: out,
        modulesRules: undefined,
        modules: [
          { type: "ESModule", path: join(out, "index.js"), contents: readFileSync(join(out, "index.js"), "utf8") },
        ],
      },
    ],
  }),
);
const url = await mf.ready;
console.log(`Hearth (direct Miniflare, build ${out}) on ${url}  state ${state}`);
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    void mf.dispose().finally(() => {
      rmSync(out, { recursive: true, force: true });
      process.exit(0);
    });
  });
