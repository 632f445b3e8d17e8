import { isDict, isWhitespace, nameOf, numberOf, type PdfDict, type PdfValue } from "./syntax";

/** A stream filter Hearth cannot decode (images: DCT, JPX, CCITT, JBIG2; old LZW). */
export class UnsupportedFilter extends Error {
  constructor(readonly filter: string) {
    super(`unsupported PDF filter ${filter}`);
  }
}

/**
 * The most one stream may inflate to. Content streams are rarely over a few MB; the bound keeps a
 * compression bomb from exhausting the Worker's memory (128 MB), and the text before it still reads.
 */
export const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

async function collect(readable: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const reader = readable.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (total >= MAX_INFLATED_BYTES) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  } catch {
    // Truncated streams and junk after the end are common in real PDFs: keep what was inflated.
  }
  return chunks;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function inflateWith(format: "deflate" | "deflate-raw", data: Uint8Array): Promise<Uint8Array> {
  const stream = new DecompressionStream(format);
  const writer = stream.writable.getWriter();
  // Not awaited: writing and reading proceed together (backpressure), and a corrupt tail rejects here.
  writer.write(data).catch(() => undefined);
  writer.close().catch(() => undefined);
  return concat(await collect(stream.readable));
}

/** FlateDecode (§7.4.4) with the runtime's zlib; raw deflate for writers that omit the zlib header. */
export async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const zlibHeader = data.length >= 2 && (data[0]! & 0x0f) === 8 && ((data[0]! << 8) | data[1]!) % 31 === 0;
  const out = await inflateWith(zlibHeader ? "deflate" : "deflate-raw", data);
  if (out.length > 0 || !zlibHeader) return out;
  return inflateWith("deflate-raw", data.subarray(2));
}

/** PNG predictors (§7.4.4.4, /Predictor >= 10): each row starts with its filter type byte. */
function unpredictPng(data: Uint8Array, params: PdfDict): Uint8Array {
  const colors = numberOf(params.get("Colors")) ?? 1;
  const bits = numberOf(params.get("BitsPerComponent")) ?? 8;
  const columns = numberOf(params.get("Columns")) ?? 1;
  const bpp = Math.max(1, Math.ceil((colors * bits) / 8));
  const rowLength = Math.ceil((colors * bits * columns) / 8);
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = new Uint8Array(rows * rowLength);
  let previous = new Uint8Array(rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)]!;
    const row = data.subarray(r * (rowLength + 1) + 1, (r + 1) * (rowLength + 1));
    const current = out.subarray(r * rowLength, (r + 1) * rowLength);
    for (let i = 0; i < rowLength; i++) {
      const left = i >= bpp ? current[i - bpp]! : 0;
      const up = previous[i]!;
      const upLeft = i >= bpp ? previous[i - bpp]! : 0;
      let value = row[i]!;
      if (type === 1) value += left;
      else if (type === 2) value += up;
      else if (type === 3) value += (left + up) >> 1;
      else if (type === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        value += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      current[i] = value & 0xff;
    }
    previous = current;
  }
  return out;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let high = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    const v =
      c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (v < 0) continue;
    if (high < 0) high = v;
    else {
      out.push(high * 16 + v);
      high = -1;
    }
  }
  if (high >= 0) out.push(high * 16);
  return Uint8Array.from(out);
}

/** ASCII85Decode (§7.4.3): groups of five base-85 digits, `z` for four zero bytes, `~>` ends. */
function ascii85(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  const group: number[] = [];
  const flush = (count: number) => {
    while (group.length < 5) group.push(84);
    let value = 0;
    for (const d of group) value = value * 85 + d;
    const bytes = [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    out.push(...bytes.slice(0, count));
    group.length = 0;
  };
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x7e) break; // ~>
    if (isWhitespace(c)) continue;
    if (c === 0x7a && group.length === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    if (c < 0x21 || c > 0x75) continue;
    group.push(c - 0x21);
    if (group.length === 5) flush(4);
  }
  if (group.length > 1) flush(group.length - 1);
  return Uint8Array.from(out);
}

/** Applies a stream's /Filter chain (with /DecodeParms) in order. */
export async function decodeStream(raw: Uint8Array, dict: PdfDict): Promise<Uint8Array> {
  const filter = dict.get("Filter") ?? dict.get("F");
  const params = dict.get("DecodeParms") ?? dict.get("DP");
  const filters: PdfValue[] = Array.isArray(filter) ? filter : filter === undefined ? [] : [filter];
  const paramList: PdfValue[] = Array.isArray(params) ? params : [params ?? null];
  let data = raw;
  for (let i = 0; i < filters.length; i++) {
    const name = nameOf(filters[i]);
    const p = paramList[i];
    switch (name) {
      case "FlateDecode":
      case "Fl": {
        data = await inflate(data);
        const predictor = isDict(p) ? (numberOf(p.get("Predictor")) ?? 1) : 1;
        if (isDict(p) && predictor >= 10) data = unpredictPng(data, p);
        break;
      }
      case "ASCIIHexDecode":
      case "AHx":
        data = asciiHex(data);
        break;
      case "ASCII85Decode":
      case "A85":
        data = ascii85(data);
        break;
      default:
        throw new UnsupportedFilter(name ?? "(unnamed)");
    }
  }
  return data;
}
