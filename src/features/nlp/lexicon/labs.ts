/**
 * Common laboratory tests: names as written in notes, LOINC code (only where the code is certain for
 * the usual serum/plasma/blood test), units with UCUM codes and adult reference ranges for the H/L flag.
 * `plausible` bounds reject numbers that cannot be that test (dates, doses, counts).
 */
export interface LabUnit {
  /** Regex source for the unit as written. */
  pattern: string;
  ucum: string;
  low?: number;
  high?: number;
  plausible: [number, number];
}

export interface LabDefinition {
  name: string;
  display: string;
  loinc?: string;
  /** Regex alternation of names; matched case-insensitively unless `caseSensitiveNames` holds it. */
  names: string[];
  caseSensitiveNames?: string[];
  units: LabUnit[];
  /** Index into `units` of the unit assumed when none is written. */
  defaultUnit: number;
}

const MG_DL = String.raw`mg\s*\/\s*dl`;
const MMOL_L = String.raw`mmol\s*\/\s*l`;
const MEQ_L = String.raw`meq\s*\/\s*l`;
const G_DL = String.raw`g\s*\/\s*dl`;
const K_UL = String.raw`(?:k\s*\/\s*(?:u|µ|mc)l|x?\s*10\^?3\s*\/\s*(?:u|µ|mc)l|10\*3\/ul|thou\/ul|k\/mm3)`;
const U_L = String.raw`(?:u|iu|units)\s*\/\s*l`;

