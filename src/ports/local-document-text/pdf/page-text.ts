import type { PdfDocument } from "./document";
import type { FontCache, PdfFont } from "./fonts";
import {
  isDict,
  nameOf,
  numberOf,
  type PdfDict,
  PdfKeyword,
  PdfName,
  PdfReader,
  PdfStream,
  PdfString,
  type PdfValue,
} from "./syntax";

/** An affine matrix `[a b c d e f]` in PDF's row-vector convention (ISO 32000-1 §8.3.3). */
type Matrix = [number, number, number, number, number, number];
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** m1 × m2: apply m1, then m2. */
function multiply(m1: Matrix, m2: Matrix): Matrix {
  return [
    m1[0] * m2[0] + m1[1] * m2[2],
    m1[0] * m2[1] + m1[1] * m2[3],
    m1[2] * m2[0] + m1[3] * m2[2],
    m1[2] * m2[1] + m1[3] * m2[3],
    m1[4] * m2[0] + m1[5] * m2[2] + m2[4],
    m1[4] * m2[1] + m1[5] * m2[3] + m2[5],
  ];
}

function toMatrix(values: PdfValue[] | undefined): Matrix | undefined {
  if (!values || values.length < 6) return undefined;
  const m = values.slice(0, 6).map((v) => numberOf(v));
  return m.every((x) => x !== undefined) ? (m as Matrix) : undefined;
}

/** Graphics and text state parameters that matter for positions (§8.4, §9.3), saved by q/Q. */
interface GraphicsState {
  ctm: Matrix;
  font?: PdfFont;
  fontSize: number;
  charSpacing: number;
  wordSpacing: number;
  horizontalScale: number;
  leading: number;
}

interface RunPosition {
  x: number;
  y: number;
  /** Font size in device space. */
  size: number;
  /** Unit vector of the baseline direction. */
  ux: number;
  uy: number;
}

/**
 * Turns glyph runs into lines. PDF content has no spaces or line breaks as such: runs are placed at
 * coordinates. A run that starts off the previous baseline begins a new line (a blank line when the
 * jump is large, a paragraph break); a run that starts further along the same baseline than the
 * previous one ended begins a new word. The thresholds are fractions of the font size.
 */
class TextCollector {
  private readonly parts: string[] = [];
  private last: RunPosition | null = null;

  beginRun(at: RunPosition): void {
    const last = this.last;
    if (!last) return;
    const dx = at.x - last.x;
    const dy = at.y - last.y;
    const along = dx * last.ux + dy * last.uy;
    const across = dy * last.ux - dx * last.uy;
    const size = Math.max(Math.min(at.size, last.size), 1e-6);
    if (Math.abs(across) > 0.5 * size) {
      this.separate(Math.abs(across) > 1.9 * Math.max(at.size, last.size) ? "\n\n" : "\n");
    } else if (along > 0.16 * size || along < -size) {
      this.separate(" ");
    }
  }

  add(text: string): void {
    if (text !== "") this.parts.push(text);
  }

  endRun(at: RunPosition): void {
    this.last = at;
  }

  private separate(separator: string): void {
    const previous = this.parts[this.parts.length - 1];
    if (previous === undefined) return;
    if (separator === " " && /\s$/.test(previous)) return;
    this.parts.push(separator);
  }

  text(): string {
    return this.parts.join("");
  }
}

/** Nesting bound for form XObjects that draw other forms. */
const MAX_FORM_DEPTH = 8;

/** Extracts the text of content streams (§9.4 text objects, §8.10 form XObjects). */
export class ContentTextExtractor {
  constructor(
    private readonly doc: PdfDocument,
    private readonly fonts: FontCache,
  ) {}

