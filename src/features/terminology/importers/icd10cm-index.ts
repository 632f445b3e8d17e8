import { codeKey } from "../text";
import { csvRows } from "./csv";
import { ImportFormatError, type TextChunks } from "./types";
import { xmlEvents } from "./xml-events";

/** Index terms by code key: the alphabetic index read as a large synonym → code list. */
export type IndexSynonyms = Map<string, string[]>;

/**
 * A term's full name joins its ancestors: main term first (`Diabetes, diabetic`), then the
 * indented subterms in order (`with hyperglycemia`) → `Diabetes, diabetic, with hyperglycemia`.
 */
function fullTerm(stack: string[], level: number): string {
  const main = stack[0] ?? "";
  const sub = stack
    .slice(1, level + 1)
    .filter(Boolean)
    .join(" ");
  return sub ? `${main}, ${sub}` : main;
}

/** `S72.0-` (an index code to be completed) and `E11.9` both name the code with that key. */
function indexCodeKey(code: string): string {
  return codeKey(code.replace(/[-.\s]+$/, ""));
}

function add(map: IndexSynonyms, code: string, term: string) {
  const key = indexCodeKey(code);
  if (!key || !term) return;
  const list = map.get(key);
  if (list) list.push(term);
  else map.set(key, [term]);
}

/**
 * The index as CSV (`ICD10CM_2025_Index.csv`): `RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code`.
 * Rows without a code (cross-references) name no code and are skipped.
 */
export async function readIcd10cmIndexCsv(chunks: TextChunks): Promise<IndexSynonyms> {
  const map: IndexSynonyms = new Map();
  const stack: string[] = [];
  for await (const row of csvRows(chunks, {
    onHeader: (h) => {
      for (const col of ["Level", "Term", "Code"]) {
        if (!h.includes(col)) throw new ImportFormatError(`the index CSV has no '${col}' column`, 1);
      }
    },
  })) {
    const level = Number.parseInt(row.values.Level ?? "", 10);
    if (!Number.isInteger(level) || level < 0 || level > 20) {
      throw new ImportFormatError(`invalid Level '${row.values.Level}'`, row.line);
    }
    if (level > stack.length) throw new ImportFormatError(`Level ${level} skips a level`, row.line);
    const term = (row.values.Term ?? "").trim();
    stack.length = level;
    stack.push(term);
    const code = (row.values.Code ?? "").trim();
    if (!code) continue;
    const name = fullTerm(stack, level);
    add(map, code, name);
    const modifiers = (row.values.NonEssModif ?? "").trim();
    if (modifiers) add(map, code, `${name} ${modifiers}`);
  }
  return map;
}

/**
 * The CDC index XML (`icd10cm_index_2025.xml`, schema icd10cm-index-2025.xsd): `mainTerm` and
 * nested `term level="n"`, each with a `title` (its `nemod` holds non-essential modifiers) and an
 * optional `code`.
 */
export async function readIcd10cmIndexXml(chunks: TextChunks): Promise<IndexSynonyms> {
  const map: IndexSynonyms = new Map();
  const path: string[] = [];
  const stack: string[] = [];
  // Per open term: title text, modifiers, code.
  const open: Array<{ level: number; title: string; nemod: string; code: string }> = [];
  for await (const ev of xmlEvents(chunks)) {
    if (ev.kind === "open") {
      path.push(ev.name);
      if (ev.name === "mainTerm") open.push({ level: 0, title: "", nemod: "", code: "" });
      else if (ev.name === "term") {
        const level = Number.parseInt(ev.attrs.level ?? "", 10);
        if (!Number.isInteger(level)) throw new ImportFormatError("a <term> without a numeric level");
        open.push({ level, title: "", nemod: "", code: "" });
      }
      continue;
    }
    const t = open[open.length - 1];
    if (ev.kind === "text") {
      if (!t) continue;
      const el = path[path.length - 1];
      if (el === "title") t.title += ev.text;
      else if (el === "nemod") t.nemod += ev.text;
      else if (el === "code" && path[path.length - 2] !== "cell") t.code += ev.text;
      continue;
    }
    const el = path.pop();
    if (el === "title" && t) {
      stack.length = t.level;
      stack.push(t.title.replace(/\s+/g, " ").trim());
    } else if (el === "code" && t && t.code.trim()) {
      const name = fullTerm(stack, t.level);
      add(map, t.code.trim(), name);
      const modifiers = t.nemod.replace(/\s+/g, " ").trim();
      if (modifiers) add(map, t.code.trim(), `${name} ${modifiers}`);
    } else if (el === "mainTerm" || el === "term") {
      open.pop();
    }
  }
  return map;
}
