/**
 * Builds small but well-formed PDF files for the document-text tests (ISO 32000-1 §7.5: header,
 * body, cross-reference table or stream, trailer). Offsets in the xref are real, so the files open
 * in ordinary viewers too.
 */

/** Bytes of a string whose chars are all < 256 (PDF syntax is bytes, not UTF-8). */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new Error(`char ${c} is not a byte`);
    out[i] = c;
  }
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const hex = (data: Uint8Array) => `${Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("")}>`;

type Body = { kind: "plain"; text: string } | { kind: "stream"; dict: string; data: Uint8Array };

export class PdfBuilder {
  private readonly bodies = new Map<number, Body>();
  private order: number[] = [];
  private next = 1;

  /** Reserves an object number (to reference an object before writing it). */
  reserve(): number {
    return this.next++;
  }

  object(text: string, num = this.reserve()): number {
    this.bodies.set(num, { kind: "plain", text });
    this.order.push(num);
    return num;
  }

  /** A stream object; `dict` is the dictionary body without `/Length` (added here unless given). */
  stream(dict: string, data: Uint8Array | string, num = this.reserve()): number {
    this.bodies.set(num, { kind: "stream", dict, data: typeof data === "string" ? bytes(data) : data });
    this.order.push(num);
    return num;
  }

  /** Writes objects in this order instead of creation order (the page tree must still win). */
  reorder(order: number[]): void {
    this.order = order;
  }

  build(trailer: string, options: { xrefStream?: { compressed: Map<number, [number, number]> } } = {}): Uint8Array {
    const parts: Uint8Array[] = [bytes("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")];
    let offset = parts[0]!.length;
    const offsets = new Map<number, number>();
    for (const num of this.order) {
      const body = this.bodies.get(num)!;
      offsets.set(num, offset);
      let chunk: Uint8Array;
      if (body.kind === "plain") chunk = bytes(`${num} 0 obj\n${body.text}\nendobj\n`);
      else {
        const dict = body.dict.includes("/Length") ? body.dict : `${body.dict} /Length ${body.data.length}`;
        chunk = concatBytes([
          bytes(`${num} 0 obj\n<< ${dict} >>\nstream\n`),
          body.data,
          bytes("\nendstream\nendobj\n"),
        ]);
      }
      parts.push(chunk);
      offset += chunk.length;
    }
    const size = Math.max(...this.bodies.keys(), ...(options.xrefStream?.compressed.keys() ?? [])) + 1;
    if (options.xrefStream) {
      // A cross-reference stream (§7.5.8) with /W [1 4 2]: type, offset or object stream, generation or index.
      const num = size;
      const rows: number[][] = [[0, 0, 0xffff]];
      for (let n = 1; n <= num; n++) {
        const packed = options.xrefStream.compressed.get(n);
        if (n === num) rows.push([1, offset, 0]);
        else if (packed) rows.push([2, packed[0], packed[1]]);
        else if (offsets.has(n)) rows.push([1, offsets.get(n)!, 0]);
        else rows.push([0, 0, 0]);
      }
      const data = new Uint8Array(rows.length * 7);
      rows.forEach(([type, field2, field3], i) => {
        const view = new DataView(data.buffer, i * 7, 7);
        view.setUint8(0, type!);
        view.setUint32(1, field2!);
        view.setUint16(5, field3!);
      });
      const head = `${num} 0 obj\n<< /Type /XRef /Size ${num + 1} /W [1 4 2] ${trailer} /Length ${data.length} >>\nstream\n`;
      parts.push(concatBytes([bytes(head), data, bytes(`\nendstream\nendobj\nstartxref\n${offset}\n%%EOF\n`)]));
      return concatBytes(parts);
    }
    let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
    for (let n = 1; n < size; n++) {
      const at = offsets.get(n);
      xref += at === undefined ? "0000000000 65535 f \n" : `${String(at).padStart(10, "0")} 00000 n \n`;
    }
    parts.push(bytes(`${xref}trailer\n<< /Size ${size} ${trailer} >>\nstartxref\n${offset}\n%%EOF\n`));
    return concatBytes(parts);
  }
}

/** A ToUnicode CMap (§9.10.3) mapping 2-byte codes 1, 2, 3, ... to the characters of `chars`. */
export function toUnicodeCMap(chars: string[]): string {
  const utf16 = (s: string) =>
    Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, "0")).join("");
  const entries = chars.map((c, i) => `<${(i + 1).toString(16).padStart(4, "0")}> <${utf16(c)}>`).join("\n");
  return [
    "/CIDInit /ProcSet findresource begin",
    "12 dict begin",
    "begincmap",
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
    "/CMapName /Adobe-Identity-UCS def",
    "/CMapType 2 def",
    "1 begincodespacerange",
    "<0000> <FFFF>",
    "endcodespacerange",
    `${chars.length} beginbfchar`,
    entries,
    "endbfchar",
    "endcmap",
    "CMapName currentdict /CMap defineresource pop",
    "end",
    "end",
  ].join("\n");
}

/** The 2-byte codes of `text` under `toUnicodeCMap(alphabet)`, as a hex string operand. */
export function cidHex(text: string, alphabet: string[]): string {
  const codes = Array.from(text).map((ch) => {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`"${ch}" is not in the alphabet`);
    return (i + 1).toString(16).padStart(4, "0");
  });
  return `<${codes.join("")}>`;
}

/** A one-font document: each page's content stream given whole; Helvetica (standard 14, WinAnsi). */
export async function simplePdf(pages: string[], options: { compress?: boolean } = {}): Promise<Uint8Array> {
  const pdf = new PdfBuilder();
  const catalog = pdf.reserve();
  const tree = pdf.reserve();
  const font = pdf.object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  const kids: number[] = [];
  for (const content of pages) {
    const data = bytes(content);
    const stream = options.compress ? pdf.stream("/Filter /FlateDecode", await deflate(data)) : pdf.stream("", data);
    kids.push(
      pdf.object(
        `<< /Type /Page /Parent ${tree} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${stream} 0 R >>`,
      ),
    );
  }
  pdf.object(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`, tree);
  pdf.object(`<< /Type /Catalog /Pages ${tree} 0 R >>`, catalog);
  return pdf.build(`/Root ${catalog} 0 R`);
}
