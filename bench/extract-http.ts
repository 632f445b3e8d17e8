/**
 * npm run bench:extract-http — `POST /construe/extract` latency over HTTP against a running dev server
 * (BENCH_URL, default http://127.0.0.1:8787), as one client sees it:
 *
 *   1. a ~2,000-character clinical note against the starter SNOMED CT and ICD-10-CM systems
 *      (default config, and with citations + include_invalid);
 *   2. the full HPO (../shared/data/terminology/hpo-dictionary-2023-10-09, ~17.7k current terms)
 *      uploaded as a custom system in the seed's JSON upload format (converted here, never stored in
 *      the repository): upload processing time, the first (cold) extraction, then p50/p95 of an
 *      abstract-sized text with chunking `sentences` and `fasthpocr`.
 *
 * The tenant is the dev server's demo tenant ($HEARTH_STATE_DIR/demo-tenant.json or
 * .wrangler/demo-tenant.json, written by scripts/dev.mjs), so the uploaded HPO survives restarts: run
 * the bench again after restarting the server to see a cold isolate load the dictionary stored in R2
 * (`X-Hearth-Dictionary: stored`) instead of compiling it.
 *
 *   PORT=8793 HEARTH_STATE_DIR=/tmp/hearth-extract node scripts/dev.mjs
 *   BENCH_URL=http://127.0.0.1:8793 HEARTH_STATE_DIR=/tmp/hearth-extract npm run bench:extract-http
 *
 *   BENCH_N        timed requests per series (default 200)
 *   BENCH_RATE     requests per second at most (default 40: under the platform rate-limit policy)
 *   HPO_REPLACE=1  re-upload the HPO system even when it exists (measures processing again)
 */
import { existsSync, readFileSync } from "node:fs";
import { BENCH_URL, request, waitForServer } from "./lib/bench-env";
import { ms, percentile } from "./lib/stats";

const N = Math.max(20, Number(process.env.BENCH_N ?? 200));
const RATE = Math.max(1, Number(process.env.BENCH_RATE ?? 40));
const WARMUP = 15;
const HPO_DIR = new URL("../../shared/data/terminology/hpo-dictionary-2023-10-09/", import.meta.url);
const HPO_SYSTEM = { name: "HPO_BENCH", version: "2023-10-09" };

/** ~2,000 characters: a realistic outpatient note (HPI, history, exam, assessment/plan). */
const NOTE = `HPI: 58-year-old man with type 2 diabetes, hypertension and hyperlipidemia presents with two days of
substernal chest pain radiating to the left arm, worse with exertion, with shortness of breath and
nausea. He denies fever, cough, syncope or palpitations. No hemoptysis. He reports fatigue and mild
dizziness when standing. Former smoker, quit 2015. Drinks alcohol socially.

PMH: Type 2 diabetes mellitus (A1c 8.2% in March), essential hypertension, hyperlipidemia, obesity,
chronic kidney disease stage 3, gastroesophageal reflux disease. Remote history of pneumonia.
Family history: mother had breast cancer; father died of myocardial infarction at 62.

Medications: metformin 1000 mg PO BID, lisinopril 20 mg daily, atorvastatin 40 mg nightly,
aspirin 81 mg daily, omeprazole 20 mg daily. Allergies: penicillin (rash).

Exam: BP 152/94, HR 96, RR 18, T 37.1 °C, SpO2 95% on room air, BMI 33.4. Diaphoretic. Lungs with
bibasilar crackles. No peripheral edema. Abdomen soft, non-tender.

Labs: troponin pending, glucose 212 mg/dL, creatinine 1.6 mg/dL, potassium 4.9 mmol/L, LDL 142 mg/dL.
ECG: sinus tachycardia, ST depressions in V4-V6.

Assessment/Plan:
1. Chest pain, concerning for acute coronary syndrome; rule out myocardial infarction. Serial
   troponins, cardiology consult, heparin per protocol.
2. Type 2 diabetes with hyperglycemia: hold metformin given contrast, insulin sliding scale.
3. Hypertension, uncontrolled: continue lisinopril, add amlodipine 5 mg daily.
4. CKD stage 3: avoid nephrotoxins, renally dose medications.
5. Possible heart failure given crackles: BNP, echocardiogram.
6. Hyperlipidemia: continue atorvastatin, lipid panel in 6 weeks. Counseled on smoking relapse
   prevention, low-sodium diet and daily glucose checks. Return precautions for worsening chest
   pain, dyspnea or syncope reviewed with patient and wife. Diabetes education referral placed.
Follow up in clinic in one week, sooner if symptoms recur.`;

