import { AppError } from "../../../platform/errors";
import { PdfDocument } from "./document";
import { FontCache } from "./fonts";
import { ContentTextExtractor, collectPages } from "./page-text";
import { latin1 } from "./syntax";

export interface PdfText {
  text: string;
  pageCount: number;
}

const LIGATURES: Record<string, string> = {
  "\ufb00": "ff",
  "\ufb01": "fi",
  "\ufb02": "fl",
  "\ufb03": "ffi",
  "\ufb04": "ffl",
  "\ufb05": "st",
  "\ufb06": "st",
};

function tidy(text: string): string {
  return text
    .replace(/[\ufb00-\ufb06]/g, (l) => LIGATURES[l] ?? l)
    .replace(/[\p{Cc}\ufffd]/gu, (c) => (c === "\n" || c === "\t" ? c : ""))
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * The text layer of a PDF, page by page (pages separated by a blank line), read in the Worker with no
 * dependency: object scan, stream filters, fonts' /ToUnicode maps or encodings, and text operators.
 * Encrypted files and files with no text layer (scans) are refused with a 422 that says why.
 */
export async function extractPdfText(bytes: Uint8Array): Promise<PdfText> {
  if (!latin1(bytes, 0, Math.min(bytes.length, 1024)).includes("%PDF-")) {
    throw new AppError("unprocessable", "The document is not a PDF file (no %PDF- header).", {
      code: "pdf_unreadable",
    });
  }
  const doc = await PdfDocument.load(bytes);
  if (doc.trailers.some((t) => t.has("Encrypt"))) {
    throw new AppError(
      "unprocessable",
      "The PDF is encrypted; save an unencrypted copy (or set DOCUMENT_TEXT_PROVIDER=workers-ai) and upload again.",
      { code: "pdf_encrypted" },
    );
  }
  const pages = collectPages(doc);
  if (pages.length === 0) {
    throw new AppError("unprocessable", "The PDF has no readable pages (damaged or truncated file).", {
      code: "pdf_unreadable",
      details: { objects: doc.objectCount },
    });
  }
  const extractor = new ContentTextExtractor(doc, new FontCache(doc));
  const texts: string[] = [];
  for (const { page, resources } of pages) texts.push(tidy(await extractor.pageText(page, resources)));
  const text = texts.filter((t) => t !== "").join("\n\n");
  if (text === "") {
    throw new AppError(
      "unprocessable",
      "The PDF has no text layer (a scanned image); reading it needs OCR: set DOCUMENT_TEXT_PROVIDER=workers-ai with the AI binding.",
      { code: "ocr_unavailable", details: { pageCount: pages.length } },
    );
  }
  return { text, pageCount: pages.length };
}
