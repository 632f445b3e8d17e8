/**
 * Evaluation of the local extraction engine on Hearth's own annotated set (eval/extract):
 * `npm run eval:extract` prints precision, recall and F1 per code system (code level and span level)
 * and the accuracy of medication sig extraction. `--verbose` lists misses and false positives.
 */
import { readdirSync, readFileSync } from "node:fs";
import {
  type CompiledDictionary,
  compileDictionary,
  type DictionaryEntry,
  extractClinicalFacts,
  extractCodes,
} from "../src/features/nlp/engine";

const ROOT = new URL("../eval/extract/", import.meta.url);
/**
 * The starter ICD-10-CM content (synonyms in Alphabetic Index syntax, as a full import produces), evaluated as
 * the builtin system "ICD-10-CM" by eval/extract/icd-starter.json.
 */
const STARTER_ICD = new URL("../src/features/terminology/starter/icd-10-cm.json", import.meta.url);
const verbose = process.argv.includes("--verbose");

interface Expected {
  code: string;
  text: string;
  occurrence?: number;
}
interface Case {
  id: string;
  system: string;
  text: string;
  expected: Expected[];
  tags: string[];
}
interface MedCase {
  id: string;
  text: string;
  expected: Array<Record<string, string | number | boolean>>;
}

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;

function loadDictionaries(): Map<string, CompiledDictionary> {
  const out = new Map<string, CompiledDictionary>();
  const dir = new URL("dictionaries/", ROOT);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const data = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as {
      system: string;
      version: string;
      codes: DictionaryEntry[];
    };
    out.set(data.system, compileDictionary(data.codes, { system: data.system, version: data.version }));
  }
  const starter = JSON.parse(readFileSync(STARTER_ICD, "utf8")) as DictionaryEntry[];
  out.set("ICD-10-CM", compileDictionary(starter, { system: "ICD-10-CM", version: "2025" }));
  return out;
}

/** UTF-8 byte span of the n-th occurrence of `needle` in `text`. */
function spanOf(text: string, needle: string, occurrence = 1): [number, number] {
  let at = -1;
  for (let i = 0; i < occurrence; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`span "${needle}" not found`);
  const begin = bytes(text.slice(0, at));
  return [begin, begin + bytes(needle)];
}

class Score {
  tp = 0;
  fp = 0;
  fn = 0;
  get precision() {
    return this.tp + this.fp === 0 ? 1 : this.tp / (this.tp + this.fp);
  }
  get recall() {
    return this.tp + this.fn === 0 ? 1 : this.tp / (this.tp + this.fn);
  }
  get f1() {
    const p = this.precision;
    const r = this.recall;
    return p + r === 0 ? 0 : (2 * p * r) / (p + r);
  }
  add(o: Score) {
    this.tp += o.tp;
    this.fp += o.fp;
    this.fn += o.fn;
  }
  toString() {
    return `P ${this.precision.toFixed(3)}  R ${this.recall.toFixed(3)}  F1 ${this.f1.toFixed(3)}  (tp ${this.tp}, fp ${this.fp}, fn ${this.fn})`;
  }
}

