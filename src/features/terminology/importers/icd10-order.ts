import { dottedIcd10cm } from "../text";
import { lines } from "./lines";
import { PrefixParents } from "./prefix-parents";
import { type CodeRecord, ImportFormatError, type TextChunks } from "./types";

export interface Icd10OrderOptions {
  /** ICD-10-CM shows codes with a dot after the category (`E11.65`); ICD-10-PCS has none. */
  dotted: boolean;
}

/**
 * CMS/CDC order file (`icd10cm_order_2025.txt`, `icd10pcs_order_2025.txt`), fixed width:
 * order number in columns 1–5, code without dot 7–13, flag 15 (`0` header, `1` billable),
 * short description 17–76, long description from 78.
 */
export async function* importIcd10Order(chunks: TextChunks, options: Icd10OrderOptions): AsyncGenerator<CodeRecord> {
  const parents = new PrefixParents();
  let lineNo = 0;
  for await (const line of lines(chunks)) {
    lineNo++;
    if (line.trim() === "") continue;
    if (line.length < 17 || !/^\d{5}$/.test(line.slice(0, 5))) {
      throw new ImportFormatError("not an order-file line (expected a 5-digit order number in columns 1-5)", lineNo);
    }
    const raw = line.slice(6, 13).trim();
    const flag = line.charAt(14);
    if (!/^[A-Z0-9]{3,7}$/i.test(raw)) throw new ImportFormatError(`invalid code '${raw}' in columns 7-13`, lineNo);
    if (flag !== "0" && flag !== "1")
      throw new ImportFormatError(`invalid header/billable flag '${flag}' in column 15`, lineNo);
    const short = line.slice(16, 76).trim();
    const long = line.length > 77 ? line.slice(77).trim() : "";
    const description = long || short;
    if (!description) throw new ImportFormatError(`code ${raw} has no description`, lineNo);
    const code = options.dotted ? dottedIcd10cm(raw) : raw.toUpperCase();
    const parent = parents.parentOf(code);
    yield {
      code,
      description,
      synonyms: short && short !== description ? [short] : [],
      parents: parent ? [parent] : [],
      active: true,
    };
  }
}
