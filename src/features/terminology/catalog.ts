/**
 * The builtin catalog of seed 004 (POST /construe/extract, `system.name`): shared by every tenant,
 * names reserved for custom uploads. CPT ships empty (AMA licence): the operator imports it.
 */
export const BUILTIN_SYSTEMS = [
  { name: "ICD-10-CM", version: "2025" },
  { name: "ICD-10-PCS", version: "2025" },
  { name: "SNOMED_CT_US_LITE", version: "20240901" },
  { name: "RXNORM", version: "11042024" },
  { name: "LOINC", version: "2.78" },
  { name: "HPO", version: "2025" },
  { name: "CPT", version: "2025" },
] as const;

/** Reserved for custom uploads (also any name an operator imported as builtin, checked in the DB). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set<string>([
  ...BUILTIN_SYSTEMS.map((s) => s.name),
  "SNOMED_CT",
  "SNOMED",
  "ICD-10",
]);

/**
 * Names that would collide with fixed path segments of the API (`/construe/codes/systems`), so a
 * custom system could never be addressed.
 */
export const UNUSABLE_NAMES: ReadonlySet<string> = new Set(["SYSTEMS"]);

/** Stable ids of the builtin rows created by the starter migration. */
export function builtinSystemId(name: string, version: string): string {
  return `cs_builtin_${name.toLowerCase().replace(/[^a-z0-9]+/g, "_")}_${version.replace(/[^A-Za-z0-9]+/g, "_")}`;
}

/** Codes of these systems carry ICD-10-CM's cosmetic dot. */
export function isIcd10cm(name: string): boolean {
  return name === "ICD-10-CM";
}
