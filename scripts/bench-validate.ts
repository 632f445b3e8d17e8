/**
 * Micro-benchmark of FHIR resource validation (in-process, no DB): `npx tsx scripts/bench-validate.ts`.
 *
 * 1. A generated population (Patients, vital-sign Observations with components, Conditions, Encounters).
 * 2. When ../shared/data/fhir/synthea-sample-bundles.tar.xz exists (or SYNTHEA_TARBALL points at it): every
 *    entry of the real Synthea bundles, extracted into a temp dir under /tmp (never into the repo) and
 *    removed afterwards. They are valid US Core data, so any issue there is a validator bug: the script
 *    prints them and exits 1.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkResource } from "../src/features/fhir/validation/index";
import { compileAllTables } from "../src/features/fhir/validation/structure";

type Json = Record<string, unknown>;

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 0x5eed;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
const id = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
const day = () => `20${10 + Math.floor(rand() * 15)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
const instant = () => `${day()}T1${Math.floor(rand() * 10)}:2${Math.floor(rand() * 10)}:00.000Z`;

function patient(): Json {
  return {
    resourceType: "Patient",
    id: id(),
    meta: { profile: ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"] },
    identifier: [{ system: "https://example.org/mrn", value: hex(10) }],
    name: [{ use: "official", family: pick(["Smith", "Garcia", "Chen"]), given: [pick(["Ann", "Bo", "Cy"]), "Q"] }],
    telecom: [{ system: "phone", value: "555-0100", use: "home" }],
    gender: pick(["male", "female", "other", "unknown"]),
    birthDate: `19${50 + Math.floor(rand() * 49)}-0${1 + Math.floor(rand() * 9)}-2${Math.floor(rand() * 8)}`,
    address: [{ line: ["1 Main St"], city: "Boston", state: "MA", postalCode: "02110", country: "US" }],
    extension: [
      {
        url: "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
        extension: [
          { url: "ombCategory", valueCoding: { system: "urn:oid:2.16.840.1.113883.6.238", code: "2106-3" } },
          { url: "text", valueString: "White" },
        ],
      },
    ],
  };
}

function observation(subject: string): Json {
  const bp = rand() < 0.3;
  const base: Json = {
    resourceType: "Observation",
    id: id(),
    status: "final",
    category: [
      {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }],
      },
    ],
    subject: { reference: `Patient/${subject}` },
    encounter: { reference: `urn:uuid:${id()}` },
    effectiveDateTime: instant(),
    issued: instant(),
  };
  if (bp) {
    base.code = { coding: [{ system: "http://loinc.org", code: "85354-9", display: "Blood pressure panel" }] };
    base.component = ["8480-6", "8462-4"].map((code) => ({
      code: { coding: [{ system: "http://loinc.org", code }] },
      valueQuantity: { value: 60 + Math.floor(rand() * 80), unit: "mm[Hg]", system: "http://unitsofmeasure.org" },
    }));
  } else {
    base.code = { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }], text: "Heart rate" };
    base.valueQuantity = { value: Math.round(rand() * 1000) / 10, unit: "/min", system: "http://unitsofmeasure.org" };
  }
  return base;
}

function condition(subject: string): Json {
  return {
    resourceType: "Condition",
    id: id(),
    clinicalStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
    },
    code: { coding: [{ system: "http://snomed.info/sct", code: "44054006", display: "Diabetes" }] },
    subject: { reference: `Patient/${subject}` },
    onsetDateTime: instant(),
    recordedDate: day(),
  };
}

function encounter(subject: string): Json {
  return {
    resourceType: "Encounter",
    id: id(),
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
    subject: { reference: `Patient/${subject}` },
    period: { start: instant(), end: instant() },
    participant: [{ individual: { reference: "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999999" } }],
  };
}

function population(n: number): Json[] {
  const out: Json[] = [];
  while (out.length < n) {
    const p = patient();
    out.push(p);
    for (let i = 0; i < 6; i++) out.push(observation(p.id as string));
    out.push(condition(p.id as string), encounter(p.id as string));
  }
  return out.slice(0, n);
}

function measure(label: string, resources: readonly unknown[], minMs = 1500): number {
  let errors = 0;
  for (const r of resources) errors += checkResource(r).length; // warm-up + correctness
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const r of resources) checkResource(r);
    count += resources.length;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  const perSec = (count / elapsed) * 1000;
  console.log(
    `${label}: ${resources.length} resources, ${Math.round(perSec).toLocaleString("en-US")} resources/s ` +
      `(${((elapsed / count) * 1000).toFixed(2)} µs each), issues: ${errors}`,
  );
  return errors;
}

const t0 = performance.now();
const tables = compileAllTables();
console.log(`compiled ${tables} tables in ${(performance.now() - t0).toFixed(1)} ms`);

const generated = population(20_000);
const generatedErrors = measure("generated population", generated);
measure(
  "generated Observations only",
  generated.filter((r) => r.resourceType === "Observation"),
);
measure(
  "generated Patients only",
  generated.filter((r) => r.resourceType === "Patient"),
);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tarball = process.env.SYNTHEA_TARBALL ?? join(root, "../shared/data/fhir/synthea-sample-bundles.tar.xz");
let syntheaErrors = 0;
if (existsSync(tarball)) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-synthea-"));
  try {
    execFileSync("tar", ["-xJf", tarball, "-C", dir]);
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json"));
    const entries: Json[] = [];
    const bundles: Json[] = [];
    for (const f of files) {
      const bundle = JSON.parse(readFileSync(join(dir, f), "utf8")) as Json;
      bundles.push(bundle);
      for (const e of (bundle.entry as { resource?: Json }[] | undefined) ?? [])
        if (e.resource) entries.push(e.resource);
    }
    const byType = new Map<string, number>();
    for (const r of entries) byType.set(r.resourceType as string, (byType.get(r.resourceType as string) ?? 0) + 1);
    console.log(
      `synthea: ${files.length} bundles, ${entries.length} entries: ` +
        [...byType]
          .sort((a, b) => b[1] - a[1])
          .map(([t, n]) => `${t} ${n}`)
          .join(", "),
    );
    // Every issue is a validator bug: list the distinct ones.
    const distinct = new Map<string, number>();
    for (const r of [...entries, ...bundles]) {
      for (const issue of checkResource(r)) {
        const key = `${issue.code} ${issue.expression?.[0]?.replace(/\[\d+\]/g, "[]") ?? ""}: ${issue.diagnostics}`;
        distinct.set(key, (distinct.get(key) ?? 0) + 1);
        syntheaErrors++;
      }
    }
    for (const [k, n] of [...distinct].slice(0, 40)) console.log(`  ${n}× ${k}`);
    measure("synthea entries", entries);
    measure("synthea whole bundles (entries validated recursively)", bundles, 3000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.log(`synthea: ${tarball} not found, skipped`);
}

if (generatedErrors > 0 || syntheaErrors > 0) {
  console.error(`FAILED: ${generatedErrors} issues in the generated population, ${syntheaErrors} in Synthea`);
  process.exit(1);
}