/** ~1,500 characters: an abstract-like case description for HPO. */
const ABSTRACT = `We report a 7-year-old girl with global developmental delay, intellectual disability and seizures
beginning at 8 months of age. Examination showed microcephaly, short stature, hypotonia and
strabismus. Facial features included hypertelorism, a broad nasal bridge, low-set ears, a thin upper
lip and a high palate. She had feeding difficulties in infancy and gastroesophageal reflux.
Brain MRI revealed cerebellar hypoplasia and delayed myelination. Echocardiography showed an
atrial septal defect; renal ultrasound was normal, without hydronephrosis or renal cysts.
Ophthalmologic evaluation showed optic atrophy and nystagmus. She had scoliosis, joint
hypermobility and pes planus. Behavioral problems included autistic behavior, hyperactivity
and sleep disturbance. There was no hearing impairment. Her older brother had a similar phenotype
with epilepsy and ataxia, while the parents were unaffected, consistent with autosomal recessive
inheritance. Exome sequencing identified compound heterozygous variants in the candidate gene.
Additional findings included recurrent respiratory infections, constipation and hepatomegaly.
At follow-up she had progressive spasticity of the lower limbs, an abnormal gait and dysarthria,
with mild sensorineural hearing loss on repeat testing. Growth hormone deficiency was excluded.
Treatment with levetiracetam reduced seizure frequency; physiotherapy improved motor function.`;

function demoKey(): string {
  if (process.env.HEARTH_API_KEY) return process.env.HEARTH_API_KEY;
  const files = [`${process.env.HEARTH_STATE_DIR ?? ".wrangler"}/demo-tenant.json`, ".wrangler/demo-tenant.json"];
  for (const f of files) {
    if (existsSync(f)) return (JSON.parse(readFileSync(f, "utf8")) as { apiKey: string }).apiKey;
  }
  throw new Error(
    `No demo tenant file (${files.join(", ")}): start the server with scripts/dev.mjs, or set HEARTH_API_KEY`,
  );
}

const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

interface Sample {
  client: number;
  /** Time in the Worker (Server-Timing `app`), when the server reports it. */
  app: number | null;
  dictionary: string;
  codes: number;
}

