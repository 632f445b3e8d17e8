import { ImportFormatError, type TextChunks } from "./types";

export type XmlEvent =
  | { kind: "open"; name: string; attrs: Record<string, string> }
  | { kind: "close"; name: string }
  | { kind: "text"; text: string };

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Replaces the XML predefined entities and character references. */
export function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return NAMED_ENTITIES[e] ?? m;
  });
}

const ATTR = /([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Index of the `>` that ends the tag starting at `from`, skipping quoted attribute values; -1 if not yet read. */
function tagEnd(buf: string, from: number): number {
  let quote = 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return i;
  }
  return -1;
}

/**
 * A small streaming XML tokenizer (elements, attributes, text, CDATA; comments, processing
 * instructions and the doctype are skipped). It keeps only the unfinished tail of the input,
 * so a release file of any size streams through. Namespaces are not interpreted; names are
 * reported as written.
 */
export async function* xmlEvents(chunks: TextChunks): AsyncGenerator<XmlEvent> {
  let buf = "";
  let line = 1;
  const countLines = (s: string) => {
    for (let k = s.indexOf("\n"); k >= 0; k = s.indexOf("\n", k + 1)) line++;
  };
  for await (const chunk of chunks) {
    buf += chunk;
    let pos = 0;
    for (;;) {
      const lt = buf.indexOf("<", pos);
      if (lt < 0) break;
      if (lt > pos) {
        const raw = buf.slice(pos, lt);
        countLines(raw);
        yield { kind: "text", text: decodeEntities(raw) };
        pos = lt;
      }
      if (buf.startsWith("<!--", pos)) {
        const end = buf.indexOf("-->", pos + 4);
        if (end < 0) break;
        countLines(buf.slice(pos, end));
        pos = end + 3;
        continue;
      }
      if (buf.startsWith("<![CDATA[", pos)) {
        const end = buf.indexOf("]]>", pos + 9);
        if (end < 0) break;
        const raw = buf.slice(pos + 9, end);
        countLines(raw);
        yield { kind: "text", text: raw };
        pos = end + 3;
        continue;
      }
      if (buf.startsWith("<?", pos)) {
        const end = buf.indexOf("?>", pos + 2);
        if (end < 0) break;
        pos = end + 2;
        continue;
      }
      const gt = tagEnd(buf, pos + 1);
      if (gt < 0) break;
      const inner = buf.slice(pos + 1, gt);
      countLines(inner);
      pos = gt + 1;
      if (inner.startsWith("!")) continue; // <!DOCTYPE ...>
      if (inner.startsWith("/")) {
        yield { kind: "close", name: inner.slice(1).trim() };
        continue;
      }
      const selfClosing = inner.endsWith("/");
      const body = selfClosing ? inner.slice(0, -1) : inner;
      const m = /^\s*([^\s/>]+)/.exec(body);
      if (!m) throw new ImportFormatError("malformed tag", line);
      const name = m[1]!;
      const attrs: Record<string, string> = {};
      ATTR.lastIndex = m[0].length;
      for (let a = ATTR.exec(body); a; a = ATTR.exec(body)) attrs[a[1]!] = decodeEntities(a[3] ?? a[4] ?? "");
      yield { kind: "open", name, attrs };
      if (selfClosing) yield { kind: "close", name };
    }
    buf = buf.slice(pos);
  }
  if (buf.trim().length > 0) {
    if (buf.includes("<")) throw new ImportFormatError("the file ends inside a tag", line);
    yield { kind: "text", text: decodeEntities(buf) };
  }
}
