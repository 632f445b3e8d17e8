import { AppError } from "../../platform/errors";

/**
 * The remote AI services share one error vocabulary so clients can switch on
 * `<service>_timeout`, `<service>_unavailable`, `<service>_upstream_error`, ... whatever the provider
 * (docs/architecture.md, "Ports and adapters": timeouts and upstream failures map to 503/504).
 */
export type AiService = "llm" | "transcription" | "document_text";

const subject: Record<AiService, string> = {
  llm: "The language model",
  transcription: "The speech-to-text engine",
  document_text: "The document conversion engine",
};

/** Upstream messages are quoted for operators, bounded so a verbose provider cannot flood the envelope. */
export function quoteUpstream(message: string): string {
  const flat = message.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

export const aiErrors = {
  /** 504: the provider did not answer within the deadline. */
  timeout: (service: AiService, provider: string, timeoutMs: number) =>
    new AppError("timeout", `${subject[service]} (${provider}) did not answer within ${timeoutMs} ms`, {
      code: `${service}_timeout`,
      details: { provider, timeoutMs },
    }),

  /** 504: the provider itself reported that the model ran out of time. */
  upstreamTimeout: (service: AiService, provider: string, message: string) =>
    new AppError("timeout", message, { code: `${service}_timeout`, details: { provider } }),

  /** 503: the provider is reachable in principle but cannot serve now (capacity, rate limit, network). */
  unavailable: (service: AiService, provider: string, message: string, retryAfter?: number) =>
    new AppError("unavailable", message, {
      code: `${service}_unavailable`,
      details: { provider },
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    }),

  /** 502: the provider answered with an error or with something unusable. */
  upstream: (service: AiService, provider: string, message: string, details: Record<string, unknown> = {}) =>
    new AppError("bad_gateway", message, { code: `${service}_upstream_error`, details: { provider, ...details } }),

  /** 502: the model answered, but not with output matching the requested JSON schema. */
  invalidOutput: (provider: string, message: string, details: Record<string, unknown> = {}) =>
    new AppError("bad_gateway", message, { code: "llm_invalid_output", details: { provider, ...details } }),

  /** 413: the input does not fit the provider's request or context limits. */
  inputTooLarge: (service: AiService, provider: string, message: string) =>
    new AppError("too_large", message, { code: `${service}_input_too_large`, details: { provider } }),

  /** 503: the deployment's settings do not allow this service; the message names what to change. */
  notConfigured: (service: AiService, message: string, settings: string[]) =>
    new AppError("unavailable", message, { code: `${service}_not_configured`, details: { settings } }),
};