  async pageText(page: PdfDict, resources: PdfDict | undefined): Promise<string> {
    const contents = this.doc.get(page, "Contents");
    const streams = (Array.isArray(contents) ? contents.map((c) => this.doc.resolve(c)) : [contents]).filter(
      (s): s is PdfStream => s instanceof PdfStream,
    );
    const chunks: Uint8Array[] = [];
    for (const stream of streams) {
      try {
        chunks.push(await this.doc.streamData(stream));
      } catch {
        // An undecodable part is skipped; the rest of the page still reads (§7.8.2: parts split at token boundaries).
      }
    }
    const data = new Uint8Array(chunks.reduce((n, c) => n + c.length + 1, 0));
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      data[at + c.length] = 0x0a;
      at += c.length + 1;
    }
    const collector = new TextCollector();
    await this.run(data, resources, IDENTITY, collector, new Set());
    return collector.text();
  }

  private async run(
    data: Uint8Array,
    resources: PdfDict | undefined,
    ctm: Matrix,
    out: TextCollector,
    forms: Set<PdfStream>,
  ): Promise<void> {
    const reader = new PdfReader(data, 0, data.length, false);
    const stack: GraphicsState[] = [];
    let gs: GraphicsState = { ctm, fontSize: 0, charSpacing: 0, wordSpacing: 0, horizontalScale: 1, leading: 0 };
    let tm: Matrix = IDENTITY;
    let tlm: Matrix = IDENTITY;
    const operands: PdfValue[] = [];
    const num = (i: number) => numberOf(operands[i]) ?? 0;

    const nextLine = (tx: number, ty: number) => {
      tlm = multiply([1, 0, 0, 1, tx, ty], tlm);
      tm = tlm;
    };

    const show = (bytes: Uint8Array) => {
      const font = gs.font;
      if (!font) return;
      const position = (): RunPosition => {
        const trm = multiply(tm, gs.ctm);
        const scale = Math.hypot(trm[2], trm[3]) || 1;
        const length = Math.hypot(trm[0], trm[1]) || 1;
        return { x: trm[4], y: trm[5], size: Math.abs(gs.fontSize) * scale, ux: trm[0] / length, uy: trm[1] / length };
      };
      out.beginRun(position());
      let text = "";
      let advance = 0;
      for (const code of font.codes(bytes)) {
        text += font.text(code);
        const spacing = gs.charSpacing + (font.singleByte && code === 32 ? gs.wordSpacing : 0);
        advance += ((font.width(code) / 1000) * gs.fontSize + spacing) * gs.horizontalScale;
      }
      // §9.4.4: the glyphs' advances move the text matrix along its baseline.
      tm = [tm[0], tm[1], tm[2], tm[3], tm[4] + advance * tm[0], tm[5] + advance * tm[1]];
      out.add(text);
      out.endRun(position());
    };

    for (;;) {
      const value = reader.next();
      if (value === undefined) break;
      if (!(value instanceof PdfKeyword)) {
        if (operands.length < 64) operands.push(value);
        continue;
      }
      switch (value.word) {
        case "q":
          stack.push({ ...gs });
          break;
        case "Q":
          gs = stack.pop() ?? gs;
          break;
        case "cm": {
          const m = toMatrix(operands);
          if (m) gs = { ...gs, ctm: multiply(m, gs.ctm) };
          break;
        }
        case "BT":
          tm = IDENTITY;
          tlm = IDENTITY;
          break;
        case "Tf": {
          const name = operands[0] instanceof PdfName ? operands[0].name : undefined;
          const fontDict = name ? this.doc.getDict(this.doc.getDict(resources, "Font"), name) : undefined;
          gs = { ...gs, font: fontDict ? await this.fonts.get(fontDict) : undefined, fontSize: num(1) };
          break;
        }
        case "Tc":
          gs = { ...gs, charSpacing: num(0) };
          break;
        case "Tw":
          gs = { ...gs, wordSpacing: num(0) };
          break;
        case "Tz":
          gs = { ...gs, horizontalScale: num(0) / 100 };
          break;
        case "TL":
          gs = { ...gs, leading: num(0) };
          break;
        case "Td":
          nextLine(num(0), num(1));
          break;
        case "TD":
          gs = { ...gs, leading: -num(1) };
          nextLine(num(0), num(1));
          break;
        case "Tm": {
          const m = toMatrix(operands);
          if (m) {
            tlm = m;
            tm = m;
          }
          break;
        }
        case "T*":
          nextLine(0, -gs.leading);
          break;
        case "Tj":
          if (operands[0] instanceof PdfString) show(operands[0].bytes);
          break;
        case "'":
          nextLine(0, -gs.leading);
          if (operands[0] instanceof PdfString) show(operands[0].bytes);
          break;
        case '"':
          gs = { ...gs, wordSpacing: num(0), charSpacing: num(1) };
          nextLine(0, -gs.leading);
          if (operands[2] instanceof PdfString) show(operands[2].bytes);
          break;
        case "TJ": {
          const items = Array.isArray(operands[0]) ? operands[0] : [];
          for (const item of items) {
            if (item instanceof PdfString) show(item.bytes);
            else if (typeof item === "number") {
              // §9.4.3: a number moves the next glyph left by number/1000 text space units.
              const tx = (-item / 1000) * gs.fontSize * gs.horizontalScale;
              tm = [tm[0], tm[1], tm[2], tm[3], tm[4] + tx * tm[0], tm[5] + tx * tm[1]];
            }
          }
          break;
        }
        case "Do": {
          const name = operands[0] instanceof PdfName ? operands[0].name : undefined;
          const xobject = name ? this.doc.get(this.doc.getDict(resources, "XObject"), name) : undefined;
          if (
            xobject instanceof PdfStream &&
            nameOf(xobject.dict.get("Subtype")) === "Form" &&
            !forms.has(xobject) &&
            forms.size < MAX_FORM_DEPTH
          ) {
            let content: Uint8Array | undefined;
            try {
              content = await this.doc.streamData(xobject);
            } catch {
              content = undefined;
            }
            if (content) {
              const matrixValue = this.doc.get(xobject.dict, "Matrix");
              const matrix = toMatrix(Array.isArray(matrixValue) ? matrixValue : undefined) ?? IDENTITY;
              const formResources = this.doc.getDict(xobject.dict, "Resources") ?? resources;
              forms.add(xobject);
              await this.run(content, formResources, multiply(matrix, gs.ctm), out, forms);
              forms.delete(xobject);
            }
          }
          break;
        }
        case "ID":
          reader.skipInlineImageData();
          break;
      }
      operands.length = 0;
    }
  }
}

