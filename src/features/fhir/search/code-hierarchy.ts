/**
 * Subsumption over Hearth's builtin terminology (src/features/terminology, migrations/0003_terminology.sql)
 * for token `:below` / `:above` (FHIR R4 search.html#token) and ValueSet `is-a` / `descendent-of` /
 * `generalizes` filters (valueset.html#compose). FHIR system URIs map to the builtin code systems; tenant
 * code systems are not consulted.
 *
 * Two kinds of hierarchy:
 * - ICD-10-CM / ICD-10-PCS: the code structure is the hierarchy (the importers derive `parents` from code
 *   prefixes too), so descendants are a code-key range of the active set and ancestors are the key's
 *   prefixes; codes a resource uses but the loaded release lacks (categories like `E11`) still subsume.
 * - The others (SNOMED CT, LOINC, RxNorm, HPO, CPT): the `parents` column, walked upwards by key
 *   lookups, downwards over the set's parent edges (one scan of the set; a full SNOMED CT release costs
 *   about a second, the starter content nothing).
 */
import { codeKey, dottedIcd10cm } from "../../terminology/text";

export class TerminologyError extends Error {
  constructor(
    readonly issue: "not-found" | "not-supported" | "too-costly" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/** FHIR system URI → builtin code system names (first match wins). */
const SYSTEMS: Record<string, string[]> = {
  "http://hl7.org/fhir/sid/icd-10-cm": ["ICD-10-CM"],
  "http://www.cms.gov/Medicare/Coding/ICD10": ["ICD-10-PCS"],
  "http://snomed.info/sct": ["SNOMED_CT_US_LITE", "SNOMED_CT"],
  "http://loinc.org": ["LOINC"],
  "http://www.nlm.nih.gov/research/umls/rxnorm": ["RXNORM"],
  "http://purl.obolibrary.org/obo/hp.owl": ["HPO"],
  "http://www.ama-assn.org/go/cpt": ["CPT"],
};
const PREFIX_HIERARCHY = new Set(["ICD-10-CM", "ICD-10-PCS"]);
const MAX_CHAR = "\u{10FFFF}";

export const supportedSystems = (): string[] => Object.keys(SYSTEMS);

interface ActiveSet {
  name: string;
  setId: number;
  codeCount: number;
}

async function activeSet(db: D1Database, system: string): Promise<ActiveSet> {
  const names = SYSTEMS[system];
  if (!names) {
    throw new TerminologyError(
      "not-supported",
      `subsumption needs a code system Hearth's terminology knows (${supportedSystems().join(", ")}); got '${system}'`,
    );
  }
  const { results } = await db
    .prepare(
      `SELECT s.name AS name, s.active_set AS setId, cs.code_count AS codeCount FROM code_systems s
       JOIN code_sets cs ON cs.id = s.active_set
       WHERE s.org_id IS NULL AND s.status = 'ready' AND s.name IN (SELECT value FROM json_each(?1))
       ORDER BY s.version DESC`,
    )
    .bind(JSON.stringify(names))
    .all<ActiveSet>();
  for (const name of names) {
    const row = results.find((r) => r.name === name);
    if (row) return row;
  }
  throw new TerminologyError("not-found", `the code system '${system}' is not loaded in Hearth's terminology`);
}

/** Keeps the limit: one more code than allowed means "too many". */
function capped(codes: Iterable<string>, limit: number, what: string): string[] {
  const out = [...new Set(codes)];
  if (out.length > limit)
    throw new TerminologyError("too-costly", `${what} has more than ${limit} codes; narrow it down`);
  return out;
}

/**
 * Codes subsumed by `code` (`below`) or subsuming it (`above`) in `system`, the code itself included
 * unless `includeSelf` is false (`descendent-of`). At most `limit` codes, else too-costly.
 */
export async function subsumption(
  db: D1Database,
  system: string,
  code: string,
  direction: "below" | "above",
  limit: number,
  includeSelf = true,
): Promise<string[]> {
  const set = await activeSet(db, system);
  const key = codeKey(code);
  const what = `${system}|${code} ${direction === "below" ? "with its descendants" : "with its ancestors"}`;
  // The code as given and, for ICD-10-CM, its dotted spelling (`E1165` is written `E11.65`).
  const self = includeSelf
    ? [...new Set([code, ...(set.name === "ICD-10-CM" && key ? [dottedIcd10cm(key)] : [])])]
    : [];
  if (!key) return self;
  if (PREFIX_HIERARCHY.has(set.name)) {
    if (direction === "above") {
      // ICD-10-CM categories have 3 characters; the dot is cosmetic (E11.65 → E11.6 → E11).
      const min = set.name === "ICD-10-CM" ? 3 : 1;
      const out = [...self];
      for (let len = key.length - 1; len >= min; len--) {
        const k = key.slice(0, len);
        out.push(set.name === "ICD-10-CM" ? dottedIcd10cm(k) : k);
      }
      return out;
    }
    const { results } = await db
      .prepare("SELECT code FROM codes WHERE set_id = ?1 AND code_key > ?2 AND code_key < ?3 LIMIT ?4")
      .bind(set.setId, key, key + MAX_CHAR, limit + 1)
      .all<{ code: string }>();
    return capped([...self, ...results.map((r) => r.code)], limit, what);
  }
  // LIMIT inside the recursive CTEs stops the walk itself once the cap is exceeded.
  if (direction === "above") {
    const { results } = await db
      .prepare(
        `WITH RECURSIVE up(k, code) AS (
           SELECT ?2, NULL
           UNION
           SELECT upper(replace(p.value, '.', '')), p.value FROM up
           JOIN codes c ON c.set_id = ?1 AND c.code_key = up.k, json_each(c.parents) p
           LIMIT ?3 + 1
         )
         SELECT DISTINCT code FROM up WHERE code IS NOT NULL AND k != ?2 LIMIT ?3`,
      )
      .bind(set.setId, key, limit + 1)
      .all<{ code: string }>();
    return capped([...self, ...results.map((r) => r.code)], limit, what);
  }
  const { results } = await db
    .prepare(
      `WITH RECURSIVE
         edges(pk, ck, code) AS MATERIALIZED (
           SELECT upper(replace(p.value, '.', '')), c.code_key, c.code FROM codes c, json_each(c.parents) p
           WHERE c.set_id = ?1 AND c.parents IS NOT NULL
         ),
         down(k, code) AS (
           SELECT ?2, NULL
           UNION
           SELECT e.ck, e.code FROM down JOIN edges e ON e.pk = down.k
           LIMIT ?3 + 1
         )
       SELECT code FROM down WHERE code IS NOT NULL AND k != ?2 LIMIT ?3`,
    )
    .bind(set.setId, key, limit + 1)
    .all<{ code: string }>();
  return capped([...self, ...results.map((r) => r.code)], limit, what);
}

/** Every code of a builtin system (ValueSet include of a whole system), when it has at most `limit`. */
export async function wholeSystem(db: D1Database, system: string, limit: number): Promise<string[]> {
  const set = await activeSet(db, system);
  if (set.codeCount > limit)
    throw new TerminologyError("too-costly", `including all of ${system} (${set.codeCount} codes) is too costly`);
  const { results } = await db
    .prepare("SELECT code FROM codes WHERE set_id = ?1 AND active = 1 LIMIT ?2")
    .bind(set.setId, limit + 1)
    .all<{ code: string }>();
  return capped(
    results.map((r) => r.code),
    limit,
    `all of ${system}`,
  );
}
