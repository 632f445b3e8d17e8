import { describe, expect, it } from "vitest";
import { z } from "zod";
import { renderError } from "../../src/platform/error-response";
import type { LlmRequest, LlmStreamEvent } from "../../src/ports/llm";
import { WorkersAiLlm } from "../../src/ports/workers-ai/llm";
import { failure } from "../harness";
import { FakeAi, hang, type RunCall, sseBody } from "./fake-ai";

const MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
const llmWith = (answer: (call: RunCall, index: number) => unknown, settings: { gatewayId?: string } = {}) => {
  const ai = new FakeAi(answer);
  return { ai, llm: new WorkersAiLlm(ai, { model: MODEL, timeoutMs: 5000, ...settings }) };
};

const weatherTool = {
  name: "get_vitals",
  description: "Latest vital signs of a patient",
  parameters: {
    type: "object",
    properties: { patientId: { type: "string", description: "Patient id" } },
    required: ["patientId"],
  },
};

async function collect<T>(events: AsyncIterable<LlmStreamEvent<T>>): Promise<LlmStreamEvent<T>[]> {
  const out: LlmStreamEvent<T>[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe("WorkersAiLlm: request shape", () => {
  it("sends messages, tools, max_tokens, temperature and the gateway to env.AI.run", async () => {
    const { ai, llm } = llmWith(() => ({ response: "ok", usage: { prompt_tokens: 20, completion_tokens: 1 } }), {
      gatewayId: "hearth-gw",
    });
    const controller = new AbortController();
    const response = await llm.complete({
      messages: [
        { role: "system", content: "You are a clinical assistant." },
        { role: "user", content: "Vitals for p1?" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "call_1", name: "get_vitals", arguments: { patientId: "p1" } }],
        },
        { role: "tool", toolCallId: "call_1", name: "get_vitals", content: '{"bp":"140/90"}' },
      ],
      tools: [weatherTool],
      maxTokens: 300,
      temperature: 0.2,
      signal: controller.signal,
    });
    expect(response).toEqual({
      text: "ok",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 20, outputTokens: 1 },
      provider: "workers-ai",
      model: MODEL,
    });
    expect(ai.calls).toHaveLength(1);
    const [call] = ai.calls;
    expect(call!.model).toBe(MODEL);
    expect(call!.inputs).toEqual({
      messages: [
        { role: "system", content: "You are a clinical assistant." },
        { role: "user", content: "Vitals for p1?" },
        {
          role: "assistant",
          // Llama templates render only content: the call is restated there.
          content: '{"name":"get_vitals","parameters":{"patientId":"p1"}}',
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_vitals", arguments: '{"patientId":"p1"}' } },
          ],
        },
        { role: "tool", content: '{"bp":"140/90"}', tool_call_id: "call_1", name: "get_vitals" },
      ],
      max_tokens: 300,
      temperature: 0.2,
      tools: [{ type: "function", function: weatherTool }],
    });
    expect(call!.options?.gateway).toEqual({ id: "hearth-gw" });
    expect(call!.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it("reads native tool calls (object arguments, no id) and OpenAI-shaped answers", async () => {
    const { llm } = llmWith((_, i) =>
      i === 0
        ? { response: null, tool_calls: [{ name: "get_vitals", arguments: { patientId: "p1" } }] }
        : {
            choices: [
              {
                message: {
                  content: null,
                  tool_calls: [
                    { id: "call_x", type: "function", function: { name: "get_vitals", arguments: "{not json" } },
                  ],
                },
                finish_reason: "tool_calls",
              },
            ],
          },
    );
    const request: LlmRequest = {
      messages: [{ role: "user", content: "vitals" }],
      tools: [weatherTool],
      maxTokens: 100,
    };
    const native = await llm.complete(request);
    expect(native.finishReason).toBe("tool_calls");
    expect(native.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: "get_vitals", arguments: { patientId: "p1" } },
    ]);
    const openai = await llm.complete(request);
    expect(openai.toolCalls).toEqual([
      { id: "call_x", name: "get_vitals", arguments: {}, argumentsError: "{not json" },
    ]);
  });

  it("applies toolChoice the binding cannot express: none drops tools, a name keeps only that tool", async () => {
    const { ai, llm } = llmWith(() => ({ response: "x" }));
    const other = { ...weatherTool, name: "get_labs" };
    await llm.complete({
      messages: [{ role: "user", content: "a" }],
      tools: [weatherTool, other],
      toolChoice: "none",
      maxTokens: 5,
    });
    await llm.complete({
      messages: [{ role: "user", content: "a" }],
      tools: [weatherTool, other],
      toolChoice: { name: "get_labs" },
      maxTokens: 5,
    });
    expect(ai.calls[0]!.inputs.tools).toBeUndefined();
    expect(ai.calls[1]!.inputs.tools).toEqual([{ type: "function", function: other }]);
  });

  it("reports length when the model used the whole token budget", async () => {
    const { llm } = llmWith(() => ({ response: "cut", usage: { prompt_tokens: 3, completion_tokens: 16 } }));
    expect((await llm.complete({ messages: [{ role: "user", content: "x" }], maxTokens: 16 })).finishReason).toBe(
      "length",
    );
  });
});

