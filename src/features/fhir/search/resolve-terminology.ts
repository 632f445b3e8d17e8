/**
 * Expands the terminology-dependent token modifiers of a parsed search before it is compiled (FHIR R4
 * search.html#token): `:in` / `:not-in` (a ValueSet of the store, value-set-expansion.ts) and `:below` /
 * `:above` (subsumption in Hearth's terminology, code-hierarchy.ts) become one `codes` value, which the
 * compiler matches as an OR over the token rows with a single bound JSON parameter.
 *
 * A parameter that cannot be expanded (unknown ValueSet, unknown code system, more than `limit` codes)
 * becomes an issue and is dropped, like an unknown parameter: ignored and reported by default, a 400
 * under `Prefer: handling=strict` (the caller's strict check runs after this).
 */
import { subsumption, TerminologyError } from "./code-hierarchy";
import { type Filter, needsExpansion, type ParamFilter, type SearchQuery } from "./search-query";
import { expandValueSet } from "./value-set-expansion";
import { clip, MAX_TOKEN_LENGTH } from "./values";

/** Most codes one parameter may expand to (its JSON stays one bound parameter of modest size). */
export const MAX_EXPANDED_CODES = 1000;

type Code = [string, string];

/** The param filters of `f` (chains and _has included) that still need an expansion. */
function pending(f: Filter): ParamFilter[] {
  switch (f.kind) {
    case "param":
      return needsExpansion(f) ? [f] : [];
    case "chain":
      return f.links.flatMap((l) => pending(l.inner));
    case "has":
      return pending(f.inner);
    case "list":
      return [];
  }
}

export async function resolveTerminology(
  db: D1Database,
  storeId: string,
  query: SearchQuery,
  limit = MAX_EXPANDED_CODES,
): Promise<void> {
  // One expansion per distinct value and request (a system search parses each filter once per type).
  const memo = new Map<string, Promise<Code[]>>();
  const once = (key: string, run: () => Promise<Code[]>): Promise<Code[]> => {
    const hit = memo.get(key);
    if (hit) return hit;
    const p = run();
    memo.set(key, p);
    return p;
  };

  const expand = async (f: ParamFilter): Promise<void> => {
    const codes = new Map<string, Code>();
    for (const v of f.values) {
      let got: Code[] = [];
      if (v.t === "valueSet") got = await once(`in ${v.url}`, () => expandValueSet(db, storeId, v.url, limit));
      else if (v.t === "token" && v.system && v.code && (f.modifier === "below" || f.modifier === "above")) {
        const { system, code } = v;
        const direction = f.modifier;
        got = await once(`${direction} ${system}|${code}`, async () =>
          (await subsumption(db, system, code, direction, limit)).map((c): Code => [system, c]),
        );
      } else if (v.t === "codes") got = v.codes;
      for (const [s, c] of got) codes.set(`${s}\u0001${c}`, [clip(s, MAX_TOKEN_LENGTH), clip(c, MAX_TOKEN_LENGTH)]);
    }
    if (codes.size > limit)
      throw new TerminologyError("too-costly", `the values expand to more than ${limit} codes; narrow them down`);
    f.values = [{ t: "codes", codes: [...codes.values()] }];
  };

  const kept = [];
  for (const qf of query.filters) {
    const todo = [...qf.byType.values()].flatMap(pending);
    try {
      for (const f of todo) await expand(f);
      kept.push(qf);
    } catch (e) {
      if (!(e instanceof TerminologyError)) throw e;
      query.issues.push({
        severity: "error",
        code: e.issue,
        diagnostics: `Parameter '${qf.name}': ${e.message}`,
        expression: [qf.name],
      });
      // Left out of the self link, as ignored parameters are.
      const at = query.linkParams.findIndex(([k, v]) => k === qf.name && v === qf.value);
      if (at >= 0) query.linkParams.splice(at, 1);
    }
  }
  query.filters = kept;
}
