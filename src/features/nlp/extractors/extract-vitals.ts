import { spanOf } from "../text/span";
import type { Utf8Index } from "../text/utf8";
import { interpret, type Measurement, parseNumber, type ReferenceRange } from "./measurement";

/**
 * Vital signs with LOINC codes (vital-signs profile codes of FHIR R4 observation-vitalsigns) and UCUM
 * units. Reference ranges are adult resting values, used only for the H/L interpretation flag.
 */
const LOINC = {
  bpPanel: ["85354-9", "Blood pressure panel with all children optional"],
  systolic: ["8480-6", "Systolic blood pressure"],
  diastolic: ["8462-4", "Diastolic blood pressure"],
  heartRate: ["8867-4", "Heart rate"],
  respRate: ["9279-1", "Respiratory rate"],
  temperature: ["8310-5", "Body temperature"],
  spo2: ["59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"],
  sao2: ["2708-6", "Oxygen saturation in Arterial blood"],
  weight: ["29463-7", "Body weight"],
  height: ["8302-2", "Body height"],
  bmi: ["39156-5", "Body mass index (BMI) [Ratio]"],
} as const;

/** Every LOINC code `extractVitals` can produce. */
export const VITAL_LOINC_CODES: readonly string[] = Object.values(LOINC).map(([code]) => code);

const SEP = String.raw`\s*(?:of|was|is|were|at|:|=|-)?\s*`;
const NUM = String.raw`(\d{1,3}(?:[.,]\d{1,2})?)`;

const BP_RE = new RegExp(
  String.raw`\b(?:(?:BP|B\/P|NIBP|blood\s+pressures?)${SEP}(\d{2,3})\s*\/\s*(\d{2,3})|(\d{2,3})\s*\/\s*(\d{2,3})(?=\s*mm\s*hg))(?:\s*(mm\s*hg))?`,
  "gi",
);
const HR_RE = new RegExp(
  String.raw`\b(?:HR|heart\s+rate|pulse(?:\s+rate)?|P(?=\s*:?\s*\d))${SEP}(\d{2,3})(?:\s*(bpm|beats\s*(?:per|\/)\s*min(?:ute)?|\/\s*min))?`,
  "gi",
);
const RR_RE = new RegExp(
  String.raw`\b(?:RR|resp(?:iratory)?\.?\s+rate|resp(?:irations)?|R(?=\s*:?\s*\d))${SEP}(\d{1,2})(?:\s*(breaths\s*(?:per|\/)\s*min(?:ute)?|\/\s*min|bpm))?(?![\d.\/])`,
  "gi",
);
const TEMP_RE = new RegExp(
  String.raw`\b(?:temp(?:erature)?|T\s*max|Tmax|T(?=\s*:?\s*\d))${SEP}${NUM}\s*(?:°\s*|º\s*|deg(?:rees)?\s*)?([CF](?![a-z])|celsius|fahrenheit)?`,
  "gi",
);
const TEMP_UNIT_ONLY_RE = /\b(\d{2,3}(?:[.,]\d{1,2})?)\s*(?:°|º|deg(?:rees)?\s*)\s*([CF])\b/g;
const SPO2_RE = new RegExp(
  String.raw`\b(SpO2|SaO2|O2\s*sat(?:uration)?s?|oxygen\s+saturation|sat(?:uration)?s?|pulse\s+ox(?:imetry)?|pox)${SEP}(\d{2,3})\s*%`,
  "gi",
);
const WEIGHT_RE = new RegExp(
  String.raw`\b(?:wt|weight|weighs|weighing)${SEP}${NUM}\s*(kg|kgs|kilograms?|lbs?|pounds?)\b`,
  "gi",
);
const HEIGHT_RE = new RegExp(
  String.raw`\b(?:ht|height|stands|measures)${SEP}(?:(\d{1,3}(?:[.,]\d{1,2})?)\s*(cm|centimeters?|m|meters?|in|inches)\b|(\d)\s*(?:'|′|ft|feet|foot)\s*(?:(\d{1,2}(?:\.\d)?)\s*(?:"|″|''|in|inches)?)?)`,
  "gi",
);
const BMI_RE = new RegExp(
  String.raw`\b(?:BMI|body\s+mass\s+index)${SEP}(\d{1,2}(?:[.,]\d{1,2})?)(?:\s*(kg\/m2|kg\/m²))?`,
  "gi",
);

