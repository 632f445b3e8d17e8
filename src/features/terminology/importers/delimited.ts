import { csvRecords } from "./csv";
import { type CodeRecord, ImportFormatError, type TextChunks } from "./types";

export interface DelimitedOptions {
  codeCol: string;
  descCol: string;
  defnCol?: string;
  delimiter?: string;
}

/**
 * A delimited file with a header row (custom uploads, the operator's CPT export): the named columns
 * give code, description and optional definition. Missing columns, empty codes or descriptions and
 * duplicate codes are errors naming the row (rows count from 1 = the header).
 */
export async function* importDelimited(chunks: TextChunks, options: DelimitedOptions): AsyncGenerator<CodeRecord> {
  let header: string[] | null = null;
  let codeIdx = -1;
  let descIdx = -1;
  let defnIdx = -1;
  let row = 0;
  const seen = new Map<string, number>();
  for await (const rec of csvRecords(chunks, { delimiter: options.delimiter })) {
    row++;
    if (!header) {
      header = rec.fields.map((h) => h.trim());
      const find = (name: string, what: string) => {
        const i = header!.indexOf(name);
        const ci = i >= 0 ? i : header!.findIndex((h) => h.toLowerCase() === name.toLowerCase());
        if (ci < 0)
          throw new ImportFormatError(
            `the header has no ${what} column '${name}' (columns: ${header!.join(", ")})`,
            rec.line,
          );
        return ci;
      };
      codeIdx = find(options.codeCol, "code");
      descIdx = find(options.descCol, "description");
      if (options.defnCol) defnIdx = find(options.defnCol, "definition");
      continue;
    }
    if (rec.fields.length > header.length) {
      throw new ImportFormatError(
        `row ${row} has ${rec.fields.length} fields but the header has ${header.length}`,
        rec.line,
      );
    }
    const code = (rec.fields[codeIdx] ?? "").trim();
    const description = (rec.fields[descIdx] ?? "").trim();
    if (!code) throw new ImportFormatError(`row ${row}: the code is empty`, rec.line);
    if (!description) throw new ImportFormatError(`row ${row}: code '${code}' has an empty description`, rec.line);
    const first = seen.get(code);
    if (first !== undefined)
      throw new ImportFormatError(`row ${row}: duplicate code '${code}' (first on row ${first})`, rec.line);
    seen.set(code, row);
    const definition = defnIdx >= 0 ? (rec.fields[defnIdx] ?? "").trim() || null : null;
    yield { code, description, definition, synonyms: [], parents: [], active: true };
  }
  if (!header) throw new ImportFormatError("the file is empty (a header row is required)");
}

const CODE_HEADERS = ["code", "cpt_code", "cpt code", "cpt", "hcpcs", "concept_code"];
const DESC_HEADERS = [
  "long_description",
  "long description",
  "description",
  "descriptor",
  "long_descriptor",
  "short_description",
  "short description",
];

/**
 * CPT from the operator's licensed file: a CSV/TSV with a code and a description column (common
 * header names are recognised), or the AMA's headerless `code<TAB>descriptor` text files.
 */
export async function* importCptFile(
  chunks: TextChunks,
  options: { delimiter?: string } = {},
): AsyncGenerator<CodeRecord> {
  let headerChecked = false;
  let codeIdx = 0;
  let descIdx = 1;
  const seen = new Set<string>();
  for await (const rec of csvRecords(chunks, { delimiter: options.delimiter })) {
    if (!headerChecked) {
      headerChecked = true;
      const lower = rec.fields.map((f) => f.trim().toLowerCase());
      const c = lower.findIndex((h) => CODE_HEADERS.includes(h));
      const d = DESC_HEADERS.map((h) => lower.indexOf(h)).find((i) => i >= 0) ?? -1;
      if (c >= 0 && d >= 0) {
        codeIdx = c;
        descIdx = d;
        continue;
      }
      if (!/^[0-9A-Z]{4}[0-9A-Z]$/i.test(rec.fields[0]?.trim() ?? "") || rec.fields.length < 2) {
        throw new ImportFormatError(
          "no code/description header and the first row is not `code<delimiter>description`",
          rec.line,
        );
      }
    }
    const code = (rec.fields[codeIdx] ?? "").trim().toUpperCase();
    const description = (rec.fields[descIdx] ?? "").trim();
    if (!code) continue;
    if (!description) throw new ImportFormatError(`code ${code} has an empty description`, rec.line);
    if (seen.has(code)) continue; // AMA files repeat codes across descriptor lengths; the first wins.
    seen.add(code);
    yield { code, description, synonyms: [], parents: [], active: true };
  }
}