async function extractOnce(key: string, body: unknown): Promise<Sample> {
  const t0 = performance.now();
  const r = await request("POST", "/construe/extract", {
    token: key,
    body: JSON.stringify(body),
    contentType: "application/json",
  });
  const client = performance.now() - t0;
  if (r.status !== 200) throw new Error(`extract: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  const app = /(?:^|,\s*)app;dur=([\d.]+)/.exec(r.headers.get("Server-Timing") ?? "");
  return {
    client,
    app: app ? Number(app[1]) : null,
    dictionary: r.headers.get("X-Hearth-Dictionary") ?? "?",
    codes: (JSON.parse(r.text) as { codes: unknown[] }).codes.length,
  };
}

/** Sequential requests at most RATE per second; latency is per request, the pacing only avoids 429s. */
async function series(label: string, key: string, body: unknown): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await extractOnce(key, body);
  const samples: Sample[] = [];
  const interval = 1000 / RATE;
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    samples.push(await extractOnce(key, body));
    const wait = interval - (performance.now() - started);
    if (wait > 0) await sleep(wait);
  }
  const client = samples.map((s) => s.client);
  const app = samples.flatMap((s) => (s.app === null ? [] : [s.app]));
  const server = app.length ? `   (in Worker p50 ${ms(percentile(app, 50))})` : "";
  console.log(
    `${label.padEnd(44)} n=${N}  p50 ${ms(percentile(client, 50)).padStart(9)}  p95 ${ms(percentile(client, 95)).padStart(9)}  p99 ${ms(percentile(client, 99)).padStart(9)}  codes=${samples[0]!.codes}${server}`,
  );
}

/** The server's fixed per-request cost (proxy, routing): GET of an unknown route, no auth, no D1. */
async function floor(): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const t0 = performance.now();
    await request("GET", "/__bench_floor");
    if (i >= WARMUP) samples.push(performance.now() - t0);
  }
  console.log(
    `${"floor · GET unknown route (no auth, no D1)".padEnd(44)} n=${N}  p50 ${ms(percentile(samples, 50)).padStart(9)}  p95 ${ms(percentile(samples, 95)).padStart(9)}`,
  );
}

function hpoCodes(): Array<{ code: string; description: string }> {
  const names = JSON.parse(readFileSync(new URL("id_word_map.json", HPO_DIR), "utf8")) as Record<string, string[]>;
  const alternates = JSON.parse(readFileSync(new URL("alt_hpoid.json", HPO_DIR), "utf8")) as Record<string, string>;
  // Current terms only (alternate ids point at them); the upload format carries one description per code.
  return Object.entries(names)
    .filter(([id]) => !(id in alternates) || alternates[id] === id)
    .map(([code, list]) => ({ code, description: list[0]! }));
}

async function systemStatus(key: string): Promise<string | null> {
  const r = await request("GET", `/construe/codes/systems/${HPO_SYSTEM.name}?version=${HPO_SYSTEM.version}`, {
    token: key,
  });
  if (r.status === 404) return null;
  return (JSON.parse(r.text) as { status: string }).status;
}

async function uploadHpo(key: string): Promise<void> {
  const existing = await systemStatus(key);
  if (existing === "ready" && process.env.HPO_REPLACE !== "1") {
    console.log(`${HPO_SYSTEM.name} ${HPO_SYSTEM.version} already uploaded (HPO_REPLACE=1 to upload it again)`);
    return;
  }
  const codes = hpoCodes();
  const body = JSON.stringify({ ...HPO_SYSTEM, format: "json", codes, replace: existing !== null });
  const t0 = performance.now();
  const r = await request("POST", "/construe/upload", { token: key, body, contentType: "application/json" });
  if (r.status !== 202) throw new Error(`upload: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  const accepted = performance.now() - t0;
  for (;;) {
    await sleep(250);
    const status = await systemStatus(key);
    if (status === "ready") break;
    if (status === "failed") throw new Error("HPO upload processing failed");
  }
  const ready = performance.now() - t0;
  console.log(
    `HPO upload: ${codes.length} codes, ${(body.length / 1e6).toFixed(1)} MB JSON; 202 after ${ms(accepted)}, ready after ${(ready / 1000).toFixed(1)} s (queue processing ≈ ${((ready - accepted) / 1000).toFixed(1)} s)`,
  );
}

async function main(): Promise<void> {
  await waitForServer();
  const key = demoKey();
  console.log(`POST /construe/extract at ${BENCH_URL}; note ${NOTE.length} chars, abstract ${ABSTRACT.length} chars`);

  await floor();
  const snomed = { name: "SNOMED_CT_US_LITE" };
  const icd = { name: "ICD-10-CM" };
  await series("note · SNOMED CT starter · defaults", key, { text: NOTE, system: snomed });
  await series("note · SNOMED CT starter · citations+invalid", key, {
    text: NOTE,
    system: snomed,
    config: { include_citations: true, include_invalid: true },
  });
  await series("note · ICD-10-CM starter · defaults", key, { text: NOTE, system: icd });

  if (!existsSync(new URL("id_word_map.json", HPO_DIR))) {
    console.log("HPO data not found (../shared/data): skipping the HPO series");
    return;
  }
  await uploadHpo(key);
  const hpo = { name: HPO_SYSTEM.name, version: HPO_SYSTEM.version };
  const first = await extractOnce(key, { text: ABSTRACT, system: hpo });
  console.log(
    `HPO first request: ${ms(first.client)}  X-Hearth-Dictionary: ${first.dictionary}  (compiled = built from D1 and stored in R2; stored = loaded from R2; memory = already in this isolate)`,
  );
  await series("abstract · HPO upload · sentences", key, { text: ABSTRACT, system: hpo });
  await series("abstract · HPO upload · fasthpocr+citations", key, {
    text: ABSTRACT,
    system: hpo,
    config: { chunking_method: "fasthpocr", include_citations: true },
  });
  await series("note · HPO upload · sentences", key, { text: NOTE, system: hpo });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
