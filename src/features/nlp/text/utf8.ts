/**
 * UTF-8 byte offsets for a JavaScript (UTF-16) string.
 *
 * Citations in `POST /construe/extract` are byte offsets into the UTF-8 encoding of the input
 * (seed 004, `citations[].begin_offset` / `end_offset`: `input[begin:end] == text`), while JS strings
 * index UTF-16 code units. This maps one to the other in O(1) after one O(n) pass (skipped for ASCII).
 */
export class Utf8Index {
  readonly text: string;
  readonly isAscii: boolean;
  /** byteAt[i] = number of UTF-8 bytes before UTF-16 index i (length n+1); absent for ASCII text. */
  private readonly byteAt: Uint32Array | null;

  constructor(text: string) {
    this.text = text;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range check needs \x00.
    this.isAscii = /^[\x00-\x7f]*$/.test(text);
    this.byteAt = this.isAscii ? null : buildByteTable(text);
  }

  /** UTF-8 byte offset of the UTF-16 index `i` (0 ≤ i ≤ length). */
  byteOffset(i: number): number {
    return this.byteAt === null ? i : this.byteAt[i]!;
  }

  /** Total UTF-8 length of the text. */
  get byteLength(): number {
    return this.byteOffset(this.text.length);
  }

  /** UTF-16 index of a UTF-8 byte offset (binary search); offsets inside a code point round down. */
  charIndex(byte: number): number {
    if (this.byteAt === null) return Math.max(0, Math.min(byte, this.text.length));
    let lo = 0;
    let hi = this.text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.byteAt[mid]! <= byte) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function buildByteTable(text: string): Uint32Array {
  const n = text.length;
  const table = new Uint32Array(n + 1);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    table[i] = bytes;
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair is one code point of 4 bytes; the low half sits "inside" it.
        table[i + 1] = bytes + 4;
        bytes += 4;
        i++;
        continue;
      }
      bytes += 3; // lone surrogate: encoded as U+FFFD (3 bytes) by TextEncoder
    } else bytes += 3;
  }
  table[n] = bytes;
  return table;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `utf8(input).slice(begin, end)` decoded: what a client does with a citation. */
export function sliceUtf8(text: string, begin: number, end: number): string {
  return decoder.decode(encoder.encode(text).slice(begin, end));
}
