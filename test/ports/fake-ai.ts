import type { MarkdownConverter } from "../../src/ports/workers-ai/document-text";
import type { WorkersAiRunner } from "../../src/ports/workers-ai/llm";

export interface RunCall {
  model: string;
  inputs: Record<string, unknown>;
  options?: AiOptions;
}

/**
 * A stand-in for the `AI` binding (Workers AI cannot run locally: it is the one external service the
 * runtime cannot host). It implements the binding methods the adapters use, records every call, and
 * answers through `answer`, which tests write per case (an output, a thrown binding error, a stream).
 */
export class FakeAi implements WorkersAiRunner, MarkdownConverter {
  readonly calls: RunCall[] = [];
  readonly markdownCalls: { files: MarkdownDocument[]; options?: ConversionRequestOptions }[] = [];

  constructor(
    private readonly answer: (call: RunCall, index: number) => unknown | Promise<unknown> = () => ({ response: "" }),
    private readonly markdown: (
      files: MarkdownDocument[],
    ) => ConversionResponse[] | Promise<ConversionResponse[]> = () => [],
  ) {}

  async run(model: string, inputs: Record<string, unknown>, options?: AiOptions): Promise<unknown> {
    const call = { model, inputs, options };
    this.calls.push(call);
    return this.answer(call, this.calls.length - 1);
  }

  async toMarkdown(files: MarkdownDocument[], options?: ConversionRequestOptions): Promise<ConversionResponse[]> {
    this.markdownCalls.push({ files, options });
    return this.markdown(files);
  }
}

/** A Workers AI SSE body: one `data:` event per chunk, then `[DONE]`, written in uneven byte slices. */
export function sseBody(
  chunks: unknown[],
  options: { done?: boolean; slice?: number } = {},
): ReadableStream<Uint8Array> {
  const text =
    chunks.map((c) => `data: ${typeof c === "string" ? c : JSON.stringify(c)}\n\n`).join("") +
    (options.done === false ? "" : "data: [DONE]\n\n");
  const bytes = new TextEncoder().encode(text);
  const slice = options.slice ?? 11;
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + slice));
      at += slice;
    },
  });
}

/** A binding call that never settles (for deadline tests); it settles only if its signal aborts. */
export function hang(call: RunCall): Promise<never> {
  return new Promise((_, reject) => {
    call.options?.signal?.addEventListener("abort", () => reject(new Error("AbortError: aborted")));
  });
}
