/**
 * Patients of a Group export (Bulk Data export.html#endpoint---group-of-patients): the Patient targets
 * of Group.member.entity, skipping members marked `inactive`. Nested Groups are not expanded.
 */
import { readCurrent } from "../fhir/repo/rows";
import { parseReference } from "../fhir/search/extract";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function groupPatientIds(group: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const m of Array.isArray(group.member) ? group.member : []) {
    if (!isObject(m) || m.inactive === true || !isObject(m.entity) || typeof m.entity.reference !== "string") continue;
    const ref = parseReference(m.entity.reference);
    if (ref?.tt === "Patient" && ref.tid) out.add(ref.tid);
  }
  return [...out];
}

/** The Group's patients, or null when the Group does not exist (or was deleted). */
export async function readGroupPatients(db: D1Database, storeId: string, groupId: string): Promise<string[] | null> {
  const row = await readCurrent(db, storeId, "Group", groupId);
  if (!row || row.deleted) return null;
  return groupPatientIds(JSON.parse(row.body) as Record<string, unknown>);
}
