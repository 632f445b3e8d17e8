/**
 * Builds and checks the starter terminology content (src/features/terminology/starter/*.json) and
 * the SQL seed migration made from it (migrations/0004_terminology_starter.sql).
 *
 *   npx tsx scripts/lib/terminology-starter.ts pick  --data ../shared/data/terminology
 *       ICD-10-CM and HPO entries taken from the official files (codes + names + index synonyms)
 *   npx tsx scripts/lib/terminology-starter.ts check [--data ../shared/data/terminology]
 *       every ICD-10-CM and HPO entry against the official files; SNOMED CT ids by their Verhoeff
 *       check digit, LOINC codes by their mod-10 check digit
 *   npx tsx scripts/lib/terminology-starter.ts sql
 *       regenerates the migration from the JSON files
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_SYSTEMS, builtinSystemId } from "../../src/features/terminology/catalog";
import { csvRows } from "../../src/features/terminology/importers/csv";
import { readIcd10cmIndexCsv } from "../../src/features/terminology/importers/icd10cm-index";
import { fromString } from "../../src/features/terminology/importers/lines";
import { cleanSynonyms } from "../../src/features/terminology/importers/types";
import { codeKey, words } from "../../src/features/terminology/text";

const STARTER_DIR = "src/features/terminology/starter";
const MIGRATION = "migrations/0004_terminology_starter.sql";
/** Fixed timestamp: the migration must produce the same rows on every machine. */
const SEEDED_AT = "2025-01-01T00:00:00.000Z";

interface StarterCode {
  code: string;
  description: string;
  synonyms?: string[];
  parents?: string[];
}

/** Which JSON file fills which builtin system. */
const FILES: Record<string, string> = {
  "ICD-10-CM": "icd-10-cm.json",
  SNOMED_CT_US_LITE: "snomed-ct.json",
  LOINC: "loinc.json",
  RXNORM: "rxnorm.json",
  HPO: "hpo.json",
};

/** Common diagnoses of primary care, emergency and inpatient medicine. */
const ICD10CM_PICK = `
E11.9 E11.65 E11.21 E11.22 E11.40 E11.42 E11.319 E11.649 E11.8 E11.69 E10.9 E10.65 E10.10 E13.9 E78.5 E78.00 E78.1
E78.2 E66.9 E66.01 E66.3 E03.9 E05.90 E87.1 E87.6 E87.5 E86.0 E55.9 E53.8 D50.9 D51.0 D64.9 D69.6 D70.9 R73.9 R73.01
R73.03 R73.09 I10 I11.0 I12.9 I20.9 I21.9 I21.4 I25.10 I25.2 I48.91 I48.0 I48.2 I50.9 I50.22 I50.32 I63.9 G45.9 I61.9
I26.99 I82.409 I73.9 I95.9 I47.1 I49.9 R00.0 R00.1 R00.2 I46.9 I42.9 I71.4 I83.90 J44.9 J44.1 J45.909 J45.20
J45.901 J18.9 J06.9 J02.9 J02.0 J01.90 J20.9 J40 J30.9 J96.00 J90 J93.9 J98.4 U07.1 J10.1 J11.1 K21.9 K29.70 K25.9
K27.9 K35.80 K57.30 K57.32 K58.9 K59.00 K80.20 K81.0 K85.90 K92.2 K92.1 K92.0 K70.30 K74.60 K76.0 K50.90 K51.90
K40.90 K64.9 K52.9 N18.9 N18.30 N18.4 N18.5 N18.6 N17.9 N39.0 N30.00 N10 N20.0 N40.0 N40.1 N95.1 N92.0 N94.6 N97.9
R31.9 R30.0 R35.0 R32 R33.9 F32.9 F32.A F33.9 F41.1 F41.9 F41.0 F43.10 F90.9 F31.9 F20.9 F10.20 F17.210 F11.20 F03.90
F84.0 F42.9 G30.9 G35 G40.909 G43.909 G47.00 G47.33 G62.9 G56.00 G89.29 G51.0 G25.81 R51.9 R42 R55 R56.9 R41.0 R53.83
R53.1 R50.9 R05.9 R06.02 R06.00 R06.01 R06.2 R06.83 R07.9 R10.9 R11.2 R11.0 R11.10 R19.7 R21 R60.0 R63.4 R63.5 R63.0
R63.1 R04.0 R04.2 R09.02 R17 R20.2 R20.0 R25.1 R26.89 R29.6 R40.20 R45.851 R52 L29.9 L50.9 M54.50 M54.2 M54.30 M25.50
M79.10 M79.7 M17.9 M16.9 M19.90 M06.9 M10.9 M81.0 M62.81 M41.9 M72.2 M75.100 L03.90 L30.9 L20.9 L40.9 L70.0 L63.9
L89.90 L02.91 B02.9 B01.9 B05.9 B26.9 A37.90 A09 A41.9 A08.4 B34.9 B20 B18.2 B18.1 A15.0 A69.20 B35.3 B37.9 A04.72
Z00.00 Z00.01 Z23 Z79.4 Z79.01 Z79.84 Z87.891 Z86.73 Z72.0 Z88.0 Z33.1 Z34.90 O24.419 O14.90 O03.9 O60.00 O80 N92.6
E28.2 N80.9 N97.9 C50.919 C34.90 C18.9 C61 C43.9 C91.10 C85.90 C80.1 C79.9 D49.9 H10.9 H25.9 H40.9 H52.13 H52.03
H50.9 H55.00 H66.90 H60.90 H92.09 H91.90 H93.19 H81.10 R44.1 E84.9 Q90.9 Q21.0 Q21.1 Q35.9 Q36.9 Q66.89 Q69.9 Q70.9
E72.11 E70.0 R62.50 R62.51 F88 F79 Q02 Q75.3 P07.30 P59.9 R68.83 R23.0 R23.1 R61 R10.84 R19.4 R14.0 K30 R12
`;

