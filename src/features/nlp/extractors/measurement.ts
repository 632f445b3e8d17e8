import type { TextSpan } from "../text/span";

export type Interpretation = "H" | "L" | "N";

export interface ReferenceRange {
  low?: number;
  high?: number;
  unit: string;
}

/** A vital sign or laboratory value found in text, coded with LOINC and UCUM. */
export interface Measurement {
  category: "vital-signs" | "laboratory";
  /** Stable name, e.g. "systolic_blood_pressure", "hba1c". */
  name: string;
  display: string;
  /** LOINC code; absent when no code is certain for the analyte (e.g. eGFR, whose codes are method-specific). */
  loinc?: string;
  value: number;
  /** UCUM unit code ("mm[Hg]", "Cel", "mg/dL", "10*3/uL"). */
  unit: string;
  /** The unit as written, or null when inferred. */
  unitText: string | null;
  interpretation?: Interpretation;
  referenceRange?: ReferenceRange;
  span: TextSpan;
  /** Blood pressure: the systolic and diastolic parts of the panel. */
  components?: Measurement[];
}

export function interpret(value: number, range: ReferenceRange | undefined): Interpretation | undefined {
  if (!range) return undefined;
  if (range.high !== undefined && value > range.high) return "H";
  if (range.low !== undefined && value < range.low) return "L";
  return "N";
}

/** Parse "1,234.5" / "98,6" (decimal comma only when no thousands pattern) into a number. */
export function parseNumber(s: string): number {
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return Number(s.replace(/,/g, ""));
  return Number(s.replace(",", "."));
}
