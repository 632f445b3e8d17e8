import { lines } from "./lines";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";

interface OboTerm {
  id: string;
  name: string;
  def: string | null;
  synonyms: string[];
  isA: string[];
  altIds: string[];
  obsolete: boolean;
}

/** The quoted string at the start of an OBO value (`"text \"q\"" EXACT []` → `text "q"`). */
function quoted(value: string): string | null {
  if (!value.startsWith('"')) return null;
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && i + 1 < value.length) {
      out += value[++i];
      continue;
    }
    if (c === '"') return out;
    out += c;
  }
  return null;
}

/** Records of one term: the term itself, then each alternate id as an inactive record pointing to it. */
function* recordsOf(t: OboTerm): Generator<CodeRecord> {
  if (!t.name) return;
  yield {
    code: t.id,
    description: t.name,
    definition: t.def,
    synonyms: cleanSynonyms(t.name, t.synonyms),
    parents: t.isA,
    active: !t.obsolete,
  };
  // Alternate ids were merged into this term: they still resolve (inactive), with the term as parent.
  for (const alt of t.altIds) yield { code: alt, description: t.name, synonyms: [], parents: [t.id], active: false };
}

/**
 * HPO `hp.obo` (OBO 1.2): `[Term]` stanzas with `id`, `name`, `def`, `synonym: "…" EXACT|RELATED|
 * BROAD|NARROW […]`, `is_a: HP:… ! label`, `alt_id`, `is_obsolete: true`. Other stanzas
 * (`[Typedef]`) and tags are skipped. One stanza is held at a time.
 */
export async function* importHpoObo(chunks: TextChunks): AsyncGenerator<CodeRecord> {
  let term: OboTerm | null = null;
  let inTerm = false;
  let sawTerm = false;
  let lineNo = 0;
  for await (const raw of lines(chunks)) {
    lineNo++;
    const line = raw.trim();
    if (line.startsWith("[")) {
      if (term) yield* recordsOf(term);
      term = null;
      inTerm = line === "[Term]";
      sawTerm ||= inTerm;
      continue;
    }
    if (!inTerm || !line || line.startsWith("!")) continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new ImportFormatError("expected 'tag: value'", lineNo);
    const tag = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (tag === "id") {
      term = { id: value, name: "", def: null, synonyms: [], isA: [], altIds: [], obsolete: false };
      continue;
    }
    if (!term) throw new ImportFormatError(`'${tag}' before the stanza's id`, lineNo);
    switch (tag) {
      case "name":
        term.name = value;
        break;
      case "def":
        term.def = quoted(value);
        break;
      case "synonym": {
        const s = quoted(value);
        if (s === null) throw new ImportFormatError("a synonym must start with a quoted string", lineNo);
        term.synonyms.push(s);
        break;
      }
      case "is_a":
        term.isA.push(value.split(/[\s!{]/)[0]!);
        break;
      case "alt_id":
        term.altIds.push(value);
        break;
      case "is_obsolete":
        term.obsolete = value === "true";
        break;
    }
  }
  if (term) yield* recordsOf(term);
  if (!sawTerm) throw new ImportFormatError("no [Term] stanza: not an OBO file");
}
