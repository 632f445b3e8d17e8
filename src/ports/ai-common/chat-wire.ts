import { randomId } from "../../platform/ids";
import type { LlmFinishReason, LlmMessage, LlmStreamEvent, LlmTool, LlmToolCall, LlmUsage } from "../llm";

/**
 * The OpenAI Chat Completions dialect (messages, tools, tool calls, stream deltas). OpenAI-compatible
 * endpoints speak it, and so does Workers AI for its chat models, which also has a native shape
 * (`{ response, tool_calls: [{ name, arguments }] }`); both are read here.
 */

export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface WireMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
  name?: string;
}

export interface WireTool {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export function toWireMessages(messages: LlmMessage[], options: { toolCallsAsContent?: boolean } = {}): WireMessage[] {
  return messages.map((m): WireMessage => {
    if (m.role === "tool") return { role: "tool", content: m.content, tool_call_id: m.toolCallId, name: m.name };
    if (m.role !== "assistant" || !m.toolCalls?.length) return { role: m.role, content: m.content };
    // Llama chat templates on Workers AI render only `content`, so the model would not see its own
    // earlier calls; the JSON form is the one those models emit for a call.
    const content =
      m.content || !options.toolCallsAsContent
        ? m.content
        : m.toolCalls.map((c) => JSON.stringify({ name: c.name, parameters: c.arguments })).join("\n");
    return {
      role: "assistant",
      content,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      })),
    };
  });
}

export function toWireTools(tools: LlmTool[]): WireTool[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Tool arguments arrive as a JSON string (OpenAI) or as an object (Workers AI native). */
export function parseArguments(raw: unknown): Pick<LlmToolCall, "arguments" | "argumentsError"> {
  if (isRecord(raw)) return { arguments: raw };
  if (raw === undefined || raw === null || raw === "") return { arguments: {} };
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return { arguments: parsed };
  } catch {
    // reported below
  }
  return { arguments: {}, argumentsError: text };
}

export const newToolCallId = () => `call_${randomId(16)}`;

/** One complete tool call in either shape: `{ id, function: { name, arguments } }` or `{ name, arguments }`. */
export function parseToolCall(raw: unknown): LlmToolCall | null {
  if (!isRecord(raw)) return null;
  const fn = isRecord(raw.function) ? raw.function : raw;
  if (typeof fn.name !== "string" || fn.name === "") return null;
  const id = typeof raw.id === "string" && raw.id !== "" ? raw.id : newToolCallId();
  return { id, name: fn.name, ...parseArguments(fn.arguments) };
}

export function mapFinishReason(raw: unknown): LlmFinishReason | null {
  switch (raw) {
    case "stop":
    case "eos":
      return "stop";
    case "length":
    case "max_tokens":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    case null:
    case undefined:
      return null;
    default:
      return "unknown";
  }
}

export function parseUsage(raw: unknown): LlmUsage {
  if (!isRecord(raw)) return {};
  const usage: LlmUsage = {};
  if (typeof raw.prompt_tokens === "number") usage.inputTokens = raw.prompt_tokens;
  if (typeof raw.completion_tokens === "number") usage.outputTokens = raw.completion_tokens;
  return usage;
}

/** A non-streamed answer, normalised. `content` keeps Workers AI's already-parsed JSON-mode object. */
export interface WireCompletion {
  text: string;
  content: unknown;
  toolCalls: LlmToolCall[];
  finishReason: LlmFinishReason | null;
  usage: LlmUsage;
  refusal?: string;
}

/** Reads `{ choices: [{ message, finish_reason }], usage }` or Workers AI's `{ response, tool_calls, usage }`. */
export function readCompletion(body: unknown): WireCompletion | null {
  if (typeof body === "string") return { text: body, content: body, toolCalls: [], finishReason: null, usage: {} };
  if (!isRecord(body)) return null;
  const usage = parseUsage(body.usage);
  if (Array.isArray(body.choices)) {
    const choice: unknown = body.choices[0];
    if (!isRecord(choice) || !isRecord(choice.message)) return null;
    const message = choice.message;
    const content = typeof message.content === "string" ? message.content : "";
    return {
      text: content,
      content,
      toolCalls: Array.isArray(message.tool_calls) ? message.tool_calls.flatMap((c) => parseToolCall(c) ?? []) : [],
      finishReason: mapFinishReason(choice.finish_reason),
      usage,
      ...(typeof message.refusal === "string" && message.refusal !== "" ? { refusal: message.refusal } : {}),
    };
  }
  if (!("response" in body) && !("tool_calls" in body)) return null;
  const response = body.response;
  const text =
    typeof response === "string"
      ? response
      : response === null || response === undefined
        ? ""
        : typeof response === "object"
          ? JSON.stringify(response)
          : String(response);
  return {
    text,
    content: response ?? "",
    toolCalls: Array.isArray(body.tool_calls) ? body.tool_calls.flatMap((c) => parseToolCall(c) ?? []) : [],
    finishReason: mapFinishReason(body.finish_reason),
    usage,
  };
}