function evaluateCodes(dicts: Map<string, CompiledDictionary>, file: string): void {
  const { cases } = JSON.parse(readFileSync(new URL(file, ROOT), "utf8")) as { cases: Case[] };
  const perSystem = new Map<string, { codes: Score; spans: Score; n: number }>();
  const perTag = new Map<string, Score>();
  for (const c of cases) {
    const dict = dicts.get(c.system);
    if (!dict) throw new Error(`case ${c.id}: no dictionary ${c.system}`);
    const result = extractCodes(c.text, dict, { include_citations: true, include_rationale: false });
    const got = result.codes.filter((x) => x.valid);
    const bucket = perSystem.get(c.system) ?? { codes: new Score(), spans: new Score(), n: 0 };
    perSystem.set(c.system, bucket);
    bucket.n++;

    const caseCodes = new Score();
    const expectedCodes = new Set(c.expected.map((e) => e.code));
    const gotCodes = new Set(got.map((x) => x.code));
    for (const code of gotCodes) {
      if (expectedCodes.has(code)) caseCodes.tp++;
      else {
        caseCodes.fp++;
        if (verbose) console.log(`  FP ${c.id} ${code} ${dict.display(code)} :: ${c.text}`);
      }
    }
    for (const code of expectedCodes) {
      if (!gotCodes.has(code)) {
        caseCodes.fn++;
        if (verbose) console.log(`  FN ${c.id} ${code} ${dict.display(code)} :: ${c.text}`);
      }
    }
    bucket.codes.add(caseCodes);
    for (const tag of c.tags.length ? c.tags : ["(untagged)"]) {
      const s = perTag.get(tag) ?? new Score();
      s.add(caseCodes);
      perTag.set(tag, s);
    }

    const expectedSpans = c.expected.map((e) => ({
      code: e.code,
      span: spanOf(c.text, e.text, e.occurrence),
      used: false,
    }));
    const predicted = got.flatMap((x) =>
      (x.citations ?? []).map((ci) => ({
        code: x.code,
        span: [ci.begin_offset, ci.end_offset] as const,
        text: ci.text,
      })),
    );
    for (const p of predicted) {
      const hit = expectedSpans.find(
        (e) => !e.used && e.code === p.code && p.span[0] < e.span[1] && p.span[1] > e.span[0],
      );
      if (hit) {
        hit.used = true;
        bucket.spans.tp++;
      } else {
        bucket.spans.fp++;
        if (verbose && expectedCodes.has(p.code)) console.log(`  span FP ${c.id} ${p.code} "${p.text}"`);
      }
    }
    bucket.spans.fn += expectedSpans.filter((e) => !e.used).length;
  }
  const total = { codes: new Score(), spans: new Score(), n: 0 };
  console.log(`Code extraction (eval/extract/${file})`);
  for (const [system, s] of perSystem) {
    console.log(`  ${system.padEnd(16)} ${String(s.n).padStart(3)} cases  codes: ${s.codes}`);
    console.log(`  ${"".padEnd(16)}             spans: ${s.spans}`);
    total.codes.add(s.codes);
    total.spans.add(s.spans);
    total.n += s.n;
  }
  console.log(`  ${"ALL".padEnd(16)} ${String(total.n).padStart(3)} cases  codes: ${total.codes}`);
  console.log(`  ${"".padEnd(16)}             spans: ${total.spans}`);
  console.log("  by tag (code level):");
  for (const [tag, s] of [...perTag].sort((a, b) => a[0].localeCompare(b[0]))) {
    console.log(`    ${tag.padEnd(14)} P ${s.precision.toFixed(2)} R ${s.recall.toFixed(2)} F1 ${s.f1.toFixed(2)}`);
  }
}

function evaluateMedications(): void {
  const { cases } = JSON.parse(readFileSync(new URL("medications.json", ROOT), "utf8")) as { cases: MedCase[] };
  const found = new Score();
  let attributes = 0;
  let correct = 0;
  for (const c of cases) {
    const meds = extractClinicalFacts(c.text).medications;
    const used = new Set<number>();
    for (const exp of c.expected) {
      const i = meds.findIndex((m, k) => !used.has(k) && m.ingredient === exp.ingredient);
      if (i < 0) {
        found.fn++;
        if (verbose) console.log(`  med FN ${c.id} ${exp.ingredient}`);
        continue;
      }
      used.add(i);
      found.tp++;
      const m = meds[i]!;
      const actual: Record<string, string | number | boolean | undefined> = {
        strength: m.strength ? `${m.strength.value} ${m.strength.text.replace(/^[\d.,/\s]+/, "").trim()}` : undefined,
        frequency: m.frequency?.code,
        route: m.route?.code,
        asNeeded: m.asNeeded,
        asNeededFor: m.asNeededFor,
        doseForm: m.doseForm,
        doseQuantity: m.doseQuantity?.value,
        duration: m.duration ? `${m.duration.value} ${m.duration.unit}` : undefined,
      };
      for (const [k, v] of Object.entries(exp)) {
        if (k === "ingredient") continue;
        attributes++;
        if (actual[k] === v) correct++;
        else if (verbose) console.log(`  med attr ${c.id} ${exp.ingredient}.${k}: expected ${v}, got ${actual[k]}`);
      }
    }
    found.fp += meds.length - used.size;
  }
  console.log("Medication extraction (eval/extract/medications.json)");
  console.log(`  mentions: ${found}`);
  console.log(
    `  sig attributes correct: ${correct}/${attributes} (${((100 * correct) / Math.max(1, attributes)).toFixed(1)}%)`,
  );
}

const dicts = loadDictionaries();
evaluateCodes(dicts, "cases.json");
evaluateCodes(dicts, "holdout.json");
evaluateCodes(dicts, "icd-starter.json");
evaluateMedications();
