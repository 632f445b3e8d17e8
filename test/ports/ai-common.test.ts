import { describe, expect, it } from "vitest";
import { StreamAssembler } from "../../src/ports/ai-common/chat-wire";
import { readSse, type SseEvent } from "../../src/ports/ai-common/sse";
import { parseJsonText } from "../../src/ports/ai-common/structured-output";
import { retryAfterSeconds } from "../../src/ports/openai/http";

function streamOf(pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(typeof p === "string" ? encoder.encode(p) : p);
      controller.close();
    },
  });
}

async function events(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readSse(stream)) out.push(e);
  return out;
}

describe("readSse", () => {
  it("handles CRLF split across chunks, comments, event names, multi-line data and a missing final blank line", async () => {
    const out = await events(
      streamOf([
        ": keep-alive\r",
        "\n",
        'event: delta\r\ndata: {"a":',
        "1}\r",
        "\n\r\n",
        "data: line one\ndata: line two\n\n",
        "data: [DONE]",
      ]),
    );
    expect(out).toEqual([
      { event: "delta", data: '{"a":1}' },
      { event: "message", data: "line one\nline two" },
      { event: "message", data: "[DONE]" },
    ]);
  });

  it("decodes UTF-8 sequences split between chunks", async () => {
    const bytes = new TextEncoder().encode('data: {"t":"38 °C 😷"}\n\n');
    const pieces = Array.from(bytes, (b) => new Uint8Array([b]));
    expect(await events(streamOf(pieces))).toEqual([{ event: "message", data: '{"t":"38 °C 😷"}' }]);
  });

  it("stops with the signal's reason and cancels the body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("data: first\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const iterator = readSse(body, controller.signal);
    expect((await iterator.next()).value).toEqual({ event: "message", data: "first" });
    const pending = iterator.next();
    controller.abort(new Error("deadline"));
    await expect(pending).rejects.toThrow("deadline");
    expect(cancelled).toBe(true);
  });
});

describe("parseJsonText", () => {
  it("reads JSON from fences, prose and think blocks", () => {
    expect(parseJsonText('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonText('```json\n{"a":2}\n```')).toEqual({ ok: true, value: { a: 2 } });
    expect(parseJsonText('<think>hmm {"no":0}</think>Here: [1, 2] as asked.')).toEqual({ ok: true, value: [1, 2] });
    expect(parseJsonText("no json here")).toEqual({ ok: false });
  });
});

describe("StreamAssembler", () => {
  it("merges parallel tool calls by index and keeps native whole-object arguments", () => {
    const assembler = new StreamAssembler();
    assembler.push({
      choices: [{ delta: { tool_calls: [{ index: 1, id: "b", function: { name: "labs", arguments: '{"x"' } }] } }],
    });
    assembler.push({
      choices: [{ delta: { tool_calls: [{ index: 0, id: "a", function: { name: "vitals", arguments: "{}" } }] } }],
    });
    assembler.push({
      choices: [{ delta: { tool_calls: [{ index: 1, function: { arguments: ":1}" } }] }, finish_reason: "tool_calls" }],
    });
    assembler.push({ choices: [{ delta: { tool_calls: [{ id: null, type: null, function: { name: null } }] } }] });
    const result = assembler.finish();
    expect(result.toolCalls).toEqual([
      { id: "a", name: "vitals", arguments: {} },
      { id: "b", name: "labs", arguments: { x: 1 } },
    ]);
    expect(result.finishReason).toBe("tool_calls");

    const native = new StreamAssembler();
    native.push({ response: "", tool_calls: [{ name: "vitals", arguments: { patientId: "p" } }] });
    expect(native.finish().toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: "vitals", arguments: { patientId: "p" } },
    ]);
  });
});

describe("retryAfterSeconds", () => {
  it("reads seconds, HTTP dates and retry-after-ms", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSeconds(new Headers({ "retry-after": "12" }), now)).toBe(12);
    expect(retryAfterSeconds(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30);
    expect(retryAfterSeconds(new Headers({ "retry-after-ms": "1500" }), now)).toBe(2);
    expect(retryAfterSeconds(new Headers(), now)).toBeUndefined();
  });
});