/** The message of an in-band error (`{ error: { message } }`, `{ error: "..." }`, `{ errors: [...] }`). */
export function inBandError(body: unknown): string | null {
  if (!isRecord(body)) return null;
  const error = body.error;
  if (typeof error === "string" && error !== "") return error;
  if (isRecord(error)) return typeof error.message === "string" ? error.message : JSON.stringify(error);
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const first: unknown = body.errors[0];
    return isRecord(first) && typeof first.message === "string" ? first.message : JSON.stringify(first);
  }
  return null;
}

interface PartialCall {
  id: string;
  name: string;
  args: string;
  /** Workers AI native chunks may carry the whole arguments object at once. */
  argsObject?: Record<string, unknown>;
}

/**
 * Assembles streamed chunks (OpenAI `choices[0].delta` or Workers AI `{ response, tool_calls }`) into
 * text deltas now and whole tool calls at the end, when their argument fragments are complete.
 */
export class StreamAssembler {
  private text = "";
  private readonly calls = new Map<number, PartialCall>();
  private finishReason: LlmFinishReason | null = null;
  private usage: LlmUsage = {};

  push(chunk: unknown): LlmStreamEvent<never>[] {
    if (!isRecord(chunk)) return [];
    if (isRecord(chunk.usage)) this.usage = { ...this.usage, ...parseUsage(chunk.usage) };
    const events: LlmStreamEvent<never>[] = [];
    const emit = (delta: unknown) => {
      if (typeof delta === "string" && delta !== "") {
        this.text += delta;
        events.push({ type: "text", delta });
      }
    };
    if (Array.isArray(chunk.choices)) {
      const choice: unknown = chunk.choices[0];
      if (isRecord(choice)) {
        this.finishReason = mapFinishReason(choice.finish_reason) ?? this.finishReason;
        if (isRecord(choice.delta)) {
          emit(choice.delta.content);
          if (Array.isArray(choice.delta.tool_calls)) this.addCallFragments(choice.delta.tool_calls);
        }
      }
      return events;
    }
    this.finishReason = mapFinishReason(chunk.finish_reason) ?? this.finishReason;
    emit(typeof chunk.response === "number" ? String(chunk.response) : chunk.response);
    if (Array.isArray(chunk.tool_calls)) this.addCallFragments(chunk.tool_calls);
    return events;
  }

  private addCallFragments(fragments: unknown[]): void {
    fragments.forEach((raw, position) => {
      if (!isRecord(raw)) return;
      const fn = isRecord(raw.function) ? raw.function : raw;
      const index = typeof raw.index === "number" ? raw.index : position;
      const name = typeof fn.name === "string" ? fn.name : "";
      const id = typeof raw.id === "string" ? raw.id : "";
      // Some providers close a call with an all-null fragment; it carries nothing.
      if (!id && !name && (fn.arguments === undefined || fn.arguments === null || fn.arguments === "")) return;
      let call = this.calls.get(index);
      if (!call) {
        call = { id, name, args: "" };
        this.calls.set(index, call);
      }
      if (id) call.id = id;
      if (name) call.name = name;
      if (isRecord(fn.arguments)) call.argsObject = fn.arguments;
      else if (typeof fn.arguments === "string") call.args += fn.arguments;
    });
  }

  finish(): { text: string; toolCalls: LlmToolCall[]; finishReason: LlmFinishReason | null; usage: LlmUsage } {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, c]) => c.name !== "")
      .map(([, c]) => ({
        id: c.id || newToolCallId(),
        name: c.name,
        ...parseArguments(c.argsObject ?? c.args),
      }));
    return { text: this.text, toolCalls, finishReason: this.finishReason, usage: this.usage };
  }
}

/** When the provider says nothing, the answer's shape tells: tool calls, or a full token budget. */
export function inferFinishReason(
  reported: LlmFinishReason | null,
  toolCalls: LlmToolCall[],
  usage: LlmUsage,
  maxTokens: number,
): LlmFinishReason {
  if (reported) return reported;
  if (toolCalls.length > 0) return "tool_calls";
  if (usage.outputTokens !== undefined && usage.outputTokens >= maxTokens) return "length";
  return "stop";
}
