/**
 * The `DocumentText` port (docs/architecture.md, "Ports and adapters"): document bytes + media type in,
 * plain text or markdown out, for extraction and text → FHIR over uploaded documents.
 *
 * - local (default, src/ports/local-document-text/): text, markdown, CSV, JSON, XML pass through;
 *   HTML loses its markup; PDFs give their text layer, extracted in the Worker. Images and scanned
 *   PDFs need OCR: 422 `ocr_unavailable`. Other formats: 415 `document_type_unsupported`.
 * - workers-ai (src/ports/workers-ai/document-text.ts): `env.AI.toMarkdown()` for PDFs, office
 *   documents, HTML and images; text formats stay local.
 *
 * Other failures: `document_empty` (400), `document_too_large` (413), `pdf_encrypted` / `pdf_unreadable` /
 * `document_conversion_failed` (422), `document_text_timeout` (504), `document_text_unavailable` (503),
 * `document_text_upstream_error` (502), `document_text_not_configured` (503).
 */
export interface DocumentTextRequest {
  bytes: Uint8Array;
  /** The declared media type (parameters such as `charset` are honoured); sniffed when generic. */
  mediaType: string;
  fileName?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface DocumentTextResult {
  text: string;
  format: "markdown" | "text";
  /** The media type the text was extracted as (after sniffing). */
  mediaType: string;
  /** For paged documents (PDF). */
  pageCount?: number;
  /** Which engine produced the text: `local` or `workers-ai`. */
  engine: string;
}

export interface DocumentText {
  /** `local` or `workers-ai`. */
  readonly provider: string;
  extract(request: DocumentTextRequest): Promise<DocumentTextResult>;
}