describe("WorkersAiLlm: structured output", () => {
  const Vitals = z.object({ systolic: z.number().int(), diastolic: z.number().int(), note: z.string().optional() });

  it("sends response_format json_schema and validates the object Workers AI returns", async () => {
    const { ai, llm } = llmWith(() => ({ response: { systolic: 140, diastolic: 90 } }));
    const response = await llm.complete({
      messages: [{ role: "user", content: "BP 140/90" }],
      output: { name: "vitals", schema: Vitals },
      maxTokens: 100,
    });
    expect(response.output).toEqual({ systolic: 140, diastolic: 90 });
    expect(response.outputByInstruction).toBeUndefined();
    expect(ai.calls[0]!.inputs.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        type: "object",
        properties: { systolic: expect.any(Object), diastolic: expect.any(Object), note: { type: "string" } },
        required: ["systolic", "diastolic"],
        additionalProperties: false,
      },
    });
  });

  it("retries once with the schema in the prompt when JSON mode couldn't be met", async () => {
    const { ai, llm } = llmWith((call, i) => {
      if (i === 0) throw new Error("AiError: 5025: JSON Mode couldn't be met");
      const system = (call.inputs.messages as { role: string; content: string }[])[0]!;
      expect(system.role).toBe("system");
      expect(system.content).toContain('conforms to the JSON Schema "vitals"');
      return { response: 'Sure! ```json\n{"systolic": 120, "diastolic": 80}\n```' };
    });
    const response = await llm.complete({
      messages: [
        { role: "system", content: "Extract vitals." },
        { role: "user", content: "BP 120/80" },
      ],
      output: { name: "vitals", schema: Vitals },
      maxTokens: 100,
    });
    expect(response.output).toEqual({ systolic: 120, diastolic: 80 });
    expect(response.outputByInstruction).toBe(true);
    expect(ai.calls).toHaveLength(2);
    expect(ai.calls[1]!.inputs.response_format).toBeUndefined();
  });

  it("fails with 502 llm_invalid_output when the retried answer still does not match", async () => {
    const { llm } = llmWith((_, i) => {
      if (i === 0) throw new Error("JSON Mode couldn't be met");
      return { response: '{"systolic": "high"}' };
    });
    const e = await failure(
      llm.complete({
        messages: [{ role: "user", content: "x" }],
        output: { name: "vitals", schema: Vitals },
        maxTokens: 50,
      }),
    );
    expect([e.status, e.code]).toEqual([502, "llm_invalid_output"]);
    expect(e.message).toContain("systolic");
  });

  it("validates plain JSON Schemas too, and says when maxTokens cut the JSON off", async () => {
    const schema = {
      type: "object",
      properties: { codes: { type: "array", items: { type: "string" } } },
      required: ["codes"],
    };
    const { llm } = llmWith(() => ({ response: '{"codes": ["I10", "E11', usage: { completion_tokens: 8 } }));
    const e = await failure(
      llm.complete({ messages: [{ role: "user", content: "x" }], output: { name: "codes", schema }, maxTokens: 8 }),
    );
    expect([e.status, e.code]).toEqual([502, "llm_invalid_output"]);
    expect(e.message).toContain("cut off by maxTokens");
    const ok = llmWith(() => ({ response: { codes: ["I10"] } }));
    expect(
      (
        await ok.llm.complete({
          messages: [{ role: "user", content: "x" }],
          output: { name: "codes", schema },
          maxTokens: 50,
        })
      ).output,
    ).toEqual({
      codes: ["I10"],
    });
  });
});

