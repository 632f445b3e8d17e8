/**
 * Clinical note section headings. A heading is a line-initial label followed by a colon
 * ("HPI:", "Assessment/Plan:", "FHx:"). The kind drives context (family history, past history)
 * and the deterministic `soap_note` / `topics` chunking.
 */
export type SectionKind =
  | "chief_complaint"
  | "hpi"
  | "past_history"
  | "surgical_history"
  | "family_history"
  | "social_history"
  | "medications"
  | "allergies"
  | "review_of_systems"
  | "physical_exam"
  | "vitals"
  | "labs"
  | "imaging"
  | "assessment"
  | "plan"
  | "assessment_plan"
  | "hospital_course"
  | "subjective"
  | "objective"
  | "demographics"
  | "other";

export type SoapPart = "subjective" | "objective" | "assessment" | "plan";

const LABELS: Array<[SectionKind, string[]]> = [
  ["chief_complaint", ["cc", "chief complaint", "reason for visit", "reason for consultation", "presenting complaint"]],
  [
    "hpi",
    ["hpi", "history of present illness", "history of the present illness", "present illness", "interval history"],
  ],
  [
    "past_history",
    ["pmh", "pmhx", "past medical history", "medical history", "past history", "problem list", "active problems"],
  ],
  ["surgical_history", ["psh", "pshx", "past surgical history", "surgical history", "procedures"]],
  ["family_history", ["fh", "fhx", "family history", "family hx", "family medical history"]],
  ["social_history", ["sh", "shx", "social history", "social hx"]],
  [
    "medications",
    [
      "meds",
      "medications",
      "medication",
      "current medications",
      "home medications",
      "medication list",
      "discharge medications",
      "outpatient medications",
      "rx",
    ],
  ],
  ["allergies", ["allergies", "allergy", "drug allergies"]],
  ["review_of_systems", ["ros", "review of systems"]],
  ["physical_exam", ["pe", "physical exam", "physical examination", "exam", "examination"]],
  ["vitals", ["vitals", "vital signs", "vs"]],
  ["labs", ["labs", "lab", "laboratory", "lab results", "laboratory data", "laboratory results", "results"]],
  ["imaging", ["imaging", "radiology", "studies"]],
  ["assessment", ["assessment", "impression", "diagnosis", "diagnoses", "clinical impression", "a"]],
  ["plan", ["plan", "disposition", "follow up", "follow-up", "recommendations", "instructions", "p"]],
  [
    "assessment_plan",
    ["assessment and plan", "assessment/plan", "assessment & plan", "a/p", "a&p", "impression and plan"],
  ],
  ["hospital_course", ["hospital course", "course", "ed course"]],
  ["subjective", ["subjective", "s"]],
  ["objective", ["objective", "o"]],
  ["demographics", ["patient", "name", "patient name", "dob", "date of birth", "mrn", "age", "sex", "gender"]],
];

const LABEL_KIND = new Map<string, SectionKind>();
for (const [kind, labels] of LABELS) for (const label of labels) LABEL_KIND.set(label, kind);

/** Normalise a heading label ("Assessment / Plan", "FAMILY HISTORY") to a lookup key. */
export function normalizeHeading(label: string): string {
  return label
    .toLowerCase()
    .replace(/\s*([/&])\s*/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

export function sectionKindOf(label: string): SectionKind | undefined {
  return LABEL_KIND.get(normalizeHeading(label));
}

/** Labels that are field names rather than narrative sections ("Name: ...", "DOB: ..."). */
export function isFieldLabel(kind: SectionKind): boolean {
  return kind === "demographics";
}

export function soapPartOf(kind: SectionKind): SoapPart | undefined {
  switch (kind) {
    case "chief_complaint":
    case "hpi":
    case "past_history":
    case "surgical_history":
    case "family_history":
    case "social_history":
    case "medications":
    case "allergies":
    case "review_of_systems":
    case "subjective":
      return "subjective";
    case "physical_exam":
    case "vitals":
    case "labs":
    case "imaging":
    case "objective":
      return "objective";
    case "assessment":
    case "hospital_course":
      return "assessment";
    case "plan":
      return "plan";
    case "assessment_plan":
      return "assessment";
    default:
      return undefined;
  }
}
