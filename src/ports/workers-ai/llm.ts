import { AppError } from "../../platform/errors";
import {
  inBandError,
  inferFinishReason,
  readCompletion,
  StreamAssembler,
  toWireMessages,
  toWireTools,
} from "../ai-common/chat-wire";
import { Deadline, withDeadline } from "../ai-common/deadline";
import { aiErrors } from "../ai-common/errors";
import { readSse } from "../ai-common/sse";
import { type PreparedOutput, prepareOutput, resolveOutput, withJsonInstruction } from "../ai-common/structured-output";
import type { Llm, LlmRequest, LlmResponse, LlmStreamEvent, LlmTool } from "../llm";
import { isJsonModeUnmet, mapWorkersAiError } from "./errors";

/** The part of the `AI` binding this adapter uses (`env.AI` satisfies it; tests pass a fake). */
export interface WorkersAiRunner {
  run(model: string, inputs: Record<string, unknown>, options?: AiOptions): Promise<unknown>;
}

export interface WorkersAiLlmSettings {
  /** A Workers AI text-generation model, e.g. `@cf/meta/llama-3.3-70b-instruct-fp8-fast` (LLM_MODEL). */
  model: string;
  timeoutMs: number;
  /** Routes calls through this AI Gateway (AI_GATEWAY_ID) for logs, caching and rate limits. */
  gatewayId?: string;
}

/** Internal marker: JSON mode failed, so the instructed retry applies. Never leaves this adapter. */
const JSON_MODE_UNMET = "llm_json_mode_unmet";

/**
 * `Llm` over the Workers AI binding: `env.AI.run(model, { messages, tools, response_format, max_tokens,
 * stream })`. Written directly against the binding rather than through the `ai` SDK and
 * `workers-ai-provider`: the port is already provider-neutral and the tool loop lives in the agents
 * feature, so the SDK would add two dependencies and a second message model for no less code.
 */
export class WorkersAiLlm implements Llm {
  readonly provider = "workers-ai" as const;
  readonly model: string;

  constructor(
    private readonly ai: WorkersAiRunner,
    private readonly settings: WorkersAiLlmSettings,
  ) {
    this.model = settings.model;
  }

  complete<T = unknown>(request: LlmRequest<T>): Promise<LlmResponse<T>> {
    return withDeadline(this.deadlineOptions(request), (deadline) => this.completeWithin(request, deadline));
  }

  async *stream<T = unknown>(request: LlmRequest<T>): AsyncGenerator<LlmStreamEvent<T>> {
    const last = request.messages[request.messages.length - 1];
    // JSON mode cannot stream on Workers AI (error 5023), and its chat models announce tool calls
    // reliably only in non-streamed answers while the turn may still open with one (the last message is
    // the user's); those cases run as one call and are replayed as events.
    if (request.output || (this.toolsFor(request).length > 0 && last?.role === "user")) {
      const response = await this.complete(request);
      if (response.text) yield { type: "text", delta: response.text };
      for (const call of response.toolCalls) yield { type: "tool_call", call };
      yield { type: "done", response };
      return;
    }
    const deadline = new Deadline(request.timeoutMs ?? this.settings.timeoutMs, request.signal, "llm", this.provider);
    try {
      const body = await deadline.run(
        (signal) => this.ai.run(this.model, this.inputs(request, { stream: true }), this.options(signal)),
        (e) => this.mapError(e),
      );
      if (!(body instanceof ReadableStream)) {
        // Some models ignore `stream` and answer whole.
        const response = this.toResponse<T>(body, request, undefined, false);
        if (response.text) yield { type: "text", delta: response.text };
        for (const call of response.toolCalls) yield { type: "tool_call", call };
        yield { type: "done", response };
        return;
      }
      const assembler = new StreamAssembler();
      let sawDone = false;
      try {
        for await (const event of readSse(body, deadline.signal)) {
          if (event.data === "[DONE]") {
            sawDone = true;
            break;
          }
          let chunk: unknown;
          try {
            chunk = JSON.parse(event.data);
          } catch {
            continue; // keep-alive or non-JSON noise; the assembled answer is checked at the end
          }
          const error = inBandError(chunk);
          if (error) throw new Error(error);
          yield* assembler.push(chunk);
        }
      } catch (e) {
        throw deadline.translate(e, (err) => this.mapError(err));
      }
      const result = assembler.finish();
      if (!sawDone && !result.finishReason) {
        throw aiErrors.upstream("llm", this.provider, "Workers AI ended the stream before the answer was complete.", {
          model: this.model,
        });
      }
      for (const call of result.toolCalls) yield { type: "tool_call", call };
      yield {
        type: "done",
        response: {
          text: result.text,
          toolCalls: result.toolCalls,
          finishReason: inferFinishReason(result.finishReason, result.toolCalls, result.usage, request.maxTokens),
          usage: result.usage,
          provider: this.provider,
          model: this.model,
        },
      };
    } finally {
      deadline.clear();
    }
  }