describe("WorkersAiLlm: errors", () => {
  const cases: [string, number, string, string?][] = [
    ["AiError: 3040: Capacity temporarily exceeded, please try again.", 503, "llm_unavailable"],
    ["AiError: 3036: You have used up your daily free allocation of 10,000 neurons.", 503, "llm_unavailable"],
    ["AiError: 3007: Request timeout", 504, "llm_timeout"],
    ["AiError: 3006: Request is too large", 413, "llm_input_too_large"],
    ["AiError: 5007: No such model @cf/nope or task", 502, "llm_upstream_error", "LLM_MODEL"],
    ["AiError: 3023: Service unavailable for account", 502, "llm_upstream_error"],
    ["InferenceUpstreamError: something broke", 502, "llm_upstream_error"],
    ["Binding AI needs to be run remotely", 503, "llm_unavailable"],
  ];
  for (const [message, status, code, mentions] of cases) {
    it(`maps "${message.slice(0, 40)}" to ${status} ${code}`, async () => {
      const { llm } = llmWith(() => {
        throw new Error(message);
      });
      const e = await failure(llm.complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5 }));
      expect([e.status, e.code]).toEqual([status, code]);
      if (mentions) expect(e.message).toContain(mentions);
    });
  }

  it("renders in the platform envelope with the stable code", async () => {
    const { llm } = llmWith(() => {
      throw new Error("AiError: 3040: Capacity temporarily exceeded");
    });
    const e = await failure(llm.complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5 }));
    const res = renderError(e, "platform", "req_1");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ success: false, data: null, error: { code: "llm_unavailable" } });
  });

  it("gives up at the deadline with 504 llm_timeout even if the binding never answers", async () => {
    const { llm } = llmWith((call) => hang(call));
    const started = Date.now();
    const e = await failure(llm.complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5, timeoutMs: 150 }));
    expect([e.status, e.code]).toEqual([504, "llm_timeout"]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("rejects with the caller's own reason when the caller aborts", async () => {
    const { llm } = llmWith((call) => hang(call));
    const controller = new AbortController();
    const pending = llm.complete({
      messages: [{ role: "user", content: "x" }],
      maxTokens: 5,
      signal: controller.signal,
    });
    controller.abort(new Error("client went away"));
    await expect(pending).rejects.toThrow("client went away");
  });

  it("rejects answers of unknown shape with 502", async () => {
    const { llm } = llmWith(() => ({ something: "else" }));
    const e = await failure(llm.complete({ messages: [{ role: "user", content: "x" }], maxTokens: 5 }));
    expect([e.status, e.code]).toEqual([502, "llm_upstream_error"]);
  });
});

