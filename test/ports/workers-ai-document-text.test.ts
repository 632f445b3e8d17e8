import { describe, expect, it } from "vitest";
import { WorkersAiDocumentText } from "../../src/ports/workers-ai/document-text";
import { failure } from "../harness";
import { FakeAi } from "./fake-ai";
import { simplePdf } from "./pdf-builder";

describe("WorkersAiDocumentText", () => {
  it("converts a PDF through env.AI.toMarkdown with a named, typed blob and the gateway", async () => {
    const pdf = await simplePdf(["BT /F1 12 Tf 72 720 Td (x) Tj ET"]);
    const ai = new FakeAi(undefined, async (files) =>
      Promise.all(
        files.map(async (f) => ({
          id: "1",
          name: f.name,
          mimeType: f.blob.type,
          format: "markdown" as const,
          tokens: 3,
          data: `# Converted\n\n${(await f.blob.arrayBuffer()).byteLength} bytes\n`,
        })),
      ),
    );
    const engine = new WorkersAiDocumentText(ai, { timeoutMs: 5000, gatewayId: "gw" });
    const result = await engine.extract({ bytes: pdf, mediaType: "application/pdf" });
    expect(result).toEqual({
      text: `# Converted\n\n${pdf.length} bytes`,
      format: "markdown",
      mediaType: "application/pdf",
      engine: "workers-ai",
    });
    const [call] = ai.markdownCalls;
    expect(call!.files).toHaveLength(1);
    expect(call!.files[0]!.name).toBe("document.pdf");
    expect(call!.files[0]!.blob.type).toBe("application/pdf");
    expect(call!.options).toEqual({ gateway: { id: "gw" } });
  });

  it("keeps plain text local (no model call) and uses the caller's file name otherwise", async () => {
    const ai = new FakeAi(undefined, (files) =>
      files.map((f) => ({
        id: "1",
        name: f.name,
        mimeType: f.blob.type,
        format: "markdown" as const,
        tokens: 1,
        data: "img",
      })),
    );
    const engine = new WorkersAiDocumentText(ai, { timeoutMs: 5000 });
    const text = await engine.extract({ bytes: new TextEncoder().encode("BP 120/80"), mediaType: "text/plain" });
    expect(text).toMatchObject({ text: "BP 120/80", engine: "local" });
    expect(ai.markdownCalls).toHaveLength(0);
    await engine.extract({
      bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
      mediaType: "image/jpeg",
      fileName: "rash.jpeg",
    });
    expect(ai.markdownCalls[0]!.files[0]!.name).toBe("rash.jpeg");
  });

  it("reports conversion errors as 422 and binding failures in the shared vocabulary", async () => {
    const refusing = new WorkersAiDocumentText(
      new FakeAi(undefined, (files) =>
        files.map((f) => ({
          id: "1",
          name: f.name,
          mimeType: f.blob.type,
          format: "error" as const,
          error: "Unsupported file",
        })),
      ),
      { timeoutMs: 5000 },
    );
    const e1 = await failure(
      refusing.extract({ bytes: new Uint8Array([1, 2, 3]), mediaType: "application/vnd.ms-excel" }),
    );
    expect([e1.status, e1.code]).toEqual([422, "document_conversion_failed"]);
    expect(e1.message).toContain("Unsupported file");

    const busy = new WorkersAiDocumentText(
      new FakeAi(undefined, () => {
        throw new Error("AiError: 3040: Capacity temporarily exceeded");
      }),
      { timeoutMs: 5000 },
    );
    const e2 = await failure(busy.extract({ bytes: new Uint8Array([1]), mediaType: "application/pdf" }));
    expect([e2.status, e2.code]).toEqual([503, "document_text_unavailable"]);

    const slow = new WorkersAiDocumentText(new FakeAi(undefined, () => new Promise<never>(() => undefined)), {
      timeoutMs: 100,
    });
    const e3 = await failure(slow.extract({ bytes: new Uint8Array([1]), mediaType: "application/pdf" }));
    expect([e3.status, e3.code]).toEqual([504, "document_text_timeout"]);
  });
});
