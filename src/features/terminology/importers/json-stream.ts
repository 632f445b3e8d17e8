import { ImportFormatError, type TextChunks } from "./types";

interface Frame {
  array: boolean;
  /** For an object: the key whose value is being read. */
  key: string | null;
}

/**
 * Streams the object elements of the JSON arrays found at any of `paths` (object keys, `*` for any
 * array index, from the root), e.g. `["graphs", "*", "nodes"]` in an obographs file, with the index
 * of the path that matched. Each element is parsed alone as soon as it closes and the text before
 * it is dropped, so the document never sits in memory as a whole.
 */
export async function* jsonArrayObjects(
  chunks: TextChunks,
  paths: string[][],
): AsyncGenerator<{ path: number; value: Record<string, unknown> }> {
  const stack: Frame[] = [];
  let buf = "";
  let inString = false;
  let escaped = false;
  let stringStart = -1;
  let expectingKey = false;
  let captureStart = -1;
  let captureDepth = -1;
  let capturePath = -1;

  /** Index of the path whose array is the innermost open container, or -1. */
  const target = (): number => {
    if (stack.length === 0 || !stack[stack.length - 1]!.array) return -1;
    return paths.findIndex((path) => {
      if (stack.length !== path.length + 1) return false;
      for (let k = 0; k < path.length; k++) {
        const f = stack[k]!;
        if (f.array ? path[k] !== "*" : f.key !== path[k]) return false;
      }
      return true;
    });
  };

  for await (const chunk of chunks) {
    let i = buf.length;
    buf += chunk;
    for (; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) {
          inString = false;
          if (expectingKey) stack[stack.length - 1]!.key = JSON.parse(buf.slice(stringStart, i + 1)) as string;
        }
        continue;
      }
      switch (c) {
        case 34:
          inString = true;
          stringStart = i;
          break;
        case 123:
          if (captureStart < 0) {
            capturePath = target();
            if (capturePath >= 0) {
              captureStart = i;
              captureDepth = stack.length;
            }
          }
          stack.push({ array: false, key: null });
          expectingKey = true;
          break;
        case 91:
          stack.push({ array: true, key: null });
          expectingKey = false;
          break;
        case 125:
        case 93: {
          const f = stack.pop();
          if (!f || f.array !== (c === 93)) throw new ImportFormatError("mismatched bracket in JSON");
          expectingKey = false;
          if (captureStart >= 0 && stack.length === captureDepth) {
            yield { path: capturePath, value: JSON.parse(buf.slice(captureStart, i + 1)) as Record<string, unknown> };
            captureStart = -1;
          }
          break;
        }
        case 44:
          expectingKey = stack.length > 0 && !stack[stack.length - 1]!.array;
          break;
        case 58:
          expectingKey = false;
          break;
      }
    }
    // Keep only what is still needed: the element being captured, or an unfinished key string.
    const keep = captureStart >= 0 ? captureStart : inString ? stringStart : buf.length;
    if (keep > 0) {
      buf = buf.slice(keep);
      if (captureStart >= 0) captureStart -= keep;
      stringStart -= keep;
    }
  }
  if (stack.length > 0 || inString) throw new ImportFormatError("the JSON document ends early");
}
