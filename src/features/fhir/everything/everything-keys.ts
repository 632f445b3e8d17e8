/**
 * The key list of a $everything: which resources, in which order, as (rid, type, id) only. One SQL
 * statement over the search index (migrations/0002_fhir_search.sql):
 *   m     the subject Patient(s) (and the Person), plus every compartment member: reference-index rows
 *         (sk, p, tid = patient, tt = 'Patient') for each (type, compartment code) pair, an index range
 *         probe per pair on fhir_idx_reference_t (sk, p, tid, tt);
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
  patientSk: number | null;
  /** The Person of Person/$everything. */
  person: { sk: number; id: string } | null;
  /** [sk, reference code] pairs that make a resource a compartment member. */
  memberPairs: [number, string][];
  /** The shared (non-compartment) types that may be returned as referenced resources. */
  refTypes: string[];
  /** Scope keys of every type that may appear in the result. */
  allowedSks: number[];
  since: number | null;
  window: { lo: number; hi: number; pairs: [number, string][] } | null;
  /** Consent-required caller: members may belong to no patient outside `patients`. */
  consent: boolean;
}

export interface EverythingKey {
  rid: number;
  sk: number;
  id: string;
}

export async function everythingKeys(db: D1Database, q: EverythingKeyQuery): Promise<EverythingKey[]> {
  if (q.allowedSks.length === 0 || (q.patients.length === 0 && !q.person)) return [];
  const sql = new SqlBuilder();
  const b = (v: string | number) => sql.bind(v);
  const pats = b(JSON.stringify(q.patients));
  const pairs = b(JSON.stringify(q.memberPairs));
  // "sk:code" keys: tested with IN against a list computed once per statement, never re-parsed per row.
  const pairKeys = b(JSON.stringify(q.memberPairs.map(([sk, code]) => `${sk}:${code}`)));
  const members = [
    `SELECT x.rid AS rid FROM json_each(${pairs}) j CROSS JOIN json_each(${pats}) pt CROSS JOIN fhir_idx_reference x
       ON x.sk = j.value->>0 AND x.p = j.value->>1 AND x.tid = pt.value AND x.tt = 'Patient'`,
  ];
  if (q.patientSk !== null)
    members.push(
      `SELECT R.rid FROM json_each(${pats}) pt CROSS JOIN fhir_search_res R ON R.sk = ${b(q.patientSk)} AND R.id = pt.value`,
    );
  if (q.person)
    members.push(`SELECT R.rid FROM fhir_search_res R WHERE R.sk = ${b(q.person.sk)} AND R.id = ${b(q.person.id)}`);

  const conds = [`R.sk IN (SELECT value FROM json_each(${b(JSON.stringify(q.allowedSks))}))`];
  if (q.since !== null) conds.push(`R.lu >= ${b(q.since)}`);
  if (q.window) {
    const datedSks = b(JSON.stringify([...new Set(q.window.pairs.map(([sk]) => sk))]));
    const datedKeys = b(JSON.stringify(q.window.pairs.map(([sk, code]) => `${sk}:${code}`)));
    conds.push(`(R.sk NOT IN (SELECT value FROM json_each(${datedSks}))
      OR EXISTS (SELECT 1 FROM fhir_idx_date d WHERE d.rid = R.rid AND (R.sk || ':' || d.p) IN (SELECT value FROM json_each(${datedKeys}))
        AND d.lo <= ${b(q.window.hi)} AND d.hi >= ${b(q.window.lo)}))`);
  }
  if (q.consent) {
    // Seed 001: a member that also belongs to a patient without consent (e.g. a shared Group) is left out.
    const exempt = q.person ? `(R.sk = ${b(q.person.sk)} AND R.id = ${b(q.person.id)}) OR ` : "";
    conds.push(`(${exempt}NOT EXISTS (SELECT 1 FROM fhir_idx_reference cz WHERE cz.rid = R.rid AND cz.tt = 'Patient'
      AND (R.sk || ':' || cz.p) IN (SELECT value FROM json_each(${pairKeys}))
      AND cz.tid NOT IN (SELECT value FROM json_each(${pats}))))`);
  }
  const order = [
    ...(q.person ? [`WHEN R.sk = ${b(q.person.sk)} THEN 0`] : []),
    ...(q.patientSk !== null ? [`WHEN R.sk = ${b(q.patientSk)} THEN 1`] : []),
  ];
  const text = `WITH m(rid) AS (${members.join(" UNION ")}),
    targets(tt, tid) AS (
      SELECT DISTINCT y.tt, y.tid FROM m CROSS JOIN fhir_idx_reference y ON y.rid = m.rid
      WHERE y.tt IN (SELECT value FROM json_each(${b(JSON.stringify(q.refTypes))}))
    ),
    refs(rid) AS (
      SELECT T.rid FROM targets CROSS JOIN fhir_search_scope sc ON sc.store_id = ${b(q.storeId)} AND sc.resource_type = targets.tt
      CROSS JOIN fhir_search_res T ON T.sk = sc.sk AND T.id = targets.tid
    )
    SELECT R.rid AS rid, R.sk AS sk, R.id AS id
    FROM (SELECT rid FROM m UNION SELECT rid FROM refs) u CROSS JOIN fhir_search_res R ON R.rid = u.rid
    WHERE ${conds.join(" AND ")}
    ORDER BY ${order.length ? `CASE ${order.join(" ")} ELSE 2 END, ` : ""}R.rid`;
  const stmt = finalizeSql(text, sql.params);
  const res = await db
    .prepare(stmt.sql)
    .bind(...stmt.params)
    .all<EverythingKey>();
  return res.results;
}
