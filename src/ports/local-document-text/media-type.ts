import { latin1 } from "./pdf/syntax";

export type DocumentKind = "text" | "markdown" | "html" | "pdf" | "image" | "other";

export interface ClassifiedDocument {
  kind: DocumentKind;
  /** Lower-cased essence (`type/subtype`) without parameters; the sniffed one for generic types. */
  mediaType: string;
  charset?: string;
}

const TEXT_TYPES = new Set([
  "text/plain",
  "text/csv",
  "text/tab-separated-values",
  "text/xml",
  "text/rtf",
  "application/json",
  "application/xml",
  "application/x-ndjson",
  "application/ndjson",
  "application/yaml",
  "text/yaml",
]);
const MARKDOWN_TYPES = new Set(["text/markdown", "text/x-markdown"]);
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const GENERIC_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream", "application/unknown"]);

/** Magic numbers of the image formats people upload as "documents". */
function sniffImage(head: Uint8Array): string | undefined {
  const s = latin1(head, 0, Math.min(head.length, 16));
  if (s.startsWith("\x89PNG")) return "image/png";
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (s.startsWith("GIF8")) return "image/gif";
  if (s.startsWith("RIFF") && s.slice(8, 12) === "WEBP") return "image/webp";
  if (s.startsWith("II*\0") || s.startsWith("MM\0*")) return "image/tiff";
  if (s.startsWith("BM")) return "image/bmp";
  if (s.slice(4, 12) === "ftypheic" || s.slice(4, 12) === "ftypheix" || s.slice(4, 12) === "ftypmif1")
    return "image/heic";
  return undefined;
}

function sniff(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 1024);
  if (latin1(head).includes("%PDF-")) return "application/pdf";
  const image = sniffImage(head);
  if (image) return image;
  if (head.includes(0)) return "application/octet-stream";
  try {
    // Leave out the last 3 bytes: the 1 KiB cut may split a multi-byte character.
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      head.subarray(0, Math.max(0, head.length - 3)),
    );
    return /^\s*(<!doctype html|<html)/i.test(text) ? "text/html" : "text/plain";
  } catch {
    return "application/octet-stream";
  }
}

/** What the bytes are, from the declared media type, sniffing only when it is generic or absent. */
export function classifyDocument(bytes: Uint8Array, declared: string): ClassifiedDocument {
  const [essenceRaw = "", ...params] = declared.split(";");
  let mediaType = essenceRaw.trim().toLowerCase();
  const charset = params
    .map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1])
    .find((c): c is string => c !== undefined);
  if (GENERIC_TYPES.has(mediaType)) mediaType = sniff(bytes);
  const base = { mediaType, ...(charset ? { charset } : {}) };
  if (mediaType === "application/pdf") return { kind: "pdf", ...base };
  if (mediaType.startsWith("image/")) return { kind: "image", ...base };
  if (HTML_TYPES.has(mediaType)) return { kind: "html", ...base };
  if (MARKDOWN_TYPES.has(mediaType)) return { kind: "markdown", ...base };
  if (TEXT_TYPES.has(mediaType) || mediaType.startsWith("text/") || /\+(json|xml)$/.test(mediaType)) {
    return { kind: "text", ...base };
  }
  return { kind: "other", ...base };
}
