import type { AppError } from "../../platform/errors";
import { type AiService, aiErrors, quoteUpstream } from "../ai-common/errors";

/** One OpenAI-compatible endpoint: api.openai.com, an AI Gateway URL, vLLM, Ollama, ... */
export interface OpenAiEndpoint {
  /** e.g. `https://api.openai.com/v1` or `https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/openai`. */
  baseUrl: string;
  apiKey: string;
  /** Injected in tests of unusual transports; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** A non-2xx answer, kept whole so callers can adapt the request before it is mapped to an AppError. */
export class OpenAiHttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
    this.name = "OpenAiHttpError";
  }

  /** OpenAI's `{ error: { message, type, param, code } }`, or whatever text the server sent. */
  get info(): { message: string; param?: string; code?: string } {
    const body = this.body;
    if (typeof body === "object" && body !== null && "error" in body) {
      const error = (body as { error: unknown }).error;
      if (typeof error === "string") return { message: error };
      if (typeof error === "object" && error !== null) {
        const e = error as { message?: unknown; param?: unknown; code?: unknown };
        return {
          message: typeof e.message === "string" ? e.message : JSON.stringify(error),
          ...(typeof e.param === "string" ? { param: e.param } : {}),
          ...(typeof e.code === "string" ? { code: e.code } : {}),
        };
      }
    }
    if (typeof body === "object" && body !== null && "detail" in body) {
      return { message: String((body as { detail: unknown }).detail) };
    }
    return { message: typeof body === "string" ? body : JSON.stringify(body) };
  }
}

export function endpointUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** POSTs to the endpoint; non-2xx answers throw `OpenAiHttpError` (body read and parsed when JSON). */
export async function postToOpenAi(
  endpoint: OpenAiEndpoint,
  path: string,
  body: string | FormData,
  signal: AbortSignal,
): Promise<Response> {
  const headers = new Headers({ Authorization: `Bearer ${endpoint.apiKey}` });
  // FormData sets its own multipart boundary.
  if (typeof body === "string") headers.set("Content-Type", "application/json");
  const doFetch = endpoint.fetch ?? fetch;
  const response = await doFetch(endpointUrl(endpoint.baseUrl, path), { method: "POST", headers, body, signal });
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    throw new OpenAiHttpError(response.status, response.headers, parsed);
  }
  return response;
}

/** `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3) or OpenAI's `retry-after-ms`. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.max(1, Math.ceil(Number(ms) / 1000));
  const value = headers.get("retry-after");
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(1, Math.ceil((date - now) / 1000));
}

export interface OpenAiErrorContext {
  service: AiService;
  baseUrl: string;
  model: string;
  /** The setting that names the model, quoted in messages (OPENAI_MODEL, OPENAI_STT_MODEL). */
  modelSetting: string;
}

/**
 * Maps what an OpenAI-compatible endpoint (or the network) did to the port's vocabulary: credentials
 * and missing models are configuration errors reported as 502 naming the setting, rate limits and
 * overload are 503 with the upstream's Retry-After, upstream timeouts are 504.
 */
export function mapOpenAiError(e: unknown, context: OpenAiErrorContext): AppError {
  const provider = "openai";
  const { service, model, modelSetting } = context;
  const host = safeHost(context.baseUrl);
  if (!(e instanceof OpenAiHttpError)) {
    const reason = e instanceof Error ? e.message : String(e);
    return aiErrors.unavailable(
      service,
      provider,
      `Cannot reach the OpenAI-compatible endpoint ${host} (OPENAI_BASE_URL): ${quoteUpstream(reason)}`,
    );
  }
  const { status } = e;
  const info = e.info;
  const upstream = quoteUpstream(info.message);
  const details = { status, model, ...(info.code ? { upstreamCode: info.code } : {}) };
  if (status === 401) {
    return aiErrors.upstream(
      service,
      provider,
      `The OpenAI-compatible endpoint ${host} rejected the credentials (HTTP 401); check OPENAI_API_KEY: ${upstream}`,
      details,
    );
  }
  if (status === 403) {
    return aiErrors.upstream(
      service,
      provider,
      `The OpenAI-compatible endpoint ${host} denied access (HTTP 403); check OPENAI_API_KEY and that it may use ${modelSetting}=${model}: ${upstream}`,
      details,
    );
  }
  if (status === 404) {
    return aiErrors.upstream(
      service,
      provider,
      `The OpenAI-compatible endpoint ${host} answered 404; check OPENAI_BASE_URL and ${modelSetting}=${model}: ${upstream}`,
      details,
    );
  }
  if (status === 408 || status === 504 || status === 524) {
    return aiErrors.upstreamTimeout(service, provider, `The OpenAI-compatible endpoint timed out (HTTP ${status}).`);
  }
  if (
    status === 413 ||
    info.code === "context_length_exceeded" ||
    /context length|maximum context|too many tokens/i.test(info.message)
  ) {
    return aiErrors.inputTooLarge(service, provider, `The input is too large for ${model}: ${upstream}`);
  }
  if (status === 429 || status === 503 || status === 529) {
    const why =
      info.code === "insufficient_quota" ? "has no quota left" : status === 429 ? "is rate limiting" : "is overloaded";
    return aiErrors.unavailable(
      service,
      provider,
      `The OpenAI-compatible endpoint ${why} (HTTP ${status}): ${upstream}`,
      retryAfterSeconds(e.headers),
    );
  }
  return aiErrors.upstream(
    service,
    provider,
    `The OpenAI-compatible endpoint failed (HTTP ${status}): ${upstream}`,
    details,
  );
}

function safeHost(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
