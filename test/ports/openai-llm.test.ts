import { describe, expect, it } from "vitest";
import { z } from "zod";
import { renderError } from "../../src/platform/error-response";
import type { LlmStreamEvent } from "../../src/ports/llm";
import { OpenAiLlm } from "../../src/ports/openai/llm";
import { failure } from "../harness";
import { STUB_API_KEY } from "../setup/openai-stub-server";
import { openAiStubUrl } from "./stub-url";

const baseUrl = openAiStubUrl();
const llm = (model: string, overrides: { apiKey?: string; baseUrl?: string; timeoutMs?: number } = {}) =>
  new OpenAiLlm({ baseUrl, apiKey: STUB_API_KEY, model, timeoutMs: 10_000, ...overrides });

const vitalsTool = {
  name: "get_vitals",
  description: "Latest vital signs of a patient",
  parameters: {
    type: "object",
    properties: { patientId: { type: "string" }, count: { type: "integer", minimum: 1, maximum: 5 } },
    required: ["patientId"],
  },
};

async function collect<T>(events: AsyncIterable<LlmStreamEvent<T>>): Promise<LlmStreamEvent<T>[]> {
  const out: LlmStreamEvent<T>[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe("OpenAiLlm over HTTP", () => {
  it("posts the Chat Completions request with the bearer key", async () => {
    const response = await llm("stub-inspect").complete({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
      tools: [vitalsTool],
      toolChoice: { name: "get_vitals" },
      maxTokens: 200,
      temperature: 0,
    });
    expect(JSON.parse(response.text)).toEqual({
      path: "/v1/chat/completions",
      authorization: `Bearer ${STUB_API_KEY}`,
      contentType: "application/json",
      body: {
        model: "stub-inspect",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hello" },
        ],
        max_tokens: 200,
        temperature: 0,
        tools: [{ type: "function", function: vitalsTool }],
        tool_choice: { type: "function", function: { name: "get_vitals" } },
      },
    });
  });

  it("completes text with usage and finish reason", async () => {
    const response = await llm("stub-chat").complete({
      messages: [{ role: "user", content: "chest pain since Monday" }],
      maxTokens: 50,
    });
    expect(response).toEqual({
      text: "You said: chest pain since Monday",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 4, outputTokens: 6 },
      provider: "openai",
      model: "stub-chat",
    });
    const cut = await llm("stub-chat").complete({
      messages: [{ role: "user", content: "one two three four" }],
      maxTokens: 3,
    });
    expect(cut).toMatchObject({ text: "You said: one", finishReason: "length" });
  });

  it("runs a tool round trip: call with schema-shaped arguments, then the answer quoting the result", async () => {
    const model = llm("stub-chat");
    const first = await model.complete({
      messages: [{ role: "user", content: "p-77" }],
      tools: [vitalsTool],
      maxTokens: 50,
    });
    expect(first.finishReason).toBe("tool_calls");
    expect(first.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: "get_vitals", arguments: { patientId: "p-77", count: 5 } },
    ]);
    const call = first.toolCalls[0]!;
    const second = await model.complete({
      messages: [
        { role: "user", content: "p-77" },
        { role: "assistant", content: "", toolCalls: [call] },
        { role: "tool", toolCallId: call.id, name: call.name, content: '{"bp":"150/95"}' },
      ],
      tools: [vitalsTool],
      maxTokens: 50,
    });
    expect(second.text).toBe(`Tool get_vitals (${call.id}) returned: {"bp":"150/95"}`);
  });

  it("returns validated structured output from response_format json_schema", async () => {
    const Finding = z.object({ finding: z.string(), negated: z.boolean(), severity: z.number().int().min(0).max(10) });
    const response = await llm("stub-chat").complete({
      messages: [{ role: "user", content: "no chest pain" }],
      output: { name: "finding", description: "One clinical finding", schema: Finding },
      maxTokens: 100,
    });
    const typed: { finding: string; negated: boolean; severity: number } | undefined = response.output;
    expect(typed).toEqual({ finding: "no chest pain", negated: true, severity: 10 });

    // The inspecting model echoes the request; a schema for that echo shows what went over the wire.
    const Echo = z.object({ path: z.string(), body: z.record(z.string(), z.unknown()) });
    const inspect = await llm("stub-inspect").complete({
      messages: [{ role: "user", content: "x" }],
      output: { name: "echo", description: "The request as received", schema: Echo },
      maxTokens: 100,
    });
    expect(inspect.output?.path).toBe("/v1/chat/completions");
    expect(inspect.output?.body.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "echo",
        description: "The request as received",
        schema: expect.objectContaining({ type: "object", required: ["path", "body"] }),
        strict: false,
      },
    });
  });

  it("rejects output that does not match the schema with 502 llm_invalid_output", async () => {
    const e = await failure(
      llm("stub-bad-json").complete({
        messages: [{ role: "user", content: "x" }],
        output: { name: "finding", schema: z.object({ finding: z.string() }) },
        maxTokens: 100,
      }),
    );
    expect([e.status, e.code]).toEqual([502, "llm_invalid_output"]);
    expect(e.details).toMatchObject({ issues: [{ path: "finding" }] });
  });

  it("falls back to the schema in the prompt when the endpoint rejects response_format", async () => {
    const response = await llm("stub-no-schema").complete({
      messages: [
        { role: "system", content: "Extract." },
        { role: "user", content: "BP 130/85" },
      ],
      output: { name: "bp", schema: z.object({ text: z.string() }) },
      maxTokens: 100,
    });
    expect(response.output).toEqual({ text: "BP 130/85" });
    expect(response.outputByInstruction).toBe(true);
  });

  it("adapts to reasoning models: max_completion_tokens, no temperature", async () => {
    const response = await llm("stub-reasoning").complete({
      messages: [{ role: "user", content: "hi" }],
      maxTokens: 40,
      temperature: 0.2,
    });
    expect(response.text).toBe("You said: hi");
  });

  const statusCases: [string, number, string, string | undefined, number | undefined][] = [
    ["stub-status-500", 502, "llm_upstream_error", "HTTP 500", undefined],
    ["stub-status-502", 502, "llm_upstream_error", "HTTP 502", undefined],
    ["stub-status-429", 503, "llm_unavailable", "rate limiting", 7],
    ["stub-status-503", 503, "llm_unavailable", "overloaded", 3],
    ["stub-status-504", 504, "llm_timeout", undefined, undefined],
    ["stub-status-404", 502, "llm_upstream_error", "OPENAI_BASE_URL", undefined],
    ["stub-context", 413, "llm_input_too_large", "maximum context length", undefined],
  ];
  for (const [model, status, code, mentions, retryAfter] of statusCases) {
    it(`maps ${model} to ${status} ${code}`, async () => {
      const e = await failure(llm(model).complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5 }));
      expect([e.status, e.code]).toEqual([status, code]);
      if (mentions) expect(e.message).toContain(mentions);
      expect(e.retryAfter).toBe(retryAfter);
    });
  }

  it("names OPENAI_API_KEY when the endpoint rejects the key, and renders the envelope", async () => {
    const e = await failure(
      llm("stub-chat", { apiKey: "wrong" }).complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5 }),
    );
    expect([e.status, e.code]).toEqual([502, "llm_upstream_error"]);
    expect(e.message).toContain("OPENAI_API_KEY");
    const res = renderError(e, "platform", "req_2");
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ success: false, error: { code: "llm_upstream_error" } });
  });

  it("carries Retry-After on 429s through to the response headers", async () => {
    const e = await failure(
      llm("stub-status-429").complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5 }),
    );
    expect(renderError(e, "fhir", "req_3").headers.get("Retry-After")).toBe("7");
  });

  it("times out slow endpoints with 504 llm_timeout", async () => {
    const started = Date.now();
    const e = await failure(
      llm("stub-slow").complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5, timeoutMs: 300 }),
    );
    expect([e.status, e.code]).toEqual([504, "llm_timeout"]);
    expect(Date.now() - started).toBeLessThan(1400);
  });

  it("reports an unreachable endpoint as 503 llm_unavailable naming the host", async () => {
    const e = await failure(
      llm("stub-chat", { baseUrl: "http://127.0.0.1:9/v1" }).complete({
        messages: [{ role: "user", content: "x" }],
        maxTokens: 5,
      }),
    );
    expect([e.status, e.code]).toEqual([503, "llm_unavailable"]);
    expect(e.message).toContain("127.0.0.1:9");
  });
});

