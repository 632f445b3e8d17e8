import { csvRows } from "./csv";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";

/**
 * LOINC `Loinc.csv` (quoted CSV, header `LOINC_NUM, COMPONENT, PROPERTY, …, LONG_COMMON_NAME,
 * SHORTNAME, STATUS, …`). The long common name is the description; the short name, display name,
 * consumer name and related names are synonyms. DEPRECATED terms are kept inactive.
 */
export async function* importLoincCsv(chunks: TextChunks): AsyncGenerator<CodeRecord> {
  for await (const row of csvRows(chunks, {
    onHeader: (h) => {
      for (const col of ["LOINC_NUM", "COMPONENT", "STATUS"]) {
        if (!h.includes(col)) throw new ImportFormatError(`no '${col}' column: not a Loinc.csv file`, 1);
      }
    },
  })) {
    const v = row.values;
    const code = (v.LOINC_NUM ?? "").trim();
    if (!/^\d{1,7}-\d$/.test(code)) throw new ImportFormatError(`invalid LOINC_NUM '${code}'`, row.line);
    const axes = [v.COMPONENT, v.PROPERTY, v.TIME_ASPCT, v.SYSTEM, v.SCALE_TYP, v.METHOD_TYP]
      .map((s) => (s ?? "").trim())
      .filter(Boolean);
    const description = (v.LONG_COMMON_NAME ?? "").trim() || axes.join(":");
    if (!description) throw new ImportFormatError(`${code} has neither LONG_COMMON_NAME nor axis values`, row.line);
    const related = (v.RELATEDNAMES2 ?? "").split(";");
    yield {
      code,
      description,
      definition: (v.DefinitionDescription ?? "").trim() || null,
      synonyms: cleanSynonyms(description, [v.SHORTNAME ?? "", v.DisplayName ?? "", v.CONSUMER_NAME ?? "", ...related]),
      parents: [],
      active: (v.STATUS ?? "").trim().toUpperCase() !== "DEPRECATED",
    };
  }
}
