import { ImportFormatError, type TextChunks } from "./types";

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts (a quoted field may span lines). */
  line: number;
}

export interface CsvOptions {
  delimiter?: string;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * RFC 4180 reader over a chunk stream: quoted fields with `""` escapes and embedded delimiters or
 * line breaks, LF or CRLF line ends, a leading byte-order mark ignored, blank lines skipped.
 * Malformed input (a quote inside an unquoted field, text after a closing quote, an unterminated
 * quote) raises ImportFormatError naming the line.
 */
export async function* csvRecords(chunks: TextChunks, options: CsvOptions = {}): AsyncGenerator<CsvRecord> {
  const delim = (options.delimiter ?? ",").charCodeAt(0);
  let fields: string[] = [];
  let field = "";
  // 0 = start of field, 1 = unquoted, 2 = quoted, 3 = quote seen inside quoted, 4 = after closing quote
  let state = 0;
  let line = 1;
  let recordLine = 1;
  let first = true;
  // A CR ended the last record; an LF right after it (maybe in the next chunk) belongs to it.
  let crPending = false;

  const endRecord = (): CsvRecord | null => {
    fields.push(field);
    const rec = fields.length === 1 && fields[0] === "" && state !== 4 ? null : { fields, line: recordLine };
    fields = [];
    field = "";
    state = 0;
    return rec;
  };

  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (crPending) {
        crPending = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      if (state === 2) {
        // Copy a run of ordinary characters at once.
        let j = i;
        while (j < n) {
          const d = chunk.charCodeAt(j);
          if (d === QUOTE) break;
          if (d === LF) line++;
          j++;
        }
        field += chunk.slice(i, j);
        if (j < n) state = 3;
        i = j + 1;
        continue;
      }
      if (state === 3) {
        if (c === QUOTE) {
          field += '"';
          state = 2;
          i++;
          continue;
        }
        state = 4; // the quote closed the field: handle `c` below
      }
      if (c === delim) {
        fields.push(field);
        field = "";
        state = 0;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        crPending = c === CR;
        const rec = endRecord();
        line++;
        recordLine = line;
        i++;
        if (rec) yield rec;
        continue;
      }
      if (state === 4) throw new ImportFormatError("unexpected text after a closing quote", line);
      if (c === QUOTE) {
        if (state === 0) {
          state = 2;
          i++;
          continue;
        }
        throw new ImportFormatError("a quote inside an unquoted field (quote the field and double the quote)", line);
      }
      // Unquoted run up to the next special character.
      let j = i;
      while (j < n) {
        const d = chunk.charCodeAt(j);
        if (d === delim || d === LF || d === CR || d === QUOTE) break;
        j++;
      }
      field += chunk.slice(i, j);
      state = 1;
      i = j;
    }
  }
  if (state === 2) throw new ImportFormatError("unterminated quoted field", recordLine);
  if (state !== 0 || fields.length > 0 || field !== "") {
    const rec = endRecord();
    if (rec) yield rec;
  }
}

export interface CsvRow {
  /** Values by header name (trimmed header names; missing trailing cells read as ""). */
  values: Record<string, string>;
  line: number;
}

/** Records keyed by the header row; `onHeader` may reject a header (missing columns). */
export async function* csvRows(
  chunks: TextChunks,
  options: CsvOptions & { onHeader?: (header: string[]) => void } = {},
): AsyncGenerator<CsvRow> {
  let header: string[] | null = null;
  for await (const rec of csvRecords(chunks, options)) {
    if (!header) {
      header = rec.fields.map((h) => h.trim());
      options.onHeader?.(header);
      continue;
    }
    if (rec.fields.length > header.length) {
      throw new ImportFormatError(`${rec.fields.length} fields but the header has ${header.length}`, rec.line);
    }
    const values: Record<string, string> = {};
    for (let k = 0; k < header.length; k++) values[header[k]!] = rec.fields[k] ?? "";
    yield { values, line: rec.line };
  }
}

/** Tab when the first line has a tab and no comma outside quotes is likelier; else comma. */
export function sniffDelimiter(firstLine: string): "," | "\t" | "|" {
  const count = (ch: string) => firstLine.split(ch).length - 1;
  const tabs = count("\t");
  const pipes = count("|");
  const commas = count(",");
  if (tabs > commas && tabs >= pipes) return "\t";
  if (pipes > commas) return "|";
  return ",";
}