/** Common phenotypes (HPO ids) used in clinical and rare-disease notes. */
const HPO_PICK = `
HP:0000001 HP:0000118 HP:0001250 HP:0001263 HP:0001249 HP:0000252 HP:0000256 HP:0001252 HP:0001290 HP:0001257
HP:0002376 HP:0000729 HP:0000717 HP:0004322 HP:0000098 HP:0001508 HP:0001513 HP:0000365 HP:0000505 HP:0000486
HP:0000639 HP:0000518 HP:0000501 HP:0001631 HP:0001629 HP:0001627 HP:0001635 HP:0011675 HP:0000822 HP:0002090
HP:0002099 HP:0012735 HP:0002094 HP:0002014 HP:0002019 HP:0002013 HP:0002018 HP:0002027 HP:0001945 HP:0012378
HP:0002315 HP:0002076 HP:0001337 HP:0001251 HP:0002360 HP:0000716 HP:0000739 HP:0000007 HP:0000006 HP:0001903
HP:0001873 HP:0001875 HP:0001744 HP:0002240 HP:0000083 HP:0000093 HP:0000790 HP:0000819 HP:0003074 HP:0001943
HP:0000821 HP:0000836 HP:0003124 HP:0001159 HP:0010442 HP:0001762 HP:0000175 HP:0410030 HP:0001382 HP:0002650
HP:0000988 HP:0000989 HP:0000957 HP:0001596 HP:0002829 HP:0003326 HP:0001324 HP:0001288 HP:0100543 HP:0000726
HP:0001298 HP:0001297 HP:0001061 HP:0000964 HP:0000969 HP:0002664 HP:0003002 HP:0012125 HP:0001909 HP:0002665
HP:0001626 HP:0001638 HP:0001644 HP:0001640 HP:0002091 HP:0002107 HP:0001919 HP:0000112 HP:0000707 HP:0000478
HP:0000598 HP:0000152 HP:0000271 HP:0001574 HP:0000924 HP:0003011 HP:0001939 HP:0001871 HP:0002715 HP:0025031
HP:0000119 HP:0001197 HP:0001507 HP:0000769 HP:0001392 HP:0001396 HP:0002910 HP:0001394 HP:0012531 HP:0002017
`;

