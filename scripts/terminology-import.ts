/**
 * Loads an official terminology release into a builtin code system.
 *
 *   npm run terminology:import -- --system ICD-10-CM --version 2025 --file icd10cm_order_2025.txt
 *   npm run terminology:import -- --system ICD-10-CM --version 2025 --file ICD10CM_2025_codes.csv --index ICD10CM_2025_Index.csv
 *   npm run terminology:import -- --system LOINC --version 2.78 --file Loinc.csv
 *   npm run terminology:import -- --system RXNORM --version 11042024 --file RXNCONSO.RRF --rel RXNREL.RRF
 *   npm run terminology:import -- --system SNOMED_CT_US_LITE --version 20240901 \
 *       --file sct2_Description_Snapshot-en_US1000124_20240901.txt --rel sct2_Relationship_Snapshot_US1000124_20240901.txt \
 *       [--lang der2_cRefset_LanguageSnapshot-en_US1000124_20240901.txt]
 *   npm run terminology:import -- --system HPO --version 2025 --file hp.obo        (or hp.json)
 *   npm run terminology:import -- --system CPT --version 2025 --file <your licensed CPT file (CSV/TSV)>
 *
 * Writes the local D1 of `wrangler dev` (migrations applied first; `--persist-to <dir>` like
 * `wrangler dev --persist-to`), or with `--remote [--env production]` the deployed D1. A re-import
 * replaces the version atomically: readers see the old codes until the new ones are complete.
 * Locally it also builds the vectors of the local semantic index; in production the Worker embeds
 * the codes with Workers AI on first use (queue job `terminology.embed`).
 */
import { performance } from "node:perf_hooks";
import { localTarget, remoteTarget } from "./lib/terminology-executors";
import { loadRelease } from "./lib/terminology-load";
import { FORMATS, openSource } from "./lib/terminology-sources";

interface Args {
  system?: string;
  version?: string;
  file?: string;
  index?: string;
  rel?: string;
  lang?: string;
  format?: string;
  "code-col"?: string;
  "desc-col"?: string;
  "defn-col"?: string;
  remote?: boolean;
  env?: string;
  "persist-to"?: string;
  config?: string;
  "no-vectors"?: boolean;
  help?: boolean;
}

const FLAGS = new Set(["remote", "no-vectors", "help"]);

function parseArgs(argv: string[]): Args {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument '${a}'`);
    const [key, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (FLAGS.has(key)) out[key] = true;
    else {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new Error(`--${key} needs a value`);
      out[key] = value;
    }
  }
  return out as Args;
}

const USAGE = `usage: npm run terminology:import -- --system <NAME> --version <VERSION> --file <path>
  [--index <ICD-10-CM index .csv|.xml>] [--rel <RXNREL.RRF | sct2_Relationship_Snapshot>] [--lang <SNOMED language refset>]
  [--format ${FORMATS.join("|")}] [--code-col c --desc-col d [--defn-col x]]
  [--remote [--env production]] [--persist-to <dir>] [--config wrangler.toml] [--no-vectors]`;

function bar(fraction: number, width = 30): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || !args.system || !args.version || !args.file) {
    console.log(USAGE);
    process.exitCode = args.help ? 0 : 2;
    return;
  }
  const configPath = args.config ?? "wrangler.toml";
  const started = performance.now();
  const source = await openSource({
    system: args.system.trim().toUpperCase(),
    file: args.file,
    format: args.format,
    index: args.index,
    rel: args.rel,
    lang: args.lang,
    codeCol: args["code-col"],
    descCol: args["desc-col"],
    defnCol: args["defn-col"],
  });
  const target = args.remote
    ? remoteTarget({ configPath, env: args.env })
    : await localTarget({ configPath, persistTo: args["persist-to"] });
  console.error(
    `Importing ${args.system} ${args.version} (${source.format}) from ${args.file} into the ${target.kind === "local" ? "local" : "remote"} D1`,
  );

  let codes = 0;
  let phase = "codes";
  let lastDraw = 0;
  const draw = (force = false) => {
    const t = performance.now();
    if (!force && t - lastDraw < 200) return;
    lastDraw = t;
    const secs = (t - started) / 1000;
    const frac = phase === "codes" ? source.progress.bytesRead / Math.max(1, source.progress.size) : 1;
    const label = phase === "codes" ? `${Math.round(frac * 100)}%` : phase;
    process.stderr.write(
      `\r${bar(frac)} ${label.padEnd(8)} ${codes.toLocaleString("en-US")} codes  ${secs.toFixed(1)}s   `,
    );
  };
  const timer = setInterval(() => draw(), 250);
  try {
    const result = await loadRelease({
      exec: target.exec,
      db: target.kind === "local" && !args["no-vectors"] ? target.db : undefined,
      system: args.system,
      version: args.version,
      records: source.records,
      // Remote statements travel as SQL text, which D1 limits to 100 KB each.
      chunkBytes: target.kind === "remote" ? 60_000 : undefined,
      onCodes: (n) => {
        codes = n;
        draw();
      },
      onPhase: (p) => {
        phase = p;
        draw(true);
      },
    });
    if (target.kind === "remote") await target.exec.flush();
    clearInterval(timer);
    draw(true);
    const total = (performance.now() - started) / 1000;
    const rate = Math.round(result.written.count / total);
    process.stderr.write("\n");
    console.log(
      [
        `${args.system.toUpperCase()} ${args.version}: ${result.written.count.toLocaleString("en-US")} codes loaded in ${total.toFixed(1)} s (${rate.toLocaleString("en-US")} codes/s)`,
        `  codes ${result.seconds.codes.toFixed(1)} s, vectors ${result.seconds.vectors.toFixed(1)} s (${result.vectors.toLocaleString("en-US")})${target.kind === "remote" ? " — vectors are built by the Worker on first semantic search" : ""}`,
        `  system ${result.systemId}, generation ${result.written.setId} is now active`,
      ].join("\n"),
    );
  } finally {
    clearInterval(timer);
    await target.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write("\n");
  console.error(`terminology import failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