/** Page dictionaries in reading order (§7.7.3 page tree), each with its inherited /Resources. */
export function collectPages(doc: PdfDocument): { page: PdfDict; resources: PdfDict | undefined }[] {
  const pages: { page: PdfDict; resources: PdfDict | undefined }[] = [];
  const visited = new Set<PdfDict>();
  const walk = (node: PdfDict, inherited: PdfDict | undefined, depth: number) => {
    if (visited.has(node) || depth > 64) return;
    visited.add(node);
    const resources = doc.getDict(node, "Resources") ?? inherited;
    const kids = doc.get(node, "Kids");
    if (nameOf(node.get("Type")) === "Page" || (!Array.isArray(kids) && node.has("Contents"))) {
      pages.push({ page: node, resources });
      return;
    }
    if (!Array.isArray(kids)) return;
    for (const kid of kids) {
      const child = doc.resolve(kid);
      if (isDict(child)) walk(child, resources, depth + 1);
    }
  };

  let catalog: PdfDict | undefined;
  for (let i = doc.trailers.length - 1; i >= 0 && !catalog; i--) catalog = doc.getDict(doc.trailers[i], "Root");
  if (!catalog) {
    for (const [, value] of doc.entries())
      if (isDict(value) && nameOf(value.get("Type")) === "Catalog") catalog = value;
  }
  const root = doc.getDict(catalog, "Pages");
  if (root) walk(root, undefined, 0);
  if (pages.length > 0) return pages;

  // No usable page tree: every page object, in object-number order.
  return [...doc.entries()]
    .filter(([, v]) => isDict(v) && nameOf(v.get("Type")) === "Page")
    .sort(([a], [b]) => a - b)
    .map(([, v]) => ({ page: v as PdfDict, resources: doc.getDict(v as PdfDict, "Resources") }));
}
