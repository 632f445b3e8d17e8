import { AppError } from "../../platform/errors";
import {
  inBandError,
  inferFinishReason,
  readCompletion,
  StreamAssembler,
  toWireMessages,
  toWireTools,
  type WireCompletion,
} from "../ai-common/chat-wire";
import { Deadline, withDeadline } from "../ai-common/deadline";
import { aiErrors, quoteUpstream } from "../ai-common/errors";
import { readSse } from "../ai-common/sse";
import { type PreparedOutput, prepareOutput, resolveOutput, withJsonInstruction } from "../ai-common/structured-output";
import type { Llm, LlmMessage, LlmRequest, LlmResponse, LlmStreamEvent } from "../llm";
import { mapOpenAiError, type OpenAiEndpoint, OpenAiHttpError, postToOpenAi } from "./http";

export interface OpenAiLlmSettings extends OpenAiEndpoint {
  /** OPENAI_MODEL, e.g. `gpt-4o-mini`, `llama3.1:8b` (Ollama), `workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast`. */
  model: string;
  timeoutMs: number;
}

/** A request body being adapted to what this endpoint accepts. */
interface ChatBody {
  body: Record<string, unknown>;
  /** True once the schema moved into the prompt (the endpoint rejected `response_format`). */
  instructed: boolean;
  /** The caller's messages, before any instruction was added. */
  messages: LlmMessage[];
  prepared?: PreparedOutput<unknown>;
}

/**
 * `Llm` over any OpenAI-compatible Chat Completions endpoint (`POST {base}/chat/completions`), which
 * includes Cloudflare AI Gateway URLs. Endpoints differ in what they accept, so a 400 that names a
 * parameter is answered by adapting the request once per parameter: `max_tokens` becomes
 * `max_completion_tokens` (OpenAI reasoning models), an unsupported `temperature`, `stream_options`
 * or `tool_choice` is dropped, and an unsupported `response_format` falls back to the schema in the
 * prompt (validated the same way).
 */
export class OpenAiLlm implements Llm {
  readonly provider = "openai" as const;
  readonly model: string;

  constructor(private readonly settings: OpenAiLlmSettings) {
    this.model = settings.model;
  }

  complete<T = unknown>(request: LlmRequest<T>): Promise<LlmResponse<T>> {
    return withDeadline(
      {
        timeoutMs: request.timeoutMs ?? this.settings.timeoutMs,
        signal: request.signal,
        service: "llm",
        provider: this.provider,
      },
      async (deadline) => {
        const prepared = request.output ? prepareOutput(request.output) : undefined;
        const { response, chat } = await this.send(this.chatBody(request, prepared, false), deadline);
        const raw = await deadline.run(
          () => response.json(),
          (e) => this.bodyError(e),
        );
        const completion = readCompletion(raw);
        if (!completion) {
          const error = inBandError(raw);
          throw aiErrors.upstream(
            "llm",
            this.provider,
            error
              ? `The OpenAI-compatible endpoint failed: ${error}`
              : "The OpenAI-compatible endpoint answered with an unexpected shape.",
            { model: this.model },
          );
        }
        return this.toResponse(completion, request, prepared, chat.instructed);
      },
    );
  }

  async *stream<T = unknown>(request: LlmRequest<T>): AsyncGenerator<LlmStreamEvent<T>> {
    const deadline = new Deadline(request.timeoutMs ?? this.settings.timeoutMs, request.signal, "llm", this.provider);
    try {
      const prepared = request.output ? prepareOutput(request.output) : undefined;
      const { response, chat } = await this.send(this.chatBody(request, prepared, true), deadline);
      if (!(response.headers.get("content-type") ?? "").includes("text/event-stream") || !response.body) {
        // The endpoint ignored `stream` and answered whole: replay it.
        const completion = readCompletion(
          await deadline.run(
            () => response.json(),
            (e) => this.bodyError(e),
          ),
        );
        if (!completion)
          throw aiErrors.upstream(
            "llm",
            this.provider,
            "The OpenAI-compatible endpoint answered with an unexpected shape.",
          );
        const whole = this.toResponse(completion, request, prepared, chat.instructed);
        if (whole.text) yield { type: "text", delta: whole.text };
        for (const call of whole.toolCalls) yield { type: "tool_call", call };
        yield { type: "done", response: whole };
        return;
      }
      const assembler = new StreamAssembler();
      let sawDone = false;
      try {
        for await (const event of readSse(response.body, deadline.signal)) {
          if (event.data === "[DONE]") {
            sawDone = true;
            break;
          }
          let chunk: unknown;
          try {
            chunk = JSON.parse(event.data);
          } catch {
            continue; // not a chunk (keep-alive noise); completeness is checked at the end
          }
          const error = inBandError(chunk);
          if (error) {
            throw aiErrors.upstream(
              "llm",
              this.provider,
              `The OpenAI-compatible endpoint failed mid-stream: ${error}`,
              {
                model: this.model,
              },
            );
          }
          yield* assembler.push(chunk);
        }
      } catch (e) {
        throw deadline.translate(e, (err) => this.bodyError(err));
      }
      const result = assembler.finish();
      if (!sawDone && !result.finishReason) {
        throw aiErrors.upstream("llm", this.provider, "The OpenAI-compatible endpoint ended the stream early.", {
          model: this.model,
        });
      }
      for (const call of result.toolCalls) yield { type: "tool_call", call };
      yield {
        type: "done",
        response: this.toResponse(
          {
            text: result.text,
            content: result.text,
            toolCalls: result.toolCalls,
            finishReason: result.finishReason,
            usage: result.usage,
          },
          request,
          prepared,
          chat.instructed,
        ),
      };
    } finally {
      deadline.clear();
    }
  }

