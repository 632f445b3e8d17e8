import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small, real OpenAI-compatible HTTP server for the adapter tests (started by global-servers.ts,
 * in Node, outside workerd). It implements `POST /v1/chat/completions` (JSON and SSE, tools,
 * `response_format` json_schema) and `POST /v1/audio/transcriptions` (multipart). Answers are
 * computed from the request, never canned: the reply quotes the last user message, tool arguments
 * and structured output are generated from the JSON Schemas the client sent. The model name selects
 * behaviours real endpoints have:
 *
 * - `stub-chat`: the normal behaviour above.
 * - `stub-inspect`: the reply's content is the request as received (path, auth header, body).
 * - `stub-bad-json`: structured output that violates the schema.
 * - `stub-no-schema`: rejects `response_format` with 400 `param: response_format` (like many
 *   OpenAI-compatible servers); follows a schema given in the system prompt, inside a code fence.
 * - `stub-reasoning`: rejects `max_tokens` (use `max_completion_tokens`) and `temperature`, like
 *   OpenAI's reasoning models.
 * - `stub-status-<code>`: answers that HTTP status with an OpenAI error body (429 carries
 *   `retry-after: 7`, 503 carries `retry-after-ms: 2500`).
 * - `stub-context`: 400 `context_length_exceeded`.
 * - `stub-slow`: answers after 1.5 s.
 * - `stub-stream-cut`: streams two chunks and hangs up (no finish_reason, no [DONE]).
 * - `stub-stream-error`: streams a chunk, then an in-band `{ error }` event.
 * - `stub-no-stream`: ignores `stream: true` and answers with plain JSON.
 */

export const STUB_API_KEY = "stub-key-0123456789abcdef";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A value that satisfies `schema`, built from `text` (the last thing the user said). */
export function sampleFromSchema(schema: unknown, text: string, depth = 0): Json {
  if (!isObject(schema) || depth > 8) return text;
  if ("const" in schema) return schema.const ?? null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] ?? null;
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return sampleFromSchema(options[0], text, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const out: JsonObject = {};
      const properties = isObject(schema.properties) ? schema.properties : {};
      for (const [name, property] of Object.entries(properties))
        out[name] = sampleFromSchema(property, text, depth + 1);
      return out;
    }
    case "array":
      return [sampleFromSchema(schema.items, text, depth + 1)];
    case "integer":
    case "number": {
      const min = typeof schema.minimum === "number" ? schema.minimum : undefined;
      const max = typeof schema.maximum === "number" ? schema.maximum : undefined;
      return Math.min(max ?? 42, Math.max(min ?? 42, 42));
    }
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      if (schema.format === "date") return "2026-01-02";
      return text;
  }
}

interface ChatMessage {
  role: string;
  content: string;
  name?: string;
  tool_call_id?: string;
}

interface ChatAnswer {
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: "stop" | "length" | "tool_calls";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

class StubError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
    readonly headers: Record<string, string> = {},
  ) {
    super(`stub ${status}`);
  }
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

function openAiError(status: number, message: string, extra: JsonObject = {}): StubError {
  return new StubError(status, {
    error: { message, type: "invalid_request_error", param: null, code: null, ...extra },
  });
}

