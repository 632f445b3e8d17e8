/**
 * The Patient compartment (FHIR R4 compartmentdefinition-patient) as index lookups: which reference
 * index codes (`p` in fhir_idx_reference) put a resource of a type into a patient's compartment, and
 * which patients a stored resource belongs to. Shared by $everything, bulk export and consent.
 */
import { getParam, PATIENT_COMPARTMENT_TYPES, patientCompartmentParams } from "../search/definitions";
import { referenceValues } from "../search/extract";
import { evaluatePath } from "../search/path-program";

const codesCache = new Map<string, string[]>();

/**
 * Reference-index codes of `type` whose Patient targets make it a compartment member (aliases resolved:
 * Observation `patient` is stored as `subject` rows). Empty for types outside the compartment and for
 * Patient itself (a patient is in its own compartment by id).
 */
export function compartmentRefCodes(type: string): string[] {
  let codes = codesCache.get(type);
  if (codes) return codes;
  const out = new Set<string>();
  if (type !== "Patient") {
    for (const code of patientCompartmentParams(type) ?? []) {
      const def = getParam(type, code);
      if (def?.type === "reference") for (const c of def.alias ?? [def.code]) out.add(c);
    }
  }
  codes = [...out].sort();
  codesCache.set(type, codes);
  return codes;
}

const compartmentTypes: ReadonlySet<string> = new Set(PATIENT_COMPARTMENT_TYPES);

/** True for types that can hold a patient's data (the Patient compartment's types, Patient included). */
export const isCompartmentType = (type: string): boolean => compartmentTypes.has(type);

/**
 * The ids of the patients whose compartment `resource` is in: a Patient's own id, or the Patient
 * targets of its compartment parameters. Empty for shared resources (Practitioner, Organization, ...).
 */
export function compartmentPatientIds(resource: Record<string, unknown>): string[] {
  const type = resource.resourceType;
  if (typeof type !== "string") return [];
  if (type === "Patient") return typeof resource.id === "string" ? [resource.id] : [];
  const ids = new Set<string>();
  for (const code of patientCompartmentParams(type) ?? []) {
    const def = getParam(type, code);
    if (def?.type !== "reference") continue;
    const defs = def.alias ? def.alias.map((a) => getParam(type, a)).filter((d) => d !== undefined) : [def];
    for (const d of defs) {
      for (const path of d.paths) {
        for (const node of evaluatePath(path, resource, resource)) {
          for (const ref of referenceValues(node)) if (ref.tt === "Patient" && ref.tid) ids.add(ref.tid);
        }
      }
    }
  }
  return [...ids];
}
