import type { z } from "zod";

/**
 * The `Llm` port: chat completion with tools and JSON-schema output, provider-neutral
 * (docs/architecture.md, "Ports and adapters"). Implementations: Workers AI over the `AI` binding
 * (src/ports/workers-ai/llm.ts) and any OpenAI-compatible Chat Completions endpoint
 * (src/ports/openai/llm.ts). With no provider configured there is no `Llm` at all
 * (`selectLlm` returns null) and features use the local clinical engine instead.
 *
 * Failures are AppErrors with stable codes: `llm_timeout` (504), `llm_unavailable` (503),
 * `llm_upstream_error` (502), `llm_invalid_output` (502: the answer did not match the schema),
 * `llm_input_too_large` (413), `llm_not_configured` (503), `llm_refused` (422).
 * An abort through the caller's own `signal` rejects with the signal's reason.
 */

/** A JSON Schema document (draft 2020-12 / draft-07 subset that providers accept). */
export type JsonSchema = { [key: string]: unknown };

export interface LlmToolCall {
  /** Provider id of the call; tool results must quote it back (`role: "tool"`, `toolCallId`). */
  id: string;
  name: string;
  /** The parsed arguments; `{}` when the model sent something that is not a JSON object. */
  arguments: Record<string, unknown>;
  /** Set when the model's raw arguments were not a JSON object (the raw text, for feedback to the model). */
  argumentsError?: string;
}

export type LlmMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: LlmToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

export interface LlmTool {
  /** `^[a-zA-Z0-9_-]{1,64}$`, the rule both OpenAI and Workers AI apply. */
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
}

/** `{ name }` forces that tool. Workers AI cannot force a tool: it then offers only that tool. */
export type LlmToolChoice = "auto" | "none" | "required" | { name: string };

/** Structured output: the answer must be JSON matching `schema` (validated before it is returned). */
export interface LlmOutputSpec<T = unknown> {
  /** `^[a-zA-Z0-9_-]{1,64}$` (OpenAI `json_schema.name`). */
  name: string;
  description?: string;
  /** A zod schema (converted with `z.toJSONSchema`, and typing `output`) or a plain JSON Schema. */
  schema: z.ZodType<T> | JsonSchema;
}

export interface LlmRequest<T = unknown> {
  messages: LlmMessage[];
  tools?: LlmTool[];
  toolChoice?: LlmToolChoice;
  output?: LlmOutputSpec<T>;
  /** Explicit on purpose: provider defaults differ wildly (Workers AI: 256) and truncate silently. */
  maxTokens: number;
  temperature?: number;
  /** Cancels the call (e.g. the client disconnected); rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the configured deadline (LLM_TIMEOUT_MS) for this call; on expiry: 504 `llm_timeout`. */
  timeoutMs?: number;
}

export type LlmFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "unknown";

export interface LlmUsage {
  inputTokens?: number;
  outputTokens?: number;
}

export interface LlmResponse<T = unknown> {
  /** The assistant's text ("" when it only called tools; the raw JSON text with `output`). */
  text: string;
  toolCalls: LlmToolCall[];
  /** The validated structured output; present exactly when the request had `output`. */
  output?: T;
  finishReason: LlmFinishReason;
  usage: LlmUsage;
  provider: string;
  model: string;
  /**
   * True when the provider could not enforce the JSON schema natively (e.g. Workers AI "JSON Mode
   * couldn't be met") and the output came from an instructed retry, validated the same way.
   */
  outputByInstruction?: boolean;
}

export type LlmStreamEvent<T = unknown> =
  | { type: "text"; delta: string }
  | { type: "tool_call"; call: LlmToolCall }
  /** Always last: the assembled response, as `complete` would have returned it. */
  | { type: "done"; response: LlmResponse<T> };

export interface Llm {
  /** `workers-ai`, `openai` (or a test double's name). */
  readonly provider: string;
  readonly model: string;
  complete<T = unknown>(request: LlmRequest<T>): Promise<LlmResponse<T>>;
  /**
   * Streams text deltas and (whole) tool calls, then `done`. Errors before the first event reject
   * the first `next()`; errors mid-stream are thrown from the iterator (the SSE layer turns them into
   * an error event). With `output`, Workers AI cannot stream (JSON mode is not supported with
   * `stream`), so the whole answer arrives as one delta.
   */
  stream<T = unknown>(request: LlmRequest<T>): AsyncIterable<LlmStreamEvent<T>>;
}