export const LAB_DEFINITIONS: readonly LabDefinition[] = [
  {
    name: "glucose",
    display: "Glucose [Mass/volume] in Serum or Plasma",
    loinc: "2345-7",
    names: [
      "glucose",
      "blood sugar",
      "blood glucose",
      "serum glucose",
      "fasting glucose",
      "fasting blood sugar",
      "FBG",
      "FBS",
    ],
    caseSensitiveNames: ["BG", "Glu"],
    units: [
      { pattern: MG_DL, ucum: "mg/dL", low: 70, high: 99, plausible: [10, 2000] },
      { pattern: MMOL_L, ucum: "mmol/L", low: 3.9, high: 5.5, plausible: [0.5, 110] },
    ],
    defaultUnit: 0,
  },
  {
    name: "hba1c",
    display: "Hemoglobin A1c/Hemoglobin.total in Blood",
    loinc: "4548-4",
    names: [
      "hba1c",
      "hb a1c",
      "hgb a1c",
      "hemoglobin a1c",
      "haemoglobin a1c",
      "a1c",
      "glycated hemoglobin",
      "glycosylated hemoglobin",
    ],
    units: [{ pattern: "%", ucum: "%", low: 4.0, high: 5.6, plausible: [3, 20] }],
    defaultUnit: 0,
  },
  {
    name: "creatinine",
    display: "Creatinine [Mass/volume] in Serum or Plasma",
    loinc: "2160-0",
    names: ["creatinine", "serum creatinine", "creat"],
    caseSensitiveNames: ["Cr", "SCr", "sCr"],
    units: [
      { pattern: MG_DL, ucum: "mg/dL", low: 0.6, high: 1.3, plausible: [0.1, 30] },
      { pattern: String.raw`(?:µ|u|micro)mol\s*\/\s*l`, ucum: "umol/L", low: 53, high: 115, plausible: [10, 2500] },
    ],
    defaultUnit: 0,
  },
  {
    name: "bun",
    display: "Urea nitrogen [Mass/volume] in Serum or Plasma",
    loinc: "3094-0",
    names: ["bun", "blood urea nitrogen", "urea nitrogen"],
    units: [{ pattern: MG_DL, ucum: "mg/dL", low: 7, high: 20, plausible: [1, 300] }],
    defaultUnit: 0,
  },
  {
    name: "sodium",
    display: "Sodium [Moles/volume] in Serum or Plasma",
    loinc: "2951-2",
    names: ["sodium", "serum sodium"],
    caseSensitiveNames: ["Na", "Na\\+"],
    units: [
      { pattern: MMOL_L, ucum: "mmol/L", low: 135, high: 145, plausible: [90, 200] },
      { pattern: MEQ_L, ucum: "meq/L", low: 135, high: 145, plausible: [90, 200] },
    ],
    defaultUnit: 0,
  },
  {
    name: "potassium",
    display: "Potassium [Moles/volume] in Serum or Plasma",
    loinc: "2823-3",
    names: ["potassium", "serum potassium"],
    caseSensitiveNames: ["K", "K\\+"],
    units: [
      { pattern: MMOL_L, ucum: "mmol/L", low: 3.5, high: 5.1, plausible: [1, 10] },
      { pattern: MEQ_L, ucum: "meq/L", low: 3.5, high: 5.1, plausible: [1, 10] },
    ],
    defaultUnit: 0,
  },
  {
    name: "chloride",
    display: "Chloride [Moles/volume] in Serum or Plasma",
    loinc: "2075-0",
    names: ["chloride"],
    caseSensitiveNames: ["Cl", "Cl-"],
    units: [
      { pattern: MMOL_L, ucum: "mmol/L", low: 98, high: 107, plausible: [60, 150] },
      { pattern: MEQ_L, ucum: "meq/L", low: 98, high: 107, plausible: [60, 150] },
    ],
    defaultUnit: 0,
  },
  {
    name: "bicarbonate",
    display: "Carbon dioxide, total [Moles/volume] in Serum or Plasma",
    loinc: "2028-9",
    names: ["bicarbonate", "bicarb", "total co2", "co2"],
    caseSensitiveNames: ["HCO3", "HCO3-"],
    units: [
      { pattern: MMOL_L, ucum: "mmol/L", low: 22, high: 29, plausible: [3, 60] },
      { pattern: MEQ_L, ucum: "meq/L", low: 22, high: 29, plausible: [3, 60] },
    ],
    defaultUnit: 0,
  },
  {
    name: "calcium",
    display: "Calcium [Mass/volume] in Serum or Plasma",
    loinc: "17861-6",
    names: ["calcium", "serum calcium"],
    caseSensitiveNames: ["Ca"],
    units: [{ pattern: MG_DL, ucum: "mg/dL", low: 8.5, high: 10.5, plausible: [3, 20] }],
    defaultUnit: 0,
  },
  {
    name: "magnesium",
    display: "Magnesium [Mass/volume] in Serum or Plasma",
    loinc: "19123-9",
    names: ["magnesium"],
    caseSensitiveNames: ["Mg"],
    units: [{ pattern: MG_DL, ucum: "mg/dL", low: 1.7, high: 2.2, plausible: [0.3, 10] }],
    defaultUnit: 0,
  },
  {
    name: "total_cholesterol",
    display: "Cholesterol [Mass/volume] in Serum or Plasma",
    loinc: "2093-3",
    names: ["total cholesterol", "cholesterol", "total chol", "tc"],
    units: [
      { pattern: MG_DL, ucum: "mg/dL", high: 199, plausible: [50, 1000] },
      { pattern: MMOL_L, ucum: "mmol/L", high: 5.17, plausible: [1, 26] },
    ],
    defaultUnit: 0,
  },
  {
    name: "ldl_cholesterol",
    display: "Cholesterol in LDL [Mass/volume] in Serum or Plasma",
    loinc: "2089-1",
    names: ["ldl", "ldl cholesterol", "ldl-c", "ldl c", "low density lipoprotein"],
    units: [
      { pattern: MG_DL, ucum: "mg/dL", high: 99, plausible: [10, 600] },
      { pattern: MMOL_L, ucum: "mmol/L", high: 2.58, plausible: [0.2, 16] },
    ],
    defaultUnit: 0,
  },
  {
    name: "hdl_cholesterol",
    display: "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
    loinc: "2085-9",
    names: ["hdl", "hdl cholesterol", "hdl-c", "hdl c", "high density lipoprotein"],
    units: [
      { pattern: MG_DL, ucum: "mg/dL", low: 40, plausible: [5, 200] },
      { pattern: MMOL_L, ucum: "mmol/L", low: 1.03, plausible: [0.1, 5] },
    ],
    defaultUnit: 0,
  },
  {
    name: "triglycerides",
    display: "Triglyceride [Mass/volume] in Serum or Plasma",
    loinc: "2571-8",
    names: ["triglycerides", "triglyceride", "trigs", "tg", "tgs"],
    units: [
      { pattern: MG_DL, ucum: "mg/dL", high: 149, plausible: [10, 10000] },
      { pattern: MMOL_L, ucum: "mmol/L", high: 1.69, plausible: [0.1, 110] },
    ],
    defaultUnit: 0,
  },
  {
    name: "hemoglobin",
    display: "Hemoglobin [Mass/volume] in Blood",
    loinc: "718-7",
    names: ["hemoglobin", "haemoglobin", "hgb", "hb"],
    units: [
      { pattern: G_DL, ucum: "g/dL", low: 12.0, high: 17.5, plausible: [2, 25] },
      { pattern: String.raw`g\s*\/\s*l`, ucum: "g/L", low: 120, high: 175, plausible: [20, 250] },
    ],
    defaultUnit: 0,
  },
  {
    name: "hematocrit",
    display: "Hematocrit [Volume Fraction] of Blood by Automated count",
    loinc: "4544-3",
    names: ["hematocrit", "haematocrit", "hct"],
    units: [{ pattern: "%", ucum: "%", low: 36, high: 50, plausible: [5, 75] }],
    defaultUnit: 0,
  },
  {
    name: "wbc",
    display: "Leukocytes [#/volume] in Blood by Automated count",
    loinc: "6690-2",
    names: ["wbc", "white blood cells?", "white blood cell count", "white count", "leukocytes", "leukocyte count"],
    units: [{ pattern: K_UL, ucum: "10*3/uL", low: 4.0, high: 11.0, plausible: [0.1, 500] }],
    defaultUnit: 0,
  },
  {
    name: "platelets",
    display: "Platelets [#/volume] in Blood by Automated count",
    loinc: "777-3",
    names: ["platelets", "platelet count", "plt", "plts", "platelet"],
    units: [{ pattern: K_UL, ucum: "10*3/uL", low: 150, high: 400, plausible: [1, 3000] }],
    defaultUnit: 0,
  },
  {
    name: "tsh",
    display: "Thyrotropin [Units/volume] in Serum or Plasma",
    loinc: "3016-3",
    names: ["tsh", "thyroid stimulating hormone", "thyrotropin"],
    units: [
      {
        pattern: String.raw`(?:m(?:iu|u)\s*\/\s*l|(?:µ|u|micro)(?:iu|u)\s*\/\s*ml)`,
        ucum: "m[IU]/L",
        low: 0.4,
        high: 4.0,
        plausible: [0.001, 500],
      },
    ],
    defaultUnit: 0,
  },
  {
    name: "free_t4",
    display: "Thyroxine (T4) free [Mass/volume] in Serum or Plasma",
    loinc: "3024-7",
    names: ["free t4", "ft4", "free thyroxine"],
    units: [{ pattern: String.raw`ng\s*\/\s*dl`, ucum: "ng/dL", low: 0.8, high: 1.8, plausible: [0.05, 10] }],
    defaultUnit: 0,
  },
  {
    name: "alt",
    display: "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    loinc: "1742-6",
    names: ["alt", "sgpt", "alanine aminotransferase"],
    units: [{ pattern: U_L, ucum: "U/L", low: 7, high: 56, plausible: [1, 20000] }],
    defaultUnit: 0,
  },
  {
    name: "ast",
    display: "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    loinc: "1920-8",
    names: ["ast", "sgot", "aspartate aminotransferase"],
    units: [{ pattern: U_L, ucum: "U/L", low: 10, high: 40, plausible: [1, 20000] }],
    defaultUnit: 0,
  },
  {
    name: "alkaline_phosphatase",
    display: "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
    loinc: "6768-6",
    names: ["alkaline phosphatase", "alk phos", "alp"],
    units: [{ pattern: U_L, ucum: "U/L", low: 44, high: 147, plausible: [5, 5000] }],
    defaultUnit: 0,
  },
  {
    name: "total_bilirubin",
    display: "Bilirubin.total [Mass/volume] in Serum or Plasma",
    loinc: "1975-2",
    names: ["total bilirubin", "bilirubin", "t bili", "tbili", "t. bili"],
    units: [{ pattern: MG_DL, ucum: "mg/dL", low: 0.1, high: 1.2, plausible: [0.05, 60] }],
    defaultUnit: 0,
  },
  {
    name: "albumin",
    display: "Albumin [Mass/volume] in Serum or Plasma",
    loinc: "1751-7",
    names: ["albumin", "serum albumin", "alb"],
    units: [{ pattern: G_DL, ucum: "g/dL", low: 3.5, high: 5.0, plausible: [0.5, 7] }],
    defaultUnit: 0,
  },
  {
    name: "inr",
    display: "INR in Platelet poor plasma by Coagulation assay",
    loinc: "6301-6",
    names: ["inr"],
    units: [{ pattern: "(?!)", ucum: "{INR}", low: 0.8, high: 1.2, plausible: [0.5, 15] }],
    defaultUnit: 0,
  },
  {
    name: "psa",
    display: "Prostate specific Ag [Mass/volume] in Serum or Plasma",
    loinc: "2857-1",
    names: ["psa", "prostate specific antigen"],
    units: [{ pattern: String.raw`ng\s*\/\s*ml`, ucum: "ng/mL", high: 4.0, plausible: [0, 10000] }],
    defaultUnit: 0,
  },
  {
    name: "ferritin",
    display: "Ferritin [Mass/volume] in Serum or Plasma",
    loinc: "2276-4",
    names: ["ferritin"],
    units: [{ pattern: String.raw`ng\s*\/\s*ml`, ucum: "ng/mL", low: 12, high: 300, plausible: [1, 100000] }],
    defaultUnit: 0,
  },
  {
    name: "crp",
    display: "C reactive protein [Mass/volume] in Serum or Plasma",
    loinc: "1988-5",
    names: ["crp", "c-reactive protein", "c reactive protein"],
    units: [
      { pattern: String.raw`mg\s*\/\s*l`, ucum: "mg/L", high: 10, plausible: [0, 1000] },
      { pattern: MG_DL, ucum: "mg/dL", high: 1.0, plausible: [0, 100] },
    ],
    defaultUnit: 0,
  },
  {
    name: "uric_acid",
    display: "Urate [Mass/volume] in Serum or Plasma",
    loinc: "3084-1",
    names: ["uric acid", "urate"],
    units: [{ pattern: MG_DL, ucum: "mg/dL", low: 3.5, high: 7.2, plausible: [0.5, 30] }],
    defaultUnit: 0,
  },
  {
    name: "egfr",
    display: "Glomerular filtration rate/1.73 sq M.predicted",
    names: ["egfr", "gfr", "estimated gfr"],
    units: [
      {
        pattern: String.raw`ml\s*\/\s*min(?:\s*\/\s*1\.73\s*m(?:2|²))?`,
        ucum: "mL/min/{1.73_m2}",
        low: 60,
        plausible: [1, 200],
      },
    ],
    defaultUnit: 0,
  },
];