describe("WorkersAiLlm: streaming", () => {
  it("streams native SSE chunks as text deltas, then done with usage", async () => {
    const { ai, llm } = llmWith(() =>
      sseBody([
        { response: "Blood ", p: "abc" },
        { response: "pressure " },
        { response: "is high." },
        { response: "", usage: { prompt_tokens: 9, completion_tokens: 4 } },
      ]),
    );
    const events = await collect(llm.stream({ messages: [{ role: "user", content: "BP?" }], maxTokens: 50 }));
    expect(ai.calls[0]!.inputs.stream).toBe(true);
    expect(events.filter((e) => e.type === "text").map((e) => (e.type === "text" ? e.delta : ""))).toEqual([
      "Blood ",
      "pressure ",
      "is high.",
    ]);
    const done = events[events.length - 1]!;
    expect(done).toEqual({
      type: "done",
      response: {
        text: "Blood pressure is high.",
        toolCalls: [],
        finishReason: "stop",
        usage: { inputTokens: 9, outputTokens: 4 },
        provider: "workers-ai",
        model: MODEL,
      },
    });
  });

  it("assembles streamed OpenAI-style tool call fragments after a tool result", async () => {
    const { llm } = llmWith(() =>
      sseBody([
        { choices: [{ delta: { content: "Checking" }, finish_reason: null }] },
        {
          choices: [
            { delta: { tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "get_vitals" } }] } },
          ],
        },
        { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{"patie' } }] } }] },
        { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: 'ntId":"p2"}' } }] } }] },
        { choices: [{ delta: {}, finish_reason: "tool_calls" }] },
      ]),
    );
    const events = await collect(
      llm.stream({
        messages: [
          { role: "user", content: "a" },
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "c1", name: "get_vitals", arguments: { patientId: "p1" } }],
          },
          { role: "tool", toolCallId: "c1", name: "get_vitals", content: "{}" },
        ],
        tools: [weatherTool],
        maxTokens: 50,
      }),
    );
    expect(events.map((e) => e.type)).toEqual(["text", "tool_call", "done"]);
    expect(events[1]).toEqual({
      type: "tool_call",
      call: { id: "call_9", name: "get_vitals", arguments: { patientId: "p2" } },
    });
    expect(events[2]!.type === "done" && events[2]!.response.finishReason).toBe("tool_calls");
  });

  it("answers whole when the turn may open with a tool call or asks for JSON (JSON mode cannot stream)", async () => {
    const { ai, llm } = llmWith(() => ({
      response: null,
      tool_calls: [{ name: "get_vitals", arguments: { patientId: "p3" } }],
    }));
    const events = await collect(
      llm.stream({ messages: [{ role: "user", content: "a" }], tools: [weatherTool], maxTokens: 50 }),
    );
    expect(ai.calls[0]!.inputs.stream).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(["tool_call", "done"]);

    const json = llmWith(() => ({ response: { ok: true } }));
    const out = await collect(
      json.llm.stream({
        messages: [{ role: "user", content: "a" }],
        output: { name: "flag", schema: z.object({ ok: z.boolean() }) },
        maxTokens: 50,
      }),
    );
    expect(json.ai.calls[0]!.inputs.stream).toBeUndefined();
    expect(out[out.length - 1]!.type === "done" && out[out.length - 1]!).toMatchObject({
      response: { output: { ok: true } },
    });
  });

  it("fails with 502 when the stream ends before [DONE], and with the upstream error in-band", async () => {
    const cut = llmWith(() => sseBody([{ response: "partial" }], { done: false }));
    const iterator = cut.llm
      .stream({ messages: [{ role: "user", content: "a" }], maxTokens: 50 })
      [Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: "text", delta: "partial" } });
    const e = await failure(iterator.next());
    expect([e.status, e.code]).toEqual([502, "llm_upstream_error"]);

    const inBand = llmWith(() =>
      sseBody([{ response: "a" }, { error: "AiError: 3040: Capacity temporarily exceeded" }]),
    );
    const e2 = await failure(collect(inBand.llm.stream({ messages: [{ role: "user", content: "a" }], maxTokens: 50 })));
    expect([e2.status, e2.code]).toEqual([503, "llm_unavailable"]);
  });

  it("times out a stream that stops sending, with 504 llm_timeout", async () => {
    const { llm } = llmWith(
      () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('data: {"response":"slow"}\n\n'));
            // and then nothing
          },
        }),
    );
    const e = await failure(
      collect(llm.stream({ messages: [{ role: "user", content: "a" }], maxTokens: 50, timeoutMs: 200 })),
    );
    expect([e.status, e.code]).toEqual([504, "llm_timeout"]);
  });
});