  private async completeWithin<T>(request: LlmRequest<T>, deadline: Deadline): Promise<LlmResponse<T>> {
    const prepared = request.output ? prepareOutput(request.output) : undefined;
    const call = (instructed: boolean) =>
      deadline.run(
        (signal) =>
          this.ai.run(this.model, this.inputs(request, { prepared, instructed, stream: false }), this.options(signal)),
        (e) =>
          prepared && !instructed && isJsonModeUnmet(e)
            ? new AppError("bad_gateway", "JSON mode couldn't be met", { code: JSON_MODE_UNMET, cause: e })
            : this.mapError(e),
      );
    try {
      return this.toResponse(await call(false), request, prepared, false);
    } catch (e) {
      if (!(e instanceof AppError && e.code === JSON_MODE_UNMET)) throw e;
    }
    // "JSON Mode couldn't be met" (developers.cloudflare.com/workers-ai/features/json-mode): one retry
    // with the schema in the prompt instead, validated the same way.
    return this.toResponse(await call(true), request, prepared, true);
  }

  private toResponse<T>(
    raw: unknown,
    request: LlmRequest<T>,
    prepared: PreparedOutput<T> | undefined,
    instructed: boolean,
  ): LlmResponse<T> {
    const completion = readCompletion(raw);
    if (!completion) {
      throw aiErrors.upstream(
        "llm",
        this.provider,
        `Workers AI returned an answer of unexpected shape for ${this.model}.`,
        {
          model: this.model,
        },
      );
    }
    const finishReason = inferFinishReason(
      completion.finishReason,
      completion.toolCalls,
      completion.usage,
      request.maxTokens,
    );
    const response: LlmResponse<T> = {
      text: completion.text,
      toolCalls: completion.toolCalls,
      finishReason,
      usage: completion.usage,
      provider: this.provider,
      model: this.model,
    };
    if (prepared) {
      response.output = resolveOutput(prepared, instructed ? completion.text : completion.content, {
        provider: this.provider,
        finishReason,
      });
      if (instructed) response.outputByInstruction = true;
    }
    return response;
  }

  /** Workers AI has no `tool_choice`: "none" sends no tools, `{ name }` offers only that tool. */
  private toolsFor(request: LlmRequest<unknown>): LlmTool[] {
    const tools = request.tools ?? [];
    const choice = request.toolChoice;
    if (choice === "none") return [];
    if (typeof choice === "object") return tools.filter((t) => t.name === choice.name);
    return tools;
  }

  private inputs(
    request: LlmRequest<unknown>,
    mode: { prepared?: PreparedOutput<unknown>; instructed?: boolean; stream: boolean },
  ): Record<string, unknown> {
    const messages =
      mode.prepared && mode.instructed ? withJsonInstruction(request.messages, mode.prepared) : request.messages;
    const inputs: Record<string, unknown> = {
      messages: toWireMessages(messages, { toolCallsAsContent: true }),
      max_tokens: request.maxTokens,
    };
    if (request.temperature !== undefined) inputs.temperature = request.temperature;
    const tools = this.toolsFor(request);
    if (tools.length > 0) inputs.tools = toWireTools(tools);
    if (mode.prepared && !mode.instructed) {
      inputs.response_format = { type: "json_schema", json_schema: mode.prepared.jsonSchema };
    }
    if (mode.stream) inputs.stream = true;
    return inputs;
  }

  private options(signal: AbortSignal): AiOptions {
    return this.settings.gatewayId ? { signal, gateway: { id: this.settings.gatewayId } } : { signal };
  }

  private deadlineOptions(request: LlmRequest<unknown>) {
    return {
      timeoutMs: request.timeoutMs ?? this.settings.timeoutMs,
      signal: request.signal,
      service: "llm" as const,
      provider: this.provider,
    };
  }

  private mapError(e: unknown): AppError {
    return mapWorkersAiError(e, { service: "llm", model: this.model, modelSetting: "LLM_MODEL" });
  }
}
