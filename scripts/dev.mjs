#!/usr/bin/env node
// `npm run dev`: everything a fresh clone needs to serve the API locally, in one command.
// 1. .dev.vars from .dev.vars.example when missing; 2. local D1 migrations; 3. a demo tenant
// (printed with its API key) on first run; 4. wrangler dev --local on 127.0.0.1:8787.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
const persist = process.env.HEARTH_STATE_DIR; // optional: keep local state elsewhere (benchmarks)
const persistArgs = persist ? ["--persist-to", persist] : [];
const run = (args) =>
  spawnSync("npx", ["wrangler", ...args], {
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example");
}
const applied = run(["d1", "migrations", "apply", "DB", "--local", ...persistArgs]);
if (applied.status !== 0) process.exit(applied.status ?? 1);

const child = spawn("npx", ["wrangler", "dev", "--local", "--ip", "127.0.0.1", "--port", port, ...persistArgs], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));

// Demo tenant: created once through the admin API, remembered in .wrangler/demo-tenant.json.
const demoFile = `${persist ?? ".wrangler"}/demo-tenant.json`;
const adminToken = /^HEARTH_ADMIN_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim();
const base = `http://127.0.0.1:${port}`;
async function waitReady() {
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
if (await waitReady()) {
  if (existsSync(demoFile)) {
    const demo = JSON.parse(readFileSync(demoFile, "utf8"));
    console.log(`\nHearth is ready on ${base}  (demo org ${demo.orgId}, API key in ${demoFile})\n`);
  } else if (adminToken) {
    const r = await fetch(`${base}/admin/organizations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Demo" }),
    });
    const body = await r.json();
    if (r.status === 201) {
      const demo = { orgId: body.data.id, apiKey: body.data.apiKey.key };
      writeFileSync(demoFile, `${JSON.stringify(demo, null, 2)}\n`);
      console.log(
        `\nHearth is ready on ${base}\nDemo organization: ${demo.orgId}\nDemo API key:      ${demo.apiKey}\n(saved in ${demoFile})\n`,
      );
    } else {
      console.error("Could not create the demo tenant:", body);
    }
  }
}