const parseArgs = (argv: string[]) => {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) if (argv[i]!.startsWith("--")) out[argv[i]!.slice(2)] = argv[i + 1] ?? "";
  return out;
};

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const starter = (system: string): StarterCode[] => readJson(join(STARTER_DIR, FILES[system]!));
const pickList = (s: string) => s.split(/\s+/).filter(Boolean);

async function icdTabular(dataDir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const text = readFileSync(join(dataDir, "icd10cm_2025/ICD10CM_2025_codes.csv"), "utf8");
  for await (const row of csvRows(fromString(text))) map.set(row.values.Code!.trim(), row.values.Description!.trim());
  return map;
}

function hpoDictionary(dataDir: string): Record<string, string[]> {
  return readJson(join(dataDir, "hpo-dictionary-2023-10-09/id_word_map.json"));
}

/** The dictionary is lower-cased; HPO labels are sentence case. */
const sentenceCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The PhenoTagger dictionary lemmatizes its words ("generalize hypotonia") and may list a merged
 * obsolete term first, so these labels are written out; `check` still finds each one among the
 * dictionary's names for that id.
 */
const HPO_LABELS: Record<string, string> = {
  "HP:0000729": "Autistic behavior",
  "HP:0000957": "Cafe-au-lait spot",
  "HP:0001290": "Generalized hypotonia",
  "HP:0001644": "Dilated cardiomyopathy",
  "HP:0001871": "Abnormality of blood and blood-forming tissues",
  "HP:0001939": "Abnormality of metabolism/homeostasis",
  "HP:0002013": "Vomiting",
  "HP:0002910": "Elevated hepatic transaminase",
  "HP:0011675": "Arrhythmia",
};

/** Dictionary names back in plain form (`cafe - au - lait` → `cafe-au-lait`), obsolete ones dropped. */
function hpoSynonyms(label: string, names: string[]): string[] {
  const plain = names
    .map((n) =>
      n
        .replace(/\s+([-/])\s+/g, "$1")
        .replace(/\s+,/g, ",")
        .trim(),
    )
    .filter((n) => n && !n.startsWith("obsolete") && n.length <= 50);
  return cleanSynonyms(label, plain).slice(0, 6);
}

/** Whether `label` is one of the dictionary's (lemmatized) names: each dictionary word starts the label's word. */
function matchesDictionary(label: string, names: string[]): boolean {
  const lw = words(label.replace(/-/g, " "));
  return names.some((n) => {
    const nw = words(n.replace(/-/g, " "));
    return nw.length === lw.length && nw.every((w, i) => lw[i]!.startsWith(w) || w.startsWith(lw[i]!));
  });
}

/** Index synonyms worth keeping for a starter entry: short, distinct, at most eight. */
function starterSynonyms(description: string, index: string[]): string[] {
  return cleanSynonyms(
    description,
    index.filter((s) => s.length <= 80),
  ).slice(0, 8);
}