  /** Sends the body, adapting it to 400s that name a parameter (at most once per parameter). */
  private async send(chat: ChatBody, deadline: Deadline): Promise<{ response: Response; chat: ChatBody }> {
    const adapted = new Set<string>();
    for (;;) {
      try {
        const body = JSON.stringify(chat.body);
        const response = await deadline.race(postToOpenAi(this.settings, "/chat/completions", body, deadline.signal));
        return { response, chat };
      } catch (e) {
        const next = e instanceof OpenAiHttpError ? adaptToRejection(chat, e, adapted) : null;
        if (!next) throw deadline.translate(e, (err) => this.mapError(err));
        chat = next;
      }
    }
  }

  private chatBody(
    request: LlmRequest<unknown>,
    prepared: PreparedOutput<unknown> | undefined,
    stream: boolean,
  ): ChatBody {
    const body: Record<string, unknown> = {
      model: this.model,
      messages: toWireMessages(request.messages),
      max_tokens: request.maxTokens,
    };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.tools?.length) {
      body.tools = toWireTools(request.tools);
      const choice = request.toolChoice;
      if (choice)
        body.tool_choice = typeof choice === "object" ? { type: "function", function: { name: choice.name } } : choice;
    }
    if (prepared) {
      body.response_format = {
        type: "json_schema",
        json_schema: {
          name: prepared.name,
          ...(prepared.description ? { description: prepared.description } : {}),
          schema: prepared.jsonSchema,
          // Strict mode demands every property be required and closed; schemas here are validated after
          // the fact instead, so they need not be written for it.
          strict: false,
        },
      };
    }
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return { body, instructed: false, messages: request.messages, prepared };
  }

  private toResponse<T>(
    completion: WireCompletion,
    request: LlmRequest<T>,
    prepared: PreparedOutput<T> | undefined,
    instructed: boolean,
  ): LlmResponse<T> {
    const finishReason = inferFinishReason(
      completion.finishReason,
      completion.toolCalls,
      completion.usage,
      request.maxTokens,
    );
    const response: LlmResponse<T> = {
      text: completion.text || completion.refusal || "",
      toolCalls: completion.toolCalls,
      finishReason: completion.refusal && !completion.text ? "content_filter" : finishReason,
      usage: completion.usage,
      provider: this.provider,
      model: this.model,
    };
    if (prepared) {
      if (completion.refusal && !completion.text) {
        throw new AppError("unprocessable", `The language model refused to answer: ${completion.refusal}`, {
          code: "llm_refused",
          details: { provider: this.provider, model: this.model },
        });
      }
      response.output = resolveOutput(prepared, completion.text, { provider: this.provider, finishReason });
      if (instructed) response.outputByInstruction = true;
    }
    return response;
  }

  /** The answer started but could not be read to the end (connection dropped, invalid JSON): 502. */
  private bodyError(e: unknown): AppError {
    const reason = e instanceof Error ? e.message : String(e);
    return aiErrors.upstream(
      "llm",
      this.provider,
      `The OpenAI-compatible endpoint's answer broke off: ${quoteUpstream(reason)}`,
      {
        model: this.model,
      },
    );
  }

  private mapError(e: unknown): AppError {
    return mapOpenAiError(e, {
      service: "llm",
      baseUrl: this.settings.baseUrl,
      model: this.model,
      modelSetting: "OPENAI_MODEL",
    });
  }
}

/**
 * The request to try next after a 400/422 that names a parameter, or null when nothing is left to adapt.
 * Exported for tests.
 */
export function adaptToRejection(chat: ChatBody, rejection: OpenAiHttpError, adapted: Set<string>): ChatBody | null {
  if (rejection.status !== 400 && rejection.status !== 422) return null;
  const { message, param } = rejection.info;
  const names = (key: string) => param === key || param?.startsWith(`${key}.`) || message.includes(key);
  const body = { ...chat.body };
  const once = (key: string) => {
    if (adapted.has(key)) return false;
    adapted.add(key);
    return true;
  };
  if (
    "max_tokens" in body &&
    (names("max_tokens") || message.includes("max_completion_tokens")) &&
    once("max_tokens")
  ) {
    body.max_completion_tokens = body.max_tokens;
    delete body.max_tokens;
    return { ...chat, body };
  }
  if (
    "response_format" in body &&
    (names("response_format") || message.includes("json_schema")) &&
    once("response_format")
  ) {
    if (!chat.prepared) return null;
    delete body.response_format;
    body.messages = toWireMessages(withJsonInstruction(chat.messages, chat.prepared));
    return { ...chat, body, instructed: true };
  }
  for (const key of ["temperature", "stream_options", "tool_choice"]) {
    if (key in body && names(key) && once(key)) {
      delete body[key];
      return { ...chat, body };
    }
  }
  return null;
}