const RANGES: Record<string, ReferenceRange> = {
  systolic: { low: 90, high: 139, unit: "mm[Hg]" },
  diastolic: { low: 60, high: 89, unit: "mm[Hg]" },
  heartRate: { low: 60, high: 100, unit: "/min" },
  respRate: { low: 12, high: 20, unit: "/min" },
  tempC: { low: 36.1, high: 37.9, unit: "Cel" },
  tempF: { low: 97.0, high: 100.3, unit: "[degF]" },
  spo2: { low: 95, high: 100, unit: "%" },
  bmi: { low: 18.5, high: 24.9, unit: "kg/m2" },
};

export function extractVitals(utf8: Utf8Index): Measurement[] {
  const text = utf8.text;
  const out: Measurement[] = [];
  const taken: Array<[number, number]> = [];
  const free = (s: number, e: number) => taken.every(([a, b]) => e <= a || s >= b);
  const push = (m: Measurement) => {
    if (!free(m.span.start, m.span.end)) return;
    taken.push([m.span.start, m.span.end]);
    out.push(m);
  };
  const simple = (
    name: string,
    code: readonly [string, string],
    value: number,
    unit: string,
    unitText: string | null,
    start: number,
    end: number,
    range?: ReferenceRange,
  ): Measurement => ({
    category: "vital-signs",
    name,
    display: code[1],
    loinc: code[0],
    value,
    unit,
    unitText,
    interpretation: interpret(value, range),
    referenceRange: range,
    span: spanOf(utf8, start, end),
  });

  for (const m of text.matchAll(BP_RE)) {
    const sys = Number(m[1] ?? m[3]);
    const dia = Number(m[2] ?? m[4]);
    if (!(sys >= 50 && sys <= 300 && dia >= 20 && dia <= 200 && sys > dia)) continue;
    const start = m.index!;
    const end = start + m[0].length;
    const unitText = m[5] ?? null;
    const systolic = simple(
      "systolic_blood_pressure",
      LOINC.systolic,
      sys,
      "mm[Hg]",
      unitText,
      start,
      end,
      RANGES.systolic,
    );
    const diastolic = simple(
      "diastolic_blood_pressure",
      LOINC.diastolic,
      dia,
      "mm[Hg]",
      unitText,
      start,
      end,
      RANGES.diastolic,
    );
    const panelFlag =
      systolic.interpretation === "H" || diastolic.interpretation === "H"
        ? "H"
        : systolic.interpretation === "L" || diastolic.interpretation === "L"
          ? "L"
          : "N";
    push({
      category: "vital-signs",
      name: "blood_pressure",
      display: LOINC.bpPanel[1],
      loinc: LOINC.bpPanel[0],
      value: sys,
      unit: "mm[Hg]",
      unitText,
      interpretation: panelFlag,
      span: spanOf(utf8, start, end),
      components: [systolic, diastolic],
    });
  }
  for (const m of text.matchAll(SPO2_RE)) {
    const v = Number(m[2]);
    if (v < 50 || v > 100) continue;
    const code = /^sao2$/i.test(m[1]!) ? LOINC.sao2 : LOINC.spo2;
    push(simple("oxygen_saturation", code, v, "%", "%", m.index!, m.index! + m[0].length, RANGES.spo2));
  }
  for (const m of text.matchAll(HR_RE)) {
    const v = Number(m[1]);
    if (v < 20 || v > 250) continue;
    if (isSingleLetterLabel(m[0]) && !isVitalsContext(text, m.index!)) continue;
    push(
      simple(
        "heart_rate",
        LOINC.heartRate,
        v,
        "/min",
        m[2] ?? null,
        m.index!,
        m.index! + m[0].length,
        RANGES.heartRate,
      ),
    );
  }
  for (const m of text.matchAll(RR_RE)) {
    const v = Number(m[1]);
    if (v < 4 || v > 80) continue;
    if (isSingleLetterLabel(m[0]) && !isVitalsContext(text, m.index!)) continue;
    push(
      simple(
        "respiratory_rate",
        LOINC.respRate,
        v,
        "/min",
        m[2] ?? null,
        m.index!,
        m.index! + m[0].length,
        RANGES.respRate,
      ),
    );
  }
  const temperature = (raw: string, unitRaw: string | undefined, start: number, end: number, labelled: boolean) => {
    const v = parseNumber(raw);
    let unit: "Cel" | "[degF]" | null = null;
    if (unitRaw) unit = /^c/i.test(unitRaw) ? "Cel" : "[degF]";
    else if (v >= 30 && v <= 45) unit = "Cel";
    else if (v >= 86 && v <= 113) unit = "[degF]";
    if (unit === null) return;
    if (unit === "Cel" ? v < 25 || v > 46 : v < 77 || v > 115) return;
    if (!labelled && !unitRaw) return;
    push(
      simple(
        "body_temperature",
        LOINC.temperature,
        v,
        unit,
        unitRaw ?? null,
        start,
        end,
        unit === "Cel" ? RANGES.tempC : RANGES.tempF,
      ),
    );
  };
  for (const m of text.matchAll(TEMP_RE)) {
    // "T 37.8 °C" is a temperature anywhere; a bare "T 37.8" only on a vitals line.
    if (isSingleLetterLabel(m[0]) && !m[2] && !isVitalsContext(text, m.index!)) continue;
    temperature(m[1]!, m[2], m.index!, m.index! + m[0].length, true);
  }
  for (const m of text.matchAll(TEMP_UNIT_ONLY_RE)) temperature(m[1]!, m[2], m.index!, m.index! + m[0].length, false);
  for (const m of text.matchAll(WEIGHT_RE)) {
    const v = parseNumber(m[1]!);
    const kg = /^k/i.test(m[2]!);
    if (v <= 0 || v > (kg ? 400 : 900)) continue;
    push(simple("body_weight", LOINC.weight, v, kg ? "kg" : "[lb_av]", m[2]!, m.index!, m.index! + m[0].length));
  }
  for (const m of text.matchAll(HEIGHT_RE)) {
    const start = m.index!;
    const end = start + m[0].length;
    if (m[1] !== undefined) {
      const v = parseNumber(m[1]);
      const u = m[2]!.toLowerCase();
      const unit = u.startsWith("c") ? "cm" : u.startsWith("m") ? "m" : "[in_i]";
      const ok = unit === "cm" ? v >= 30 && v <= 250 : unit === "m" ? v >= 0.3 && v <= 2.5 : v >= 12 && v <= 100;
      if (ok) push(simple("body_height", LOINC.height, v, unit, m[2]!, start, end));
    } else if (m[3] !== undefined) {
      const inches = Number(m[3]) * 12 + (m[4] ? Number(m[4]) : 0);
      if (inches >= 24 && inches <= 100)
        push(simple("body_height", LOINC.height, inches, "[in_i]", "ft/in", start, end));
    }
  }
  for (const m of text.matchAll(BMI_RE)) {
    const v = parseNumber(m[1]!);
    if (v < 8 || v > 90) continue;
    push(simple("bmi", LOINC.bmi, v, "kg/m2", m[2] ?? null, m.index!, m.index! + m[0].length, RANGES.bmi));
  }
  out.sort((a, b) => a.span.start - b.span.start);
  return out;
}

function isSingleLetterLabel(matched: string): boolean {
  return /^[PRT]\b/i.test(matched) && !/^(?:temp|pulse|resp)/i.test(matched);
}

/** Single-letter labels ("T 98.6 P 88 R 16") only count on a line that carries other vital signs. */
function isVitalsContext(text: string, at: number): boolean {
  const lineStart = text.lastIndexOf("\n", at) + 1;
  let lineEnd = text.indexOf("\n", at);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  const labels = line.match(/\b(?:BP|HR|RR|SpO2|O2|temp|pulse|vitals?|T|P|R)\b\s*:?\s*\d/gi);
  return (labels?.length ?? 0) >= 2 || /\bvitals?\b/i.test(line);
}