function answerChat(body: JsonObject, path: string, headers: http.IncomingHttpHeaders): ChatAnswer {
  const model = typeof body.model === "string" ? body.model : "";
  const messages = (Array.isArray(body.messages) ? body.messages : []).filter(isObject) as unknown as ChatMessage[];
  if (messages.length === 0) throw openAiError(400, "'messages' must be a non-empty array", { param: "messages" });
  const status = /^stub-status-(\d{3})$/.exec(model);
  if (status) {
    const code = Number(status[1]);
    const extraHeaders: Record<string, string> =
      code === 429 ? { "retry-after": "7" } : code === 503 ? { "retry-after-ms": "2500" } : {};
    throw new StubError(
      code,
      { error: { message: `stub failure ${code}`, type: "server_error", code: null } },
      extraHeaders,
    );
  }
  if (model === "stub-context") {
    throw openAiError(400, "This model's maximum context length is 128 tokens.", { code: "context_length_exceeded" });
  }
  if (model === "stub-no-schema" && body.response_format !== undefined) {
    throw openAiError(400, "response_format of type json_schema is not supported by this model", {
      param: "response_format",
    });
  }
  if (model === "stub-reasoning") {
    if (body.max_tokens !== undefined) {
      throw openAiError(
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        { param: "max_tokens", code: "unsupported_parameter" },
      );
    }
    if (body.temperature !== undefined && body.temperature !== 1) {
      throw openAiError(400, "Unsupported value: 'temperature' does not support 0.2 with this model.", {
        param: "temperature",
        code: "unsupported_value",
      });
    }
  }

  const last = messages[messages.length - 1]!;
  const lastUser = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 1000);
  const promptTokens = messages.reduce((n, m) => n + words(String(m.content ?? "")), 0);
  const finish = (content: string | null, toolCalls: ChatAnswer["toolCalls"] = []): ChatAnswer => {
    let text = content;
    let finishReason: ChatAnswer["finishReason"] = toolCalls.length > 0 ? "tool_calls" : "stop";
    if (text !== null && words(text) > maxTokens) {
      text = text.split(/\s+/).slice(0, maxTokens).join(" ");
      finishReason = "length";
    }
    const completion = text === null ? toolCalls.length * 5 : words(text);
    return {
      content: text,
      toolCalls,
      finishReason,
      usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion },
    };
  };

  if (model === "stub-inspect") {
    return finish(
      JSON.stringify({
        path,
        authorization: headers.authorization ?? null,
        contentType: headers["content-type"] ?? null,
        body,
      }),
    );
  }
  const format = isObject(body.response_format) ? body.response_format : undefined;
  if (format?.type === "json_schema" && isObject(format.json_schema)) {
    if (model === "stub-bad-json") return finish(JSON.stringify({ unexpected: true }));
    return finish(JSON.stringify(sampleFromSchema(format.json_schema.schema, lastUser)));
  }
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const instructed = /conforms to the JSON Schema "[^"]+" below\.[\s\S]*\n(\{[\s\S]*\})$/.exec(system);
  if (instructed) {
    const sample = JSON.stringify(sampleFromSchema(JSON.parse(instructed[1]!), lastUser));
    return finish(model === "stub-no-schema" ? `Here you go:\n\`\`\`json\n${sample}\n\`\`\`` : sample);
  }
  const tools = (Array.isArray(body.tools) ? body.tools : []).filter(isObject);
  if (tools.length > 0 && body.tool_choice !== "none" && last.role === "user") {
    const forced =
      isObject(body.tool_choice) && isObject(body.tool_choice.function) ? body.tool_choice.function.name : undefined;
    const tool = tools.map((t) => (isObject(t.function) ? t.function : {})).find((f) => !forced || f.name === forced);
    if (!tool) throw openAiError(400, `tool_choice names an unknown tool: ${String(forced)}`, { param: "tool_choice" });
    return finish(null, [
      {
        id: `call_${randomUUID().slice(0, 8)}`,
        name: String(tool.name),
        arguments: JSON.stringify(sampleFromSchema(tool.parameters, lastUser)),
      },
    ]);
  }
  if (last.role === "tool")
    return finish(`Tool ${last.name ?? "?"} (${last.tool_call_id ?? "?"}) returned: ${last.content}`);
  return finish(`You said: ${lastUser}`);
}

