import { AppError, errors } from "../../platform/errors";
import type { DocumentText, DocumentTextRequest, DocumentTextResult } from "../document-text";
import { decodeText } from "./decode-text";
import { htmlToText } from "./html-to-text";
import { classifyDocument } from "./media-type";
import { extractPdfText } from "./pdf/extract-pdf-text";

/**
 * The largest PDF read in the Worker: the file, its one-byte-per-char view for scanning and the
 * decoded streams must fit in the isolate's 128 MB next to everything else.
 */
export const MAX_LOCAL_PDF_BYTES = 32 * 1024 * 1024;

/**
 * The in-Worker `DocumentText` engine: no network, so documents with PHI never leave the edge.
 * Text formats pass through, HTML loses its markup, PDFs give their text layer; images and office
 * formats need the remote engine and are refused with a message naming the setting.
 */
export class LocalDocumentText implements DocumentText {
  readonly provider = "local";

  async extract(request: DocumentTextRequest): Promise<DocumentTextResult> {
    if (request.signal?.aborted) throw request.signal.reason;
    if (request.bytes.byteLength === 0) throw errors.invalid("The document is empty.", { code: "document_empty" });
    const document = classifyDocument(request.bytes, request.mediaType);
    const result = (text: string, format: "markdown" | "text", pageCount?: number): DocumentTextResult => ({
      text,
      format,
      mediaType: document.mediaType,
      ...(pageCount !== undefined ? { pageCount } : {}),
      engine: this.provider,
    });
    switch (document.kind) {
      case "text":
        return result(decodeText(request.bytes, document.charset), "text");
      case "markdown":
        return result(decodeText(request.bytes, document.charset), "markdown");
      case "html":
        return result(htmlToText(decodeText(request.bytes, document.charset)), "text");
      case "pdf": {
        if (request.bytes.byteLength > MAX_LOCAL_PDF_BYTES) {
          throw errors.tooLarge(
            `PDFs over ${MAX_LOCAL_PDF_BYTES / 1024 / 1024} MB are not read in the Worker; set DOCUMENT_TEXT_PROVIDER=workers-ai with the AI binding for larger files.`,
            { code: "document_too_large" },
          );
        }
        const pdf = await extractPdfText(request.bytes);
        return result(pdf.text, "text", pdf.pageCount);
      }
      case "image":
        throw new AppError(
          "unprocessable",
          `Reading text from an image (${document.mediaType}) needs OCR, which the local engine does not do: set DOCUMENT_TEXT_PROVIDER=workers-ai with the AI binding.`,
          { code: "ocr_unavailable", details: { mediaType: document.mediaType } },
        );
      case "other":
        throw errors.unsupportedMediaType(
          `The local engine reads plain text, markdown, CSV, JSON, XML, HTML and PDF, not ${document.mediaType || "this file"}; set DOCUMENT_TEXT_PROVIDER=workers-ai with the AI binding for office documents.`,
          { code: "document_type_unsupported", details: { mediaType: document.mediaType } },
        );
    }
  }
}
