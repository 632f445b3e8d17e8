/**
 * The key list of a $everything: which resources, in which order, as (rid, type, id) only. One SQL
 * statement over the search index (migrations/0002_fhir_search.sql), which resolves the store's scope
 * keys itself (fhir_search_scope joined by type name), so it needs no earlier read and can go to D1 in
 * the same batch as the subject's row:
 *   m     the subject Patient(s) (and the Person), plus every compartment member: reference-index rows
 *         (sk, p, tid = patient, tt = 'Patient') for each (type, compartment code) pair, an index range
 *         probe per pair on fhir_idx_reference_t (sk, p, tid, tt); pairs of types the store does not hold
 *         drop out at the scope join;
 *   refs  what those members reference through any reference search parameter (one level), restricted
 *         to the shared types the caller may read (Practitioner, Organization, Location, Medication ...),
 *         distinct targets first, then one primary-key probe each;
 * JSON list parameters are either the outer loop or tested as `IN (SELECT value FROM json_each(?))`,
 * which SQLite evaluates once per statement; a json_each joined inside the per-row loop re-parses the
 * JSON on every row (30x slower on the largest Synthea patient).
 *   then the `_type`, `_since`, care-date and consent conditions, ordered Person, Patient(s), then rid
 *   (creation order). Bodies are not read here: the response streams them page by page afterwards.
 */
import { finalizeSql, SqlBuilder } from "../search/compile-search";

export interface EverythingKeyQuery {
  storeId: string;
  /** Subject patient ids. */
  patients: string[];
  /** The Person of Person/$everything. */
  personId: string | null;
  /** [type, reference code] pairs that make a resource a compartment member. */
  memberPairs: [string, string][];
  /** The shared (non-compartment) types that may be returned as referenced resources. */
  refTypes: string[];
  /** Every type that may appear in the result. */
  allowedTypes: string[];
  since: number | null;
  /** Care-date window [lo, hi] and the [type, date code] pairs it applies to. */
  window: { lo: number; hi: number; pairs: [string, string][] } | null;
  /** Consent-required caller: members may belong to no patient outside `patients`. */
  consent: boolean;
}

export interface EverythingKey {
  rid: number;
  /** Resource type. */
  rt: string;
  id: string;
}

/** The key-list statement (run it alone with `everythingKeys`, or in a batch). Null when nothing can match. */
export function everythingKeysStatement(db: D1Database, q: EverythingKeyQuery): D1PreparedStatement | null {
  if (q.allowedTypes.length === 0 || (q.patients.length === 0 && !q.personId)) return null;
  const sql = new SqlBuilder();
  const b = (v: string | number) => sql.bind(v);
  const store = b(q.storeId);
  const pats = b(JSON.stringify(q.patients));
  // "Type:code" keys: tested with IN against a list computed once per statement, never re-parsed per row.
  const pairKeys = b(JSON.stringify(q.memberPairs.map(([type, code]) => `${type}:${code}`)));
  const members = [
    `SELECT x.rid AS rid FROM json_each(${b(JSON.stringify(q.memberPairs))}) j
       CROSS JOIN fhir_search_scope sc ON sc.store_id = ${store} AND sc.resource_type = j.value->>0
       CROSS JOIN json_each(${pats}) pt
       CROSS JOIN fhir_idx_reference x ON x.sk = sc.sk AND x.p = j.value->>1 AND x.tid = pt.value AND x.tt = 'Patient'`,
    `SELECT R.rid FROM fhir_search_scope sc CROSS JOIN json_each(${pats}) pt
       CROSS JOIN fhir_search_res R ON R.sk = sc.sk AND R.id = pt.value
       WHERE sc.store_id = ${store} AND sc.resource_type = 'Patient'`,
  ];
  if (q.personId !== null)
    members.push(`SELECT R.rid FROM fhir_search_scope sc CROSS JOIN fhir_search_res R ON R.sk = sc.sk AND R.id = ${b(q.personId)}
       WHERE sc.store_id = ${store} AND sc.resource_type = 'Person'`);

  const conds = [`S.resource_type IN (SELECT value FROM json_each(${b(JSON.stringify(q.allowedTypes))}))`];
  if (q.since !== null) conds.push(`R.lu >= ${b(q.since)}`);
  if (q.window) {
    const datedTypes = b(JSON.stringify([...new Set(q.window.pairs.map(([type]) => type))]));
    const datedKeys = b(JSON.stringify(q.window.pairs.map(([type, code]) => `${type}:${code}`)));
    conds.push(`(S.resource_type NOT IN (SELECT value FROM json_each(${datedTypes}))
      OR EXISTS (SELECT 1 FROM fhir_idx_date d WHERE d.rid = R.rid AND (S.resource_type || ':' || d.p) IN (SELECT value FROM json_each(${datedKeys}))
        AND d.lo <= ${b(q.window.hi)} AND d.hi >= ${b(q.window.lo)}))`);
  }
  if (q.consent) {
    // Seed 001: a member that also belongs to a patient without consent (e.g. a shared Group) is left out.
    const exempt = q.personId !== null ? `(S.resource_type = 'Person' AND R.id = ${b(q.personId)}) OR ` : "";
    conds.push(`(${exempt}NOT EXISTS (SELECT 1 FROM fhir_idx_reference cz WHERE cz.rid = R.rid AND cz.tt = 'Patient'
      AND (S.resource_type || ':' || cz.p) IN (SELECT value FROM json_each(${pairKeys}))
      AND cz.tid NOT IN (SELECT value FROM json_each(${pats}))))`);
  }
  const subjectFirst = q.personId !== null ? `WHEN S.resource_type = 'Person' AND R.id = ${b(q.personId)} THEN 0 ` : "";
  const text = `WITH m(rid) AS (${members.join(" UNION ")}),
    targets(tt, tid) AS (
      SELECT DISTINCT y.tt, y.tid FROM m CROSS JOIN fhir_idx_reference y ON y.rid = m.rid
      WHERE y.tt IN (SELECT value FROM json_each(${b(JSON.stringify(q.refTypes))}))
    ),
    refs(rid) AS (
      SELECT T.rid FROM targets CROSS JOIN fhir_search_scope sc ON sc.store_id = ${store} AND sc.resource_type = targets.tt
      CROSS JOIN fhir_search_res T ON T.sk = sc.sk AND T.id = targets.tid
    )
    SELECT R.rid AS rid, S.resource_type AS rt, R.id AS id
    FROM (SELECT rid FROM m UNION SELECT rid FROM refs) u CROSS JOIN fhir_search_res R ON R.rid = u.rid
    CROSS JOIN fhir_search_scope S ON S.sk = R.sk
    WHERE ${conds.join(" AND ")}
    ORDER BY CASE ${subjectFirst}WHEN S.resource_type = 'Patient' THEN 1 ELSE 2 END, R.rid`;
  const stmt = finalizeSql(text, sql.params);
  return db.prepare(stmt.sql).bind(...stmt.params);
}

export async function everythingKeys(db: D1Database, q: EverythingKeyQuery): Promise<EverythingKey[]> {
  const stmt = everythingKeysStatement(db, q);
  return stmt ? (await stmt.all<EverythingKey>()).results : [];
}
