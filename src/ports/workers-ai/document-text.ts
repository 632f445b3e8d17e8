import { AppError, errors } from "../../platform/errors";
import { withDeadline } from "../ai-common/deadline";
import { aiErrors } from "../ai-common/errors";
import type { DocumentText, DocumentTextRequest, DocumentTextResult } from "../document-text";
import { LocalDocumentText } from "../local-document-text/local-document-text";
import { classifyDocument } from "../local-document-text/media-type";
import { mapWorkersAiError } from "./errors";

/** The part of the `AI` binding this adapter uses (`env.AI` satisfies it; tests pass a fake). */
export interface MarkdownConverter {
  toMarkdown(files: MarkdownDocument[], options?: ConversionRequestOptions): Promise<ConversionResponse[]>;
}

export interface WorkersAiDocumentTextSettings {
  timeoutMs: number;
  gatewayId?: string;
}

const EXTENSIONS: Record<string, string> = {
  "application/pdf": "pdf",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/svg+xml": "svg",
};

/**
 * `DocumentText` over Workers AI's `env.AI.toMarkdown()` (PDFs, office documents, HTML, images with
 * a described/OCR'd content). Plain text formats never need a model, so they stay local.
 */
export class WorkersAiDocumentText implements DocumentText {
  readonly provider = "workers-ai";

  constructor(
    private readonly ai: MarkdownConverter,
    private readonly settings: WorkersAiDocumentTextSettings,
    private readonly local: DocumentText = new LocalDocumentText(),
  ) {}

  async extract(request: DocumentTextRequest): Promise<DocumentTextResult> {
    if (request.bytes.byteLength === 0) throw errors.invalid("The document is empty.", { code: "document_empty" });
    const document = classifyDocument(request.bytes, request.mediaType);
    if (document.kind === "text" || document.kind === "markdown") return this.local.extract(request);
    const name =
      request.fileName && /\.[a-z0-9]{2,5}$/i.test(request.fileName)
        ? request.fileName
        : `document.${EXTENSIONS[document.mediaType] ?? "bin"}`;
    const blob = new Blob([request.bytes], { type: document.mediaType });
    return withDeadline(
      {
        timeoutMs: request.timeoutMs ?? this.settings.timeoutMs,
        signal: request.signal,
        service: "document_text",
        provider: this.provider,
      },
      async (deadline) => {
        const options: ConversionRequestOptions = this.settings.gatewayId
          ? { gateway: { id: this.settings.gatewayId } }
          : {};
        const results = await deadline.run(
          () => this.ai.toMarkdown([{ name, blob }], options),
          (e) =>
            mapWorkersAiError(e, {
              service: "document_text",
              model: "toMarkdown",
              modelSetting: "DOCUMENT_TEXT_PROVIDER",
            }),
        );
        const converted = Array.isArray(results) ? results[0] : undefined;
        if (!converted) {
          throw aiErrors.upstream("document_text", this.provider, "Workers AI toMarkdown returned no result.");
        }
        if (converted.format === "error") {
          throw new AppError("unprocessable", `Workers AI could not convert the document: ${converted.error}`, {
            code: "document_conversion_failed",
            details: { mediaType: document.mediaType },
          });
        }
        return {
          text: converted.data.trim(),
          format: converted.format === "text" ? "text" : "markdown",
          mediaType: document.mediaType,
          engine: this.provider,
        };
      },
    );
  }
}
