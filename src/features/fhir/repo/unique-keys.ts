/**
 * Per-store uniqueness rules (store settings `uniqueIdentifiers`): `identifier` system|value must be
 * unique among the live resources of a type. Keys live in fhir_unique_keys, written in the same batch
 * as the resources; its primary key makes a concurrent duplicate fail the whole batch (see commit.ts).
 */
import { AppError } from "../../../platform/errors";
import { isJsonObject } from "../resource-json";
import type { FhirResource } from "../validation";

/** `system|value` of every identifier that has a value (a missing system is ""). */
export function identifierKeys(resource: FhirResource): string[] {
  const raw = resource.identifier;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const keys = new Set<string>();
  for (const ident of list) {
    if (!isJsonObject(ident) || typeof ident.value !== "string") continue;
    const system = typeof ident.system === "string" ? ident.system : "";
    keys.add(`${system}|${ident.value}`);
  }
  return [...keys];
}

export interface UniqueKeyWrite {
  resourceType: string;
  id: string;
  /** The keys the resource holds after the write (empty for a deletion). */
  keys: string[];
}

/** Replace the keys of the written resources: delete their old keys, insert the new ones. */
export function uniqueKeyStatements(db: D1Database, storeId: string, writes: UniqueKeyWrite[]): D1PreparedStatement[] {
  if (writes.length === 0) return [];
  const owners = JSON.stringify(writes.map((w) => [w.resourceType, w.id]));
  const rows = writes.flatMap((w) => w.keys.map((k) => [w.resourceType, k, w.id]));
  const out = [
    db
      .prepare(
        "DELETE FROM fhir_unique_keys WHERE store_id = ?1 AND (resource_type, id) IN (SELECT j.value->>0, j.value->>1 FROM json_each(?2) j)",
      )
      .bind(storeId, owners),
  ];
  if (rows.length)
    out.push(
      db
        .prepare(
          "INSERT INTO fhir_unique_keys (store_id, resource_type, unique_key, id) SELECT ?1, j.value->>0, j.value->>1, j.value->>2 FROM json_each(?2) j",
        )
        .bind(storeId, JSON.stringify(rows)),
    );
  return out;
}

/**
 * Keys already held by *other* resources, checked before writing so the answer can name the
 * identifier; the primary key still guards against a concurrent writer.
 */
export async function findUniqueConflicts(
  db: D1Database,
  storeId: string,
  writes: UniqueKeyWrite[],
): Promise<{ resourceType: string; key: string; id: string; ownerId: string }[]> {
  const probes = writes.flatMap((w) => w.keys.map((k) => [w.resourceType, k, w.id]));
  if (probes.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT j.value->>0 AS t, j.value->>1 AS k, j.value->>2 AS id, u.id AS owner FROM json_each(?2) j
       CROSS JOIN fhir_unique_keys u ON u.store_id = ?1 AND u.resource_type = j.value->>0 AND u.unique_key = j.value->>1
       WHERE u.id <> j.value->>2`,
    )
    .bind(storeId, JSON.stringify(probes))
    .all<{ t: string; k: string; id: string; owner: string }>();
  return results.map((r) => ({ resourceType: r.t, key: r.k, id: r.id, ownerId: r.owner }));
}

export function duplicateError(resourceType: string, key: string, ownerId?: string): AppError {
  const [system, ...rest] = key.split("|");
  const value = rest.join("|");
  const diagnostics = `Another ${resourceType}${ownerId ? ` (${resourceType}/${ownerId})` : ""} already has identifier ${system ? `${system}|` : ""}${value}; identifiers of ${resourceType} are unique in this store`;
  return new AppError("unprocessable", diagnostics, {
    code: "duplicate",
    issues: [{ severity: "error", code: "duplicate", diagnostics, expression: [`${resourceType}.identifier`] }],
  });
}

/** Statements that switch rules on (index existing identifiers) or off (drop their keys). */
export function uniqueKeyBackfillStatements(
  db: D1Database,
  storeId: string,
  added: string[],
  removed: string[],
): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  if (removed.length)
    out.push(
      db
        .prepare(
          "DELETE FROM fhir_unique_keys WHERE store_id = ?1 AND resource_type IN (SELECT value FROM json_each(?2))",
        )
        .bind(storeId, JSON.stringify(removed)),
    );
  // DISTINCT folds a resource listing the same identifier twice; two resources sharing one still collide.
  for (const type of added)
    out.push(
      db
        .prepare(
          `INSERT INTO fhir_unique_keys (store_id, resource_type, unique_key, id)
           SELECT DISTINCT r.store_id, r.resource_type,
             coalesce(i.value->>'system', '') || '|' || (i.value->>'value'), r.id
           FROM fhir_resources r, json_each(
             CASE json_type(r.body, '$.identifier') WHEN 'array' THEN r.body->'$.identifier'
               WHEN 'object' THEN json_array(r.body->'$.identifier') ELSE '[]' END) i
           WHERE r.store_id = ?1 AND r.resource_type = ?2 AND r.deleted = 0
             AND json_type(i.value, '$.value') = 'text'`,
        )
        .bind(storeId, type),
    );
  return out;
}
