import { codeKey, dottedIcd10cm } from "../text";
import { csvRows } from "./csv";
import type { IndexSynonyms } from "./icd10cm-index";
import { PrefixParents } from "./prefix-parents";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";

/**
 * ICD-10-CM tabular list as CSV (`ICD10CM_2025_codes.csv`: `Code,Description,ChapterID,SectionID`,
 * derived from the CDC XML), with the alphabetic index (read first) attached as synonyms.
 */
export async function* importIcd10cmCsv(chunks: TextChunks, index?: IndexSynonyms): AsyncGenerator<CodeRecord> {
  const parents = new PrefixParents();
  for await (const row of csvRows(chunks, {
    onHeader: (h) => {
      for (const col of ["Code", "Description"]) {
        if (!h.includes(col)) throw new ImportFormatError(`no '${col}' column (expected Code,Description,...)`, 1);
      }
    },
  })) {
    const raw = (row.values.Code ?? "").trim();
    const description = (row.values.Description ?? "").trim();
    if (!raw) throw new ImportFormatError("empty Code", row.line);
    if (!description) throw new ImportFormatError(`code ${raw} has an empty Description`, row.line);
    const code = dottedIcd10cm(raw);
    const parent = parents.parentOf(code);
    yield {
      code,
      description,
      synonyms: cleanSynonyms(description, index?.get(codeKey(code)) ?? []),
      parents: parent ? [parent] : [],
      active: true,
    };
  }
}
