import { codeKey, normalizedPhrase, typoBudget, words } from "./text";
import { vocabularyOf } from "./vocabulary";

export interface TextHit {
  code: string;
  description: string;
}

export interface TextSearchResult {
  results: TextHit[];
  found: number;
}

/** The generation a search reads: set id and its rowid range (content of a set never changes). */
export interface SetRef {
  active_set: number | null;
  min_code_id: number | null;
  max_code_id: number | null;
}

/**
 * Ranking tiers (issue 5): exact code, then exact term, then prefix (of a code or of a name), then
 * code substrings, then the rest by bm25.
 */
enum Tier {
  ExactCode = 0,
  ExactTerm = 1,
  Prefix = 2,
  CodeSubstring = 3,
  Relevance = 4,
}

/** bm25 column weights: a word in the name counts more than the same word in a synonym. */
const BM25 = "bm25(codes_fts, 10.0, 3.0)";
/** Text candidates ranked in SQL by bm25 before the tiers are applied in code. */
const TEXT_CANDIDATES = 250;
const MAX_QUERY_WORDS = 12;
const MAX_CORRECTIONS = 6;

interface Row {
  id: number;
  code: string;
  description: string;
  synonyms?: string | null;
  code_key?: string;
  total?: number;
}

type Ranked = Row & { tier: Tier };

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Whether a one-word query may be (part of) a code id: it has a digit (`E11`, `11.65`, `2345-7`). */
function codeLike(q: string): boolean {
  return !/\s/.test(q) && q.length <= 40 && /\d/.test(q);
}

/**
 * The FTS5 query for the words of `q`: each word matches itself or, from two characters, any word
 * it starts; a word unknown to the set's vocabulary also matches its spelling corrections (none
 * under 5 letters, 1 edit for 5–8, 2 from 9; a transposition is one edit). Words are ANDed ("all")
 * or ORed ("any").
 */
async function ftsQuery(db: D1Database, setId: number, q: string, mode: "all" | "any"): Promise<string | null> {
  const tokens = [...new Set(words(q))].slice(0, MAX_QUERY_WORDS);
  if (tokens.length === 0) return null;
  const vocabulary = tokens.some((t) => typoBudget(t) > 0) ? await vocabularyOf(db, setId) : null;
  const groups = tokens.map((t) => {
    const alternatives = [quote(t)];
    if (t.length >= 2) alternatives.push(`${quote(t)}*`);
    const budget = typoBudget(t);
    if (vocabulary && budget > 0 && !vocabulary.has(t)) {
      for (const c of vocabulary.corrections(t, budget, MAX_CORRECTIONS)) alternatives.push(quote(c));
    }
    return `(${alternatives.join(" OR ")})`;
  });
  return groups.join(mode === "all" ? " AND " : " OR ");
}

function textTier(row: Row, phrase: string): Tier {
  const names = [row.description];
  if (row.synonyms) {
    try {
      names.push(...(JSON.parse(row.synonyms) as string[]));
    } catch {
      // A malformed synonyms column only loses the tier bonus.
    }
  }
  const normalized = names.map(normalizedPhrase);
  if (normalized.includes(phrase)) return Tier.ExactTerm;
  if (phrase && normalized.some((n) => n.startsWith(phrase))) return Tier.Prefix;
  return Tier.Relevance;
}

function codeStatement(db: D1Database, set: SetRef, q: string, limit: number): D1PreparedStatement | null {
  const key = codeKey(q);
  if (!key || /\s/.test(q)) return null;
  const order =
    "ORDER BY (c.code_key = ?5) DESC, (substr(c.code_key, 1, length(?5)) = ?5) DESC, length(c.code_key), c.code_key";
  if (!codeLike(q)) {
    // A word without digits can still be a custom system's code: exact key only.
    return db
      .prepare(
        "SELECT c.id, c.code, c.description, c.code_key, 1 AS total FROM codes c WHERE c.set_id = ?1 AND c.code_key = ?2",
      )
      .bind(set.active_set, key);
  }
  if (key.length >= 3) {
    // Trigram index finds every substring of three characters or more, seeking to the set's rowid range.
    return db
      .prepare(
        `SELECT c.id, c.code, c.description, c.code_key, count(*) OVER () AS total
         FROM codes_code_fts JOIN codes c ON c.id = codes_code_fts.rowid
         WHERE codes_code_fts MATCH ?1 AND codes_code_fts.rowid BETWEEN ?2 AND ?3 AND c.set_id = ?4
         ${order} LIMIT ?6`,
      )
      .bind(quote(key), set.min_code_id, set.max_code_id, set.active_set, key, limit);
  }
  // One or two characters: prefixes only (a trigram needs three).
  return db
    .prepare(
      `SELECT c.id, c.code, c.description, c.code_key, count(*) OVER () AS total
       FROM codes c WHERE c.set_id = ?4 AND ?1 IS NULL AND ?2 IS NULL AND ?3 IS NULL
         AND c.code_key >= ?5 AND c.code_key < ?5 || char(1114111)
       ${order} LIMIT ?6`,
    )
    .bind(null, null, null, set.active_set, key, limit);
}

