/**
 * Expands a ValueSet stored in the same store into [system, code] pairs, for token `:in` / `:not-in`
 * (FHIR R4 search.html#token). The ValueSet is found by canonical `url` (optionally `|version`) through
 * the store's own search index, or as `ValueSet/{id}`.
 *
 * What counts (FHIR R4 valueset.html): `expansion.contains` (nested, abstract entries left out) when
 * present; else `compose`: each include is the intersection of its parts (explicit `concept` lists,
 * `filter`s `is-a` / `descendent-of` / `generalizes` over Hearth's builtin terminology, a whole builtin
 * system when small, nested `valueSet`s), includes are united, excludes removed. Anything bigger than
 * `limit` codes is refused as too costly.
 */
import { subsumption, TerminologyError, wholeSystem } from "./code-hierarchy";

type Code = [system: string, code: string];

/** Nested `include.valueSet` references are followed this deep (and cycles stop here). */
const MAX_DEPTH = 4;
/** ValueSets sharing one canonical url that are considered (versions). */
const MAX_VERSIONS = 50;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const keyOf = (c: Code) => `${c[0]}\u0001${c[1]}`;

class CodeSet {
  readonly codes = new Map<string, Code>();
  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {}
  add(c: Code): void {
    this.codes.set(keyOf(c), c);
    if (this.codes.size > this.limit)
      throw new TerminologyError("too-costly", `${this.what} has more than ${this.limit} codes`);
  }
  delete(c: Code): void {
    this.codes.delete(keyOf(c));
  }
}

interface StoredValueSet {
  body: string;
}

async function findValueSet(db: D1Database, storeId: string, canonical: string): Promise<Record<string, unknown>> {
  const byId = /^ValueSet\/([A-Za-z0-9\-.]{1,64})$/.exec(canonical);
  if (byId) {
    const row = await db
      .prepare(
        "SELECT body FROM fhir_resources WHERE store_id = ?1 AND resource_type = 'ValueSet' AND id = ?2 AND deleted = 0",
      )
      .bind(storeId, byId[1])
      .first<StoredValueSet>();
    if (!row) throw new TerminologyError("not-found", `${canonical} is not in this store`);
    return JSON.parse(row.body) as Record<string, unknown>;
  }
  const bar = canonical.indexOf("|");
  const url = bar >= 0 ? canonical.slice(0, bar) : canonical;
  const version = bar >= 0 ? canonical.slice(bar + 1) : undefined;
  // The ValueSet `url` search parameter's own index rows find it (no scan of the store's ValueSets).
  const { results } = await db
    .prepare(
      `SELECT f.body AS body FROM fhir_idx_uri u
       CROSS JOIN fhir_search_res r ON r.rid = u.rid
       CROSS JOIN fhir_resources f ON f.store_id = ?1 AND f.resource_type = 'ValueSet' AND f.id = r.id AND f.deleted = 0
       WHERE u.sk = (SELECT sk FROM fhir_search_scope WHERE store_id = ?1 AND resource_type = 'ValueSet')
         AND u.p = 'url' AND u.v = ?2
       LIMIT ?3`,
    )
    .bind(storeId, url, MAX_VERSIONS)
    .all<StoredValueSet>();
  const found = results.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  const candidates = version === undefined ? found : found.filter((vs) => vs.version === version);
  if (candidates.length === 0)
    throw new TerminologyError(
      "not-found",
      version === undefined
        ? `no ValueSet with url '${url}' in this store`
        : `no ValueSet with url '${url}' and version '${version}' in this store`,
    );
  // Several versions and none named: the most recently updated one.
  const updated = (vs: Record<string, unknown>) =>
    isObject(vs.meta) && typeof vs.meta.lastUpdated === "string" ? vs.meta.lastUpdated : "";
  return candidates.reduce((a, b) => (updated(b) > updated(a) ? b : a));
}

class Expander {
  constructor(
    private readonly db: D1Database,
    private readonly storeId: string,
    private readonly limit: number,
  ) {}

