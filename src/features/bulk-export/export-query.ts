/**
 * One page of one resource type of an export, as SQL: a keyset scan of the type's rows in the search
 * index (fhir_search_res (sk, rid), index fhir_search_res_sk) joined to their stored JSON, with the
 * export's conditions: transactionTime/_since on `lu`, the patient restriction (Patient/Group level,
 * patient context), consent, `_typeFilter` and the caller's v2 query constraints.
 */
import { consentPredicate } from "../consent/consent-access";
import { compartmentRefCodes } from "../fhir/everything/compartment";
import { constraintPredicate } from "../fhir/everything/read-grants";
import { type CompileContext, finalizeSql, SqlBuilder } from "../fhir/search/compile-search";
import type { CustomParams } from "../fhir/search/definitions";

export interface TypeExportPlan {
  type: string;
  sk: number;
  /** Only resources of these patients' compartments (null = no such restriction). */
  patients: string[] | null;
  /** Only resources in some patient's compartment (Patient-level export of all patients). */
  anyPatient: boolean;
  /** Consent-required caller: the patients that consent (resources of others are left out). */
  consentAllow: string[] | null;
  /** `_typeFilter` queries of this type, OR-ed (null = none). */
  typeFilters: URLSearchParams[] | null;
  /** The caller's v2 query constraints for this type, OR-ed (null = unrestricted). */
  constraints: URLSearchParams[] | null;
  /** The store's custom search parameters: `_typeFilter` and constraints may use them like a search. */
  custom?: CustomParams;
  /** Epoch ms bounds on lastUpdated: [since, until]. */
  since: number | null;
  until: number;
}

export interface PageRow {
  rid: number;
  body: string;
}

export function exportPageQuery(
  storeId: string,
  baseUrl: string,
  plan: TypeExportPlan,
  afterRid: number,
  limit: number,
): { sql: string; params: (string | number)[] } {
  const sql = new SqlBuilder();
  const b = (v: string | number) => sql.bind(v);
  const ctx: CompileContext = { sql, storeId, baseUrl };
  const conds = [`R.sk = ${b(plan.sk)}`, `R.rid > ${b(afterRid)}`, `R.lu <= ${b(plan.until)}`];
  if (plan.since !== null) conds.push(`R.lu >= ${b(plan.since)}`);
  if (plan.patients !== null || plan.anyPatient) {
    const list = plan.patients !== null ? b(JSON.stringify(plan.patients)) : null;
    if (plan.type === "Patient") {
      if (list) conds.push(`R.id IN (SELECT value FROM json_each(${list}))`);
    } else {
      const codes = compartmentRefCodes(plan.type);
      if (codes.length === 0) conds.push("0");
      else
        conds.push(`EXISTS (SELECT 1 FROM fhir_idx_reference px WHERE px.rid = R.rid AND px.p IN (${codes.map(b).join(", ")})
          AND px.tt = 'Patient'${list ? ` AND px.tid IN (SELECT value FROM json_each(${list}))` : ""})`);
    }
  }
  if (plan.consentAllow !== null) conds.push(consentPredicate(b, plan.type, "R", b(JSON.stringify(plan.consentAllow))));
  if (plan.typeFilters) conds.push(constraintPredicate(ctx, plan.type, "R", plan.typeFilters, plan.custom));
  if (plan.constraints) conds.push(constraintPredicate(ctx, plan.type, "R", plan.constraints, plan.custom));
  const text = `SELECT R.rid AS rid, f.body AS body FROM fhir_search_res R
    CROSS JOIN fhir_resources f ON f.store_id = ${b(storeId)} AND f.resource_type = ${b(plan.type)} AND f.id = R.id
    WHERE ${conds.join(" AND ")} AND f.deleted = 0
    ORDER BY R.rid LIMIT ${Math.max(1, Math.floor(limit))}`;
  return finalizeSql(text, sql.params);
}
