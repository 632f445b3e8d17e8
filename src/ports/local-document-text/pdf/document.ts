import { decodeStream } from "./filters";
import {
  isDict,
  latin1,
  nameOf,
  numberOf,
  type PdfDict,
  PdfKeyword,
  PdfReader,
  PdfRef,
  PdfStream,
  type PdfValue,
} from "./syntax";

/**
 * A PDF file's objects, found by scanning for `n g obj` rather than by trusting the cross-reference
 * table: real-world files often have broken xref offsets, and a scan also reads files saved with
 * incremental updates (a later definition of an object replaces the earlier one, §7.5.6).
 * Compressed object streams (§7.5.7) are unpacked; an object defined directly wins over one packed
 * in an object stream.
 */
export class PdfDocument {
  private readonly objects = new Map<number, PdfValue>();
  private readonly decoded = new WeakMap<PdfStream, Promise<Uint8Array>>();
  /** `trailer` dictionaries and cross-reference stream dictionaries, in file order. */
  readonly trailers: PdfDict[] = [];

  private constructor(private readonly bytes: Uint8Array) {}

  static async load(bytes: Uint8Array): Promise<PdfDocument> {
    const doc = new PdfDocument(bytes);
    doc.scan();
    await doc.unpackObjectStreams();
    return doc;
  }

  get objectCount(): number {
    return this.objects.size;
  }

  /** Follows references (a missing object is null, §7.3.10); depth-bounded against reference loops. */
  resolve(value: PdfValue | undefined): PdfValue | undefined {
    let v = value;
    for (let depth = 0; v instanceof PdfRef && depth < 32; depth++) v = this.objects.get(v.num) ?? null;
    return v instanceof PdfRef ? null : v;
  }

  get(dict: PdfDict | undefined, key: string): PdfValue | undefined {
    return dict ? this.resolve(dict.get(key)) : undefined;
  }

  getDict(dict: PdfDict | undefined, key: string): PdfDict | undefined {
    const v = this.get(dict, key);
    if (isDict(v)) return v;
    return v instanceof PdfStream ? v.dict : undefined;
  }

  /** Decoded stream bytes, decoded once; an undecodable stream rejects (callers skip it). */
  streamData(stream: PdfStream): Promise<Uint8Array> {
    let data = this.decoded.get(stream);
    if (!data) {
      data = decodeStream(stream.raw, stream.dict);
      this.decoded.set(stream, data);
    }
    return data;
  }

  /** All objects, for fallbacks that search by type. */
  *entries(): Iterable<[number, PdfValue]> {
    yield* this.objects.entries();
  }

  private scan(): void {
    const { bytes } = this;
    const text = latin1(bytes);
    const header = /(\d+)[ \t\r\n\f\0]+(\d+)[ \t\r\n\f\0]+obj\b/g;
    let pos = 0;
    // The next `trailer` keyword, searched again only once the scan has passed it (keeps the scan linear).
    let nextTrailer = text.indexOf("trailer");
    for (;;) {
      header.lastIndex = pos;
      const match = header.exec(text);
      while (nextTrailer >= 0 && nextTrailer < pos) nextTrailer = text.indexOf("trailer", pos);
      if (nextTrailer >= 0 && (!match || nextTrailer < match.index)) {
        const reader = new PdfReader(bytes, nextTrailer + "trailer".length);
        const dict = reader.next();
        if (isDict(dict)) this.trailers.push(dict);
        pos = Math.max(reader.pos, nextTrailer + 1);
        continue;
      }
      if (!match) break;
      const num = Number(match[1]);
      const reader = new PdfReader(bytes, match.index + match[0].length);
      const value = reader.next();
      pos = Math.max(reader.pos, match.index + match[0].length);
      if (value === undefined || value instanceof PdfKeyword) continue;
      reader.skipWhitespace();
      if (isDict(value) && text.startsWith("stream", reader.pos)) {
        const stream = this.readStream(text, value, reader.pos + "stream".length);
        this.objects.set(num, stream.stream);
        if (nameOf(value.get("Type")) === "XRef") this.trailers.push(value);
        pos = stream.end;
        continue;
      }
      this.objects.set(num, value);
    }
  }

  /** Stream data starts after `stream` and its EOL (§7.3.8.1); /Length is trusted only if it lands on `endstream`. */
  private readStream(text: string, dict: PdfDict, afterKeyword: number): { stream: PdfStream; end: number } {
    let start = afterKeyword;
    if (text.charCodeAt(start) === 0x0d) start++;
    if (text.charCodeAt(start) === 0x0a) start++;
    const length = numberOf(dict.get("Length"));
    let end = -1;
    if (length !== undefined && length >= 0 && start + length <= text.length) {
      const after = text.slice(start + length, start + length + 12).replace(/^[\r\n \t]+/, "");
      if (after.startsWith("endstream")) end = start + length;
    }
    if (end < 0) {
      const found = text.indexOf("endstream", start);
      end = found < 0 ? text.length : found;
      // The EOL before `endstream` is not part of the data.
      if (text.charCodeAt(end - 1) === 0x0a) end--;
      if (text.charCodeAt(end - 1) === 0x0d) end--;
    }
    const close = text.indexOf("endstream", end);
    return {
      stream: new PdfStream(dict, this.bytes.subarray(start, end)),
      end: close < 0 ? text.length : close + "endstream".length,
    };
  }

  private async unpackObjectStreams(): Promise<void> {
    const packed = [...this.objects.values()].filter(
      (v): v is PdfStream => v instanceof PdfStream && nameOf(v.dict.get("Type")) === "ObjStm",
    );
    for (const stream of packed) {
      let data: Uint8Array;
      try {
        data = await this.streamData(stream);
      } catch {
        continue;
      }
      const count = numberOf(stream.dict.get("N")) ?? 0;
      const first = numberOf(stream.dict.get("First")) ?? 0;
      const index = new PdfReader(data, 0, Math.min(first, data.length), false);
      const offsets: [number, number][] = [];
      for (let i = 0; i < count; i++) {
        const num = index.next();
        const offset = index.next();
        if (typeof num !== "number" || typeof offset !== "number") break;
        offsets.push([num, offset]);
      }
      for (const [num, offset] of offsets) {
        if (this.objects.has(num)) continue;
        const value = new PdfReader(data, first + offset).next();
        if (value !== undefined && !(value instanceof PdfKeyword)) this.objects.set(num, value);
      }
    }
  }
}
