import { type CompiledDictionary, compileDictionary, type DictionaryEntry } from "../../src/features/nlp/engine";

/** A small ICD-10-CM-like system with synonyms, written for these tests. */
export const ICD_ENTRIES: DictionaryEntry[] = [
  { code: "E11.9", display: "Type 2 diabetes mellitus without complications", synonyms: ["Type 2 diabetes mellitus"] },
  { code: "E11.65", display: "Type 2 diabetes mellitus with hyperglycemia" },
  { code: "I10", display: "Essential (primary) hypertension", synonyms: ["Hypertension"] },
  { code: "R07.9", display: "Chest pain, unspecified" },
  { code: "R06.02", display: "Shortness of breath", synonyms: ["Dyspnea"] },
  { code: "R50.9", display: "Fever, unspecified" },
  { code: "R05.9", display: "Cough, unspecified" },
  { code: "J18.9", display: "Pneumonia, unspecified organism" },
  { code: "I50.9", display: "Heart failure, unspecified", synonyms: ["Congestive heart failure"] },
  { code: "I21.9", display: "Acute myocardial infarction, unspecified", synonyms: ["Myocardial infarction"] },
  { code: "N18.9", display: "Chronic kidney disease, unspecified" },
  {
    code: "C50.919",
    display: "Malignant neoplasm of unspecified site of unspecified female breast",
    synonyms: ["Breast cancer"],
  },
  { code: "Z80.3", display: "Family history of malignant neoplasm of breast" },
  { code: "R11.0", display: "Nausea" },
  { code: "R11.10", display: "Vomiting, unspecified" },
  { code: "R51.9", display: "Headache, unspecified" },
  { code: "M54.50", display: "Low back pain, unspecified" },
  { code: "J44.9", display: "Chronic obstructive pulmonary disease, unspecified" },
  { code: "R10.9", display: "Unspecified abdominal pain" },
];

/** An HPO-like system with is-a parents (for ancestors and categories). */
export const HPO_ENTRIES: DictionaryEntry[] = [
  { code: "HP:0000001", display: "All" },
  { code: "HP:0000118", display: "Phenotypic abnormality", parents: ["HP:0000001"] },
  { code: "HP:0000707", display: "Abnormality of the nervous system", parents: ["HP:0000118"] },
  { code: "HP:0012638", display: "Abnormal nervous system physiology", parents: ["HP:0000707"] },
  { code: "HP:0001250", display: "Seizure", parents: ["HP:0012638"] },
  { code: "HP:0001249", display: "Intellectual disability", parents: ["HP:0012638"] },
  { code: "HP:0001252", display: "Hypotonia", parents: ["HP:0012638"] },
  { code: "HP:0000152", display: "Abnormality of head or neck", parents: ["HP:0000118"] },
  { code: "HP:0000252", display: "Microcephaly", parents: ["HP:0000152"] },
  { code: "HP:0001507", display: "Growth abnormality", parents: ["HP:0000118"] },
  { code: "HP:0004322", display: "Short stature", parents: ["HP:0001507"] },
  { code: "HP:0001626", display: "Abnormality of the cardiovascular system", parents: ["HP:0000118"] },
  { code: "HP:0001627", display: "Abnormal heart morphology", parents: ["HP:0001626"] },
  { code: "HP:0001631", display: "Atrial septal defect", parents: ["HP:0001627"] },
  { code: "HP:0000119", display: "Abnormality of the genitourinary system", parents: ["HP:0000118"] },
  { code: "HP:0000077", display: "Abnormality of the kidney", parents: ["HP:0000119"] },
  { code: "HP:0000107", display: "Renal cyst", parents: ["HP:0000077"] },
  { code: "HP:0002240", display: "Hepatomegaly", parents: ["HP:0000118"] },
  { code: "HP:0001263", display: "Global developmental delay", parents: ["HP:0012638"] },
  { code: "HP:0000717", display: "Autism", parents: ["HP:0012638"] },
];

export const LOINC_ENTRIES: DictionaryEntry[] = [
  { code: "85354-9", display: "Blood pressure panel with all children optional" },
  { code: "8480-6", display: "Systolic blood pressure" },
  { code: "8462-4", display: "Diastolic blood pressure" },
  { code: "8867-4", display: "Heart rate" },
  { code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood" },
];

export const RXNORM_ENTRIES: DictionaryEntry[] = [
  { code: "6809", display: "metformin" },
  { code: "861007", display: "metformin hydrochloride 500 MG Oral Tablet" },
  { code: "29046", display: "lisinopril", synonyms: ["Zestril"] },
  { code: "1191", display: "aspirin" },
];

let icd: CompiledDictionary | undefined;
let hpo: CompiledDictionary | undefined;

export function icdDictionary(): CompiledDictionary {
  icd ??= compileDictionary(ICD_ENTRIES, { system: "ICD-10-CM", version: "2025" });
  return icd;
}

export function hpoDictionary(): CompiledDictionary {
  hpo ??= compileDictionary(HPO_ENTRIES, { system: "HPO", version: "2025" });
  return hpo;
}

/** `utf8(input).slice(begin, end)` decoded, the way an API client reads a citation. */
export function utf8Slice(text: string, begin: number, end: number): string {
  return new TextDecoder().decode(new TextEncoder().encode(text).slice(begin, end));
}
