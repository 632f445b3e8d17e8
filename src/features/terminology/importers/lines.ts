import type { TextChunks } from "./types";

/** Splits text chunks into lines (LF or CRLF), without holding more than one partial line. */
export async function* lines(chunks: TextChunks): AsyncGenerator<string> {
  let rest = "";
  let first = true;
  for await (const chunk of chunks) {
    let text = rest + chunk;
    if (first && text.length > 0) {
      // A UTF-8 byte-order mark is not part of the first field.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl >= 0; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
}

/** Wraps a whole string as a chunk stream (tests, uploads already in memory). */
export async function* fromString(text: string, chunkSize = 64 * 1024): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += chunkSize) yield text.slice(i, i + chunkSize);
}
