/**
 * Where the import CLI writes: the local D1 of `wrangler dev` (through wrangler's platform proxy,
 * the same D1 binding API the Worker uses) or a deployed D1 (`wrangler d1 execute --remote`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { d1Executor, type SqlExecutor, type SqlStatement } from "../../src/features/terminology/sql-executor";

export interface LocalTarget {
  kind: "local";
  db: D1Database;
  exec: SqlExecutor;
  dispose(): Promise<void>;
}

export interface RemoteTarget {
  kind: "remote";
  exec: SqlExecutor & { flush(): Promise<void> };
  dispose(): Promise<void>;
}

interface D1Config {
  binding: string;
  database_name: string;
  database_id: string;
  migrations_dir?: string;
}

/** The `DB` binding of wrangler.toml (top level or an `[env.<name>]` section). */
function d1Config(configPath: string, env?: string): D1Config {
  const toml = readFileSync(configPath, "utf8");
  const header = env ? `[[env.${env}.d1_databases]]` : "[[d1_databases]]";
  const at = toml.indexOf(header);
  if (at < 0) throw new Error(`${configPath} has no ${header} section`);
  const block = toml.slice(at + header.length).split(/\n\s*\[/)[0]!;
  const field = (k: string) => new RegExp(`^\\s*${k}\\s*=\\s*"([^"]*)"`, "m").exec(block)?.[1];
  const binding = field("binding");
  const database_name = field("database_name");
  const database_id = field("database_id");
  if (binding !== "DB" || !database_name || !database_id)
    throw new Error(`${header} in ${configPath} must bind DB with a name and id`);
  return { binding, database_name, database_id, migrations_dir: field("migrations_dir") };
}

function runWrangler(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("npx", ["wrangler", ...args], {
    encoding: "utf8",
    input,
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * The local D1 of `wrangler dev` (state in `.wrangler/state/v3`, or `<persist-to>/v3` like
 * `wrangler dev --persist-to`). Pending migrations are applied first. The proxy is started from a
 * minimal config holding only the D1 binding, so nothing else of the Worker has to start.
 */
export async function localTarget(options: { configPath: string; persistTo?: string }): Promise<LocalTarget> {
  const cfg = d1Config(options.configPath);
  const persistArgs = options.persistTo ? ["--persist-to", options.persistTo] : [];
  const applied = runWrangler([
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "--config",
    options.configPath,
    ...persistArgs,
  ]);
  if (applied.status !== 0)
    throw new Error(`applying local D1 migrations failed:\n${applied.stderr || applied.stdout}`);
  const dir = mkdtempSync(join(tmpdir(), "hearth-terminology-"));
  const minimal = join(dir, "wrangler.json");
  writeFileSync(
    minimal,
    JSON.stringify({
      name: "hearth-terminology-import",
      compatibility_date: "2026-10-20",
      d1_databases: [{ binding: "DB", database_name: cfg.database_name, database_id: cfg.database_id }],
    }),
  );
  const { getPlatformProxy } = await import("wrangler");
  const persistPath = resolve(options.persistTo ?? ".wrangler/state", "v3");
  const proxy = await getPlatformProxy<{ DB: D1Database }>({ configPath: minimal, persist: { path: persistPath } });
  return {
    kind: "local",
    db: proxy.env.DB,
    exec: d1Executor(proxy.env.DB),
    async dispose() {
      await proxy.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SQL literal of a bound value (the remote path sends statements as SQL text). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} to SQL`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "1" : "0";
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** Replaces `?N` placeholders (outside string literals) by the literal of parameter N. */
export function inlineParams(stmt: SqlStatement): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < stmt.sql.length; i++) {
    const c = stmt.sql[i]!;
    if (c === "'") inString = !inString;
    if (!inString && c === "?") {
      const m = /^\d+/.exec(stmt.sql.slice(i + 1));
      if (!m) throw new Error("only numbered parameters (?1, ?2, …) can be inlined");
      out += literal(stmt.params[Number(m[0]) - 1]);
      i += m[0].length;
      continue;
    }
    out += c;
  }
  return out.trim().replace(/;?$/, ";");
}

/** Bulk statements are written to SQL files of about this size and sent with `--file`. */
const FILE_BYTES = 20 * 1024 * 1024;

/**
 * A deployed D1 through wrangler (`--remote`, optionally `--env production`). Bulk inserts are
 * gathered in SQL files (D1's import path); reads and small transactions go through `--command`.
 */
export function remoteTarget(options: { configPath: string; env?: string }): RemoteTarget {
  d1Config(options.configPath, options.env);
  const base = [
    "d1",
    "execute",
    "DB",
    "--remote",
    "--config",
    options.configPath,
    ...(options.env ? ["--env", options.env] : []),
  ];
  const dir = mkdtempSync(join(tmpdir(), "hearth-terminology-"));
  let pending: string[] = [];
  let pendingBytes = 0;
  let files = 0;

  const command = (sqlText: string): Array<{ results: unknown[]; meta?: { changes?: number } }> => {
    const r = runWrangler([...base, "--json", "--command", sqlText]);
    if (r.status !== 0) throw new Error(`wrangler d1 execute failed:\n${r.stderr || r.stdout}`);
    return JSON.parse(r.stdout) as Array<{ results: unknown[]; meta?: { changes?: number } }>;
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const file = join(dir, `chunk-${++files}.sql`);
    writeFileSync(file, `${pending.join("\n")}\n`);
    pending = [];
    pendingBytes = 0;
    const r = runWrangler([...base, "--yes", "--file", file]);
    rmSync(file, { force: true });
    if (r.status !== 0) throw new Error(`wrangler d1 execute --file failed:\n${r.stderr || r.stdout}`);
  };
  const exec: SqlExecutor & { flush(): Promise<void> } = {
    flush,
    async batch(stmts) {
      const text = stmts.map(inlineParams);
      // A few statements (e.g. the activation) run at once, as one command, so their changes are known.
      if (stmts.length <= 4 && !text.some((t) => t.length > 50_000)) {
        await flush();
        return command(text.join("\n")).map((r) => r.meta?.changes ?? 0);
      }
      for (const t of text) {
        pending.push(t);
        pendingBytes += t.length;
      }
      if (pendingBytes >= FILE_BYTES) await flush();
      return stmts.map(() => 0);
    },
    async first<T>(text: string, params: unknown[] = []) {
      await flush();
      const [res] = command(inlineParams({ sql: text, params }));
      return ((res?.results?.[0] as T | undefined) ?? null) as T | null;
    },
    async all<T>(text: string, params: unknown[] = []) {
      await flush();
      const [res] = command(inlineParams({ sql: text, params }));
      return (res?.results ?? []) as T[];
    },
  };
  return {
    kind: "remote",
    exec,
    async dispose() {
      await flush();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
