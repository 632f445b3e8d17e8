import type { Utf8Index } from "./utf8";

/** A cited piece of the input: UTF-16 positions for JS, UTF-8 byte offsets for the API. */
export interface TextSpan {
  text: string;
  /** UTF-16 index range in the JS string. */
  start: number;
  end: number;
  /** UTF-8 byte range: `utf8(input).slice(begin, endByte)` decodes to `text`. */
  begin: number;
  endByte: number;
}

export function spanOf(utf8: Utf8Index, start: number, end: number): TextSpan {
  return {
    text: utf8.text.slice(start, end),
    start,
    end,
    begin: utf8.byteOffset(start),
    endByte: utf8.byteOffset(end),
  };
}