async function pick(dataDir: string) {
  const tabular = await icdTabular(dataDir);
  const index = await readIcd10cmIndexCsv(
    fromString(readFileSync(join(dataDir, "icd10cm_2025/ICD10CM_2025_Index.csv"), "utf8")),
  );
  const codes = [...new Set(pickList(ICD10CM_PICK))];
  const missing = codes.filter((c) => !tabular.has(c));
  if (missing.length) console.warn(`ICD-10-CM codes not in the 2025 tabular list (skipped): ${missing.join(" ")}`);
  const kept = codes.filter((c) => tabular.has(c)).sort((a, b) => (codeKey(a) < codeKey(b) ? -1 : 1));
  const keys = new Set(kept.map(codeKey));
  const icd: StarterCode[] = kept.map((code) => {
    const description = tabular.get(code)!;
    const key = codeKey(code);
    let parent: string | undefined;
    for (let len = key.length - 1; len >= 3 && !parent; len--) {
      const p = kept.find((k) => codeKey(k) === key.slice(0, len));
      if (p && keys.has(codeKey(p))) parent = p;
    }
    return {
      code,
      description,
      synonyms: starterSynonyms(description, index.get(key) ?? []),
      ...(parent ? { parents: [parent] } : {}),
    };
  });
  writeFileSync(join(STARTER_DIR, FILES["ICD-10-CM"]!), `${JSON.stringify(icd, null, 1)}\n`);

  const dict = hpoDictionary(dataDir);
  const ids = [...new Set(pickList(HPO_PICK))];
  const absent = ids.filter((id) => !dict[id]);
  if (absent.length) console.warn(`HPO ids not in the dictionary (skipped): ${absent.join(" ")}`);
  const hpo: StarterCode[] = ids
    .filter((id) => dict[id])
    .sort()
    .map((id) => {
      const names = dict[id]!;
      const description = HPO_LABELS[id] ?? sentenceCase(names[0]!);
      return { code: id, description, synonyms: hpoSynonyms(description, names) };
    });
  writeFileSync(join(STARTER_DIR, FILES.HPO!), `${JSON.stringify(hpo, null, 1)}\n`);
  console.log(`picked ${icd.length} ICD-10-CM codes and ${hpo.length} HPO terms`);
}

/** SNOMED CT identifiers end with a Verhoeff check digit (SNOMED CT TIG, "SCTID check digit"). */
const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
export function verhoeffValid(id: string): boolean {
  let c = 0;
  const digits = id.split("").reverse().map(Number);
  digits.forEach((d, i) => {
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d]!]!;
  });
  return c === 0;
}

/** LOINC's mod-10 check digit (LOINC Users' Guide, "Check digit"). */
export function loincValid(code: string): boolean {
  const m = /^(\d+)-(\d)$/.exec(code);
  if (!m) return false;
  const digits = m[1]!.split("").reverse();
  const odd = digits
    .filter((_, i) => i % 2 === 0)
    .reverse()
    .join("");
  const even = digits
    .filter((_, i) => i % 2 === 1)
    .reverse()
    .join("");
  const joined = even + String(Number(odd) * 2);
  const sum = joined.split("").reduce((a, d) => a + Number(d), 0);
  return (10 - (sum % 10)) % 10 === Number(m[2]);
}

async function check(dataDir: string | undefined) {
  const problems: string[] = [];
  const uniq = (system: string, list: StarterCode[]) => {
    const seen = new Set<string>();
    for (const c of list) {
      if (seen.has(c.code)) problems.push(`${system}: duplicate ${c.code}`);
      seen.add(c.code);
      if (!c.description.trim()) problems.push(`${system}: ${c.code} has no description`);
    }
  };
  for (const s of Object.keys(FILES)) uniq(s, starter(s));
  for (const c of starter("SNOMED_CT_US_LITE"))
    if (!verhoeffValid(c.code)) problems.push(`SNOMED CT: ${c.code} fails its check digit`);
  for (const c of starter("LOINC")) if (!loincValid(c.code)) problems.push(`LOINC: ${c.code} fails its check digit`);
  for (const c of starter("RXNORM")) if (!/^\d+$/.test(c.code)) problems.push(`RxNorm: ${c.code} is not numeric`);
  if (dataDir) {
    const tabular = await icdTabular(dataDir);
    for (const c of starter("ICD-10-CM")) {
      const official = tabular.get(c.code);
      if (official === undefined) problems.push(`ICD-10-CM: ${c.code} is not in ICD10CM_2025_codes.csv`);
      else if (official !== c.description)
        problems.push(`ICD-10-CM: ${c.code} is '${official}', not '${c.description}'`);
    }
    const dict = hpoDictionary(dataDir);
    for (const c of starter("HPO")) {
      const entry = dict[c.code];
      if (!entry) problems.push(`HPO: ${c.code} is not in id_word_map.json`);
      else if (!matchesDictionary(c.description, entry))
        problems.push(`HPO: ${c.code} is '${entry[0]}', not '${c.description}'`);
    }
  }
  const counts = Object.keys(FILES).map((s) => `${s} ${starter(s).length}`);
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exitCode = 1;
  }
  console.log(
    `checked: ${counts.join(", ")}${dataDir ? " (ICD-10-CM and HPO against the official files)" : ""}; ${problems.length} problem(s)`,
  );
}