/** bm25 candidates and their total count (an FTS5 auxiliary function cannot share a query with a window function). */
function wordStatements(db: D1Database, set: SetRef, match: string): [D1PreparedStatement, D1PreparedStatement] {
  const where = "codes_fts MATCH ?1 AND codes_fts.rowid BETWEEN ?2 AND ?3 AND c.set_id = ?4 AND c.active = 1";
  const args = [match, set.min_code_id, set.max_code_id, set.active_set];
  return [
    db
      .prepare(
        `SELECT c.id, c.code, c.description, c.synonyms FROM codes_fts JOIN codes c ON c.id = codes_fts.rowid
         WHERE ${where} ORDER BY ${BM25} LIMIT ?5`,
      )
      .bind(...args, TEXT_CANDIDATES),
    db
      .prepare(`SELECT count(*) AS total FROM codes_fts JOIN codes c ON c.id = codes_fts.rowid WHERE ${where}`)
      .bind(...args),
  ];
}

/**
 * A search as D1 statements plus the step that turns their rows into ranked results, so that the
 * caller can send them in one batch (with its system lookup). `null` from `assemble` asks for a
 * second pass in "any" mode: no code has every word.
 */
export interface TextSearchPlan {
  statements: D1PreparedStatement[];
  assemble(rows: unknown[][], allowRetry: boolean): TextSearchResult | null;
}

export async function planTextSearch(
  db: D1Database,
  set: SetRef,
  q: string,
  limit: number,
  mode: "all" | "any" = "all",
): Promise<TextSearchPlan> {
  const trimmed = q.trim();
  const codeStmt = mode === "all" ? codeStatement(db, set, trimmed, limit) : null;
  const match = await ftsQuery(db, set.active_set!, trimmed, mode);
  const statements = [...(codeStmt ? [codeStmt] : []), ...(match ? wordStatements(db, set, match) : [])];
  const phrase = normalizedPhrase(trimmed);
  return {
    statements,
    assemble(rows, allowRetry) {
      let i = 0;
      const key = codeKey(trimmed);
      const codeRows: Ranked[] = codeStmt
        ? (rows[i++] as Row[]).map((r) => ({
            ...r,
            tier: r.code_key === key ? Tier.ExactCode : r.code_key!.startsWith(key) ? Tier.Prefix : Tier.CodeSubstring,
          }))
        : [];
      const codeTotal = codeRows[0]?.total ?? 0;
      const wordRows: Ranked[] = match ? (rows[i++] as Row[]).map((r) => ({ ...r, tier: textTier(r, phrase) })) : [];
      const wordTotal = match ? ((rows[i++] as Array<{ total: number }>)[0]?.total ?? 0) : 0;
      if (allowRetry && mode === "all" && codeTotal === 0 && wordTotal === 0 && words(trimmed).length > 1) return null;
      // Code matches first within a tier, then word matches in bm25 order.
      const merged = [
        ...codeRows.map((r, n) => ({ r, key: r.tier * 2, n })),
        ...wordRows.map((r, n) => ({ r, key: r.tier * 2 + 1, n })),
      ].sort((a, b) => a.key - b.key || a.n - b.n);
      const seen = new Set<number>();
      const results: TextHit[] = [];
      let overlap = 0;
      for (const { r } of merged) {
        if (seen.has(r.id)) {
          overlap++;
          continue;
        }
        seen.add(r.id);
        if (results.length < limit) results.push({ code: r.code, description: r.description });
      }
      return { results, found: codeTotal + wordTotal - overlap };
    },
  };
}

/**
 * Keyword search over one code system's active set: code ids by substring, names and synonyms by
 * words, prefixes and spelling corrections. When no code has every word, codes with any of them
 * are ranked instead. `found` counts all matches, not only the returned page.
 */
export async function textSearch(
  db: D1Database,
  set: SetRef,
  q: string,
  limit: number,
  mode: "all" | "any" = "all",
): Promise<TextSearchResult> {
  if (set.active_set === null || set.min_code_id === null) return { results: [], found: 0 };
  const plan = await planTextSearch(db, set, q, limit, mode);
  const rows = plan.statements.length ? (await db.batch(plan.statements)).map((r) => r.results) : [];
  return plan.assemble(rows, true) ?? textSearch(db, set, q, limit, "any");
}