describe("OpenAiLlm streaming over SSE", () => {
  it("streams text deltas that add up to the answer, then done with usage", async () => {
    const events = await collect(
      llm("stub-chat").stream({ messages: [{ role: "user", content: "fever 39 °C 😷" }], maxTokens: 50 }),
    );
    const deltas = events.flatMap((e) => (e.type === "text" ? [e.delta] : []));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe("You said: fever 39 °C 😷");
    expect(events[events.length - 1]).toEqual({
      type: "done",
      response: {
        text: "You said: fever 39 °C 😷",
        toolCalls: [],
        finishReason: "stop",
        usage: { inputTokens: 4, outputTokens: 6 },
        provider: "openai",
        model: "stub-chat",
      },
    });
  });

  it("assembles tool calls from argument fragments", async () => {
    const events = await collect(
      llm("stub-chat").stream({ messages: [{ role: "user", content: "p-12" }], tools: [vitalsTool], maxTokens: 50 }),
    );
    expect(events.map((e) => e.type)).toEqual(["tool_call", "done"]);
    expect(events[0]).toEqual({
      type: "tool_call",
      call: { id: expect.stringMatching(/^call_/), name: "get_vitals", arguments: { patientId: "p-12", count: 5 } },
    });
  });

  it("streams structured output and validates it at the end", async () => {
    const events = await collect(
      llm("stub-chat").stream({
        messages: [{ role: "user", content: "HbA1c 7.2%" }],
        output: { name: "lab", schema: z.object({ name: z.string() }) },
        maxTokens: 50,
      }),
    );
    const done = events[events.length - 1]!;
    expect(done.type === "done" && done.response.output).toEqual({ name: "HbA1c 7.2%" });
  });

  it("fails mid-stream with 502 on a cut connection and on an in-band error", async () => {
    const cut = llm("stub-stream-cut").stream({ messages: [{ role: "user", content: "abcdefgh" }], maxTokens: 50 });
    const e1 = await failure(collect(cut));
    expect([e1.status, e1.code]).toEqual([502, "llm_upstream_error"]);
    const inBand = await failure(
      collect(llm("stub-stream-error").stream({ messages: [{ role: "user", content: "a" }], maxTokens: 50 })),
    );
    expect([inBand.status, inBand.code]).toEqual([502, "llm_upstream_error"]);
    expect(inBand.message).toContain("the model crashed");
  });

  it("replays whole answers from endpoints that ignore stream", async () => {
    const events = await collect(
      llm("stub-no-stream").stream({ messages: [{ role: "user", content: "ok" }], maxTokens: 50 }),
    );
    expect(events.map((e) => e.type)).toEqual(["text", "done"]);
    expect(events[0]).toEqual({ type: "text", delta: "You said: ok" });
  });

  it("maps errors before the first event, and stops cleanly when the consumer breaks early", async () => {
    const e = await failure(
      collect(llm("stub-status-429").stream({ messages: [{ role: "user", content: "a" }], maxTokens: 5 })),
    );
    expect([e.status, e.code, e.retryAfter]).toEqual([503, "llm_unavailable", 7]);
    let seen = 0;
    for await (const event of llm("stub-chat").stream({
      messages: [{ role: "user", content: "a long answer here" }],
      maxTokens: 50,
    })) {
      if (event.type === "text") seen++;
      if (seen === 2) break;
    }
    expect(seen).toBe(2);
  });
});