function completionJson(model: string, answer: ChatAnswer): JsonObject {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: answer.content,
          ...(answer.toolCalls.length > 0
            ? {
                tool_calls: answer.toolCalls.map((c) => ({
                  id: c.id,
                  type: "function",
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        },
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage,
  };
}

/** The answer as OpenAI streams it: role, content pieces, tool-call fragments, finish, usage, [DONE]. */
function streamEvents(model: string, answer: ChatAnswer, includeUsage: boolean): string[] {
  const id = `chatcmpl-${randomUUID()}`;
  const chunk = (delta: JsonObject, finishReason: string | null = null): string =>
    JSON.stringify({
      id,
      object: "chat.completion.chunk",
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
  const events = [chunk({ role: "assistant", content: "" })];
  const characters = Array.from(answer.content ?? "");
  for (let i = 0; i < characters.length; i += 4) events.push(chunk({ content: characters.slice(i, i + 4).join("") }));
  answer.toolCalls.forEach((call, index) => {
    events.push(
      chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }),
    );
    for (const piece of call.arguments.match(/.{1,5}/gs) ?? []) {
      events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  events.push(chunk({}, answer.finishReason));
  if (includeUsage)
    events.push(JSON.stringify({ id, object: "chat.completion.chunk", model, choices: [], usage: answer.usage }));
  events.push("[DONE]");
  return events;
}

async function writeSse(res: http.ServerResponse, events: string[], end = true): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  // Written in odd-sized byte slices so that events, and UTF-8 sequences, straddle network chunks.
  const wire = Buffer.from(events.map((e) => `data: ${e}\n\n`).join(""), "utf8");
  for (let i = 0; i < wire.length; i += 37) {
    res.write(wire.subarray(i, i + 37));
    await new Promise((r) => setImmediate(r));
  }
  if (end) res.end();
  else res.destroy();
}

async function handleChat(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, path: string) {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw openAiError(400, "We could not parse the JSON body of your request.");
  }
  if (!isObject(body)) throw openAiError(400, "The body must be a JSON object.");
  const model = typeof body.model === "string" ? body.model : "";
  if (model === "stub-slow") await new Promise((r) => setTimeout(r, 1500));
  const answer = answerChat(body, path, req.headers);
  if (body.stream === true && model !== "stub-no-stream") {
    const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
    const events = streamEvents(model, answer, includeUsage);
    if (model === "stub-stream-cut") return writeSse(res, events.slice(0, 3), false);
    if (model === "stub-stream-error") {
      return writeSse(res, [events[0]!, events[1]!, JSON.stringify({ error: { message: "the model crashed" } })]);
    }
    return writeSse(res, events);
  }
  sendJson(res, 200, completionJson(model, answer));
}

async function handleTranscription(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
  const form = await new Request("http://stub/v1/audio/transcriptions", {
    method: "POST",
    headers: { "content-type": req.headers["content-type"] ?? "" },
    body: raw,
  })
    .formData()
    .catch(() => {
      throw openAiError(400, "Could not parse multipart form");
    });
  const file = form.get("file");
  const model = form.get("model");
  if (!(file instanceof File)) throw openAiError(400, "Missing required parameter: 'file'.", { param: "file" });
  if (typeof model !== "string" || model === "") throw openAiError(400, "Missing required parameter: 'model'.");
  const status = /^stub-status-(\d{3})$/.exec(model);
  if (status) throw openAiError(Number(status[1]), `stub failure ${status[1]}`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const language = form.get("language");
  const prompt = form.get("prompt");
  // The "transcript" describes what arrived, so tests can check the upload end to end.
  const text = `${bytes.length} bytes of ${file.type} named ${file.name}${typeof prompt === "string" ? ` with prompt ${prompt}` : ""}`;
  if (form.get("response_format") === "verbose_json") {
    const duration = bytes.length / 32000; // 16 kHz, 16-bit mono
    sendJson(res, 200, {
      task: "transcribe",
      language: typeof language === "string" ? language : "english",
      duration,
      text,
      segments: [{ id: 0, start: 0, end: duration, text: ` ${text}` }],
    });
    return;
  }
  sendJson(res, 200, { text });
}

function sendJson(res: http.ServerResponse, status: number, body: Json, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export interface StubServer {
  /** Base URL including `/v1`, as OPENAI_BASE_URL takes it. */
  url: string;
  close(): Promise<void>;
}

export async function startOpenAiStub(): Promise<StubServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const path = new URL(req.url ?? "/", "http://stub").pathname;
      const run = async () => {
        if (req.method !== "POST") throw openAiError(405, "Only POST is supported");
        if (req.headers.authorization !== `Bearer ${STUB_API_KEY}`) {
          throw new StubError(401, {
            error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
          });
        }
        if (path === "/v1/chat/completions") return handleChat(req, res, raw, path);
        if (path === "/v1/audio/transcriptions") return handleTranscription(req, res, raw);
        throw openAiError(404, `Unknown path ${path}`);
      };
      run().catch((e: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (e instanceof StubError) return sendJson(res, e.status, e.body, e.headers);
        sendJson(res, 500, { error: { message: String(e), type: "server_error" } });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