const lit = (v: string | number | null): string =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`;

function sql() {
  const out: string[] = [
    "-- Starter terminology content (issue 5): the builtin catalog of seed 004 and a few hundred real,",
    "-- common concepts so that `npm run dev` and the tests have codes. Generated from",
    "-- src/features/terminology/starter/*.json by `npx tsx scripts/lib/terminology-starter.ts sql`;",
    "-- edit the JSON, not this file. `npm run terminology:import` replaces a system with a full release.",
    "",
  ];
  for (const s of BUILTIN_SYSTEMS) {
    const id = builtinSystemId(s.name, s.version);
    out.push(
      `INSERT INTO code_systems (id, org_id, name, version, builtin, status, code_count, created_at, updated_at) VALUES (${lit(id)}, NULL, ${lit(s.name)}, ${lit(s.version)}, 1, 'ready', 0, ${lit(SEEDED_AT)}, ${lit(SEEDED_AT)});`,
      `INSERT INTO code_sets (system_id, state, created_at, activated_at) VALUES (${lit(id)}, 'active', ${lit(SEEDED_AT)}, ${lit(SEEDED_AT)});`,
      `UPDATE code_systems SET active_set = (SELECT max(id) FROM code_sets WHERE system_id = ${lit(id)}) WHERE id = ${lit(id)};`,
    );
    const file = FILES[s.name];
    if (!file) continue;
    const codes = starter(s.name);
    const rows = codes.map((c) => [
      c.code,
      codeKey(c.code),
      c.description,
      null,
      c.synonyms?.length ? JSON.stringify(c.synonyms) : null,
      c.parents?.length ? JSON.stringify(c.parents) : null,
      1,
    ]);
    // Statements stay well under D1's 100 KB limit.
    for (let i = 0; i < rows.length; i += 60) {
      out.push(
        `INSERT INTO codes (set_id, code, code_key, description, definition, synonyms, parents, active) SELECT s.active_set, j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]' FROM code_systems s, json_each(${lit(JSON.stringify(rows.slice(i, i + 60)))}) j WHERE s.id = ${lit(id)};`,
      );
    }
    const terms = new Set<string>();
    for (const c of codes)
      for (const text of [c.description, ...(c.synonyms ?? [])]) for (const w of words(text)) terms.add(w);
    const list = [...terms].sort();
    for (let i = 0; i < list.length; i += 2000) {
      out.push(
        `INSERT INTO code_terms (set_id, term) SELECT s.active_set, j.value FROM code_systems s, json_each(${lit(JSON.stringify(list.slice(i, i + 2000)))}) j WHERE s.id = ${lit(id)};`,
      );
    }
    out.push(
      `UPDATE code_sets SET (code_count, min_code_id, max_code_id) = (SELECT count(*), min(id), max(id) FROM codes WHERE set_id = code_sets.id) WHERE system_id = ${lit(id)};`,
      `UPDATE code_systems SET code_count = (SELECT code_count FROM code_sets WHERE id = code_systems.active_set) WHERE id = ${lit(id)};`,
    );
  }
  writeFileSync(MIGRATION, `${out.join("\n")}\n`);
  console.log(`wrote ${MIGRATION}`);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const args = parseArgs(rest);
  if (command === "pick") {
    if (!args.data) throw new Error("pick needs --data <dir with icd10cm_2025 and hpo-dictionary-2023-10-09>");
    await pick(args.data);
  } else if (command === "check") {
    await check(args.data || undefined);
  } else if (command === "sql") {
    sql();
  } else {
    console.error("usage: terminology-starter.ts pick --data <dir> | check [--data <dir>] | sql");
    process.exitCode = 2;
  }
}

if (process.argv[1]?.endsWith("terminology-starter.ts")) void main();