  async expand(canonical: string, depth: number): Promise<CodeSet> {
    if (depth > MAX_DEPTH)
      throw new TerminologyError("too-costly", `ValueSets nest more than ${MAX_DEPTH} levels (at '${canonical}')`);
    const vs = await findValueSet(this.db, this.storeId, canonical);
    const out = new CodeSet(this.limit, `ValueSet '${canonical}'`);
    const contains = isObject(vs.expansion) ? list(vs.expansion.contains) : [];
    if (contains.length) {
      const walk = (items: Record<string, unknown>[]) => {
        for (const c of items) {
          const system = str(c.system);
          const code = str(c.code);
          if (system && code && c.abstract !== true) out.add([system, code]);
          walk(list(c.contains));
        }
      };
      walk(contains);
      return out;
    }
    const compose = isObject(vs.compose) ? vs.compose : undefined;
    if (!compose)
      throw new TerminologyError("invalid", `ValueSet '${canonical}' has neither an expansion nor a compose`);
    for (const inc of list(compose.include)) for (const c of await this.part(inc, canonical, depth)) out.add(c);
    for (const exc of list(compose.exclude)) for (const c of await this.part(exc, canonical, depth)) out.delete(c);
    return out;
  }

  /** One include/exclude: the intersection of its system part and its nested value sets. */
  private async part(inc: Record<string, unknown>, canonical: string, depth: number): Promise<Code[]> {
    const sets: Code[][] = [];
    const system = str(inc.system);
    if (system) sets.push(await this.systemPart(system, inc, canonical));
    const nested = Array.isArray(inc.valueSet) ? inc.valueSet.filter((v): v is string => typeof v === "string") : [];
    for (const ref of nested) sets.push([...(await this.expand(ref, depth + 1)).codes.values()]);
    if (sets.length === 0)
      throw new TerminologyError(
        "invalid",
        `ValueSet '${canonical}': an include names neither a system nor a valueSet`,
      );
    return intersect(sets);
  }

  private async systemPart(system: string, inc: Record<string, unknown>, canonical: string): Promise<Code[]> {
    const concepts = list(inc.concept);
    if (concepts.length) return concepts.flatMap((c) => (str(c.code) ? [[system, str(c.code) as string] as Code] : []));
    const filters = list(inc.filter);
    if (filters.length === 0) return (await wholeSystem(this.db, system, this.limit)).map((code) => [system, code]);
    const sets: Code[][] = [];
    for (const f of filters) {
      const op = str(f.op);
      const value = str(f.value);
      const property = str(f.property) ?? "concept";
      if (!value) throw new TerminologyError("invalid", `ValueSet '${canonical}': a filter has no value`);
      let codes: string[];
      if (property === "concept" && (op === "is-a" || op === "descendent-of"))
        codes = await subsumption(this.db, system, value, "below", this.limit, op === "is-a");
      else if (property === "concept" && op === "generalizes")
        codes = await subsumption(this.db, system, value, "above", this.limit);
      else
        throw new TerminologyError(
          "not-supported",
          `ValueSet '${canonical}': filter '${property} ${op ?? "?"} ${value}' is not supported (is-a, descendent-of and generalizes on concept are)`,
        );
      sets.push(codes.map((code) => [system, code]));
    }
    return intersect(sets);
  }
}

function intersect(sets: Code[][]): Code[] {
  const [first, ...rest] = sets;
  if (!first) return [];
  const keys = rest.map((s) => new Set(s.map(keyOf)));
  return first.filter((c) => keys.every((k) => k.has(keyOf(c))));
}

/** The [system, code] pairs of the ValueSet `canonical` (`url[|version]` or `ValueSet/id`) of this store. */
export async function expandValueSet(
  db: D1Database,
  storeId: string,
  canonical: string,
  limit: number,
): Promise<Code[]> {
  const set = await new Expander(db, storeId, limit).expand(canonical, 0);
  return [...set.codes.values()];
}
