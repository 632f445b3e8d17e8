import { aiErrors } from "./ai-common/errors";
import type { DocumentText } from "./document-text";
import type { Llm, LlmRequest, LlmResponse, LlmStreamEvent } from "./llm";
import { LocalDocumentText } from "./local-document-text/local-document-text";
import { OpenAiLlm } from "./openai/llm";
import { OpenAiSpeechToText } from "./openai/speech-to-text";
import type { SpeechToText, Transcript } from "./speech-to-text";
import { type MarkdownConverter, WorkersAiDocumentText } from "./workers-ai/document-text";
import { WorkersAiLlm, type WorkersAiRunner } from "./workers-ai/llm";
import { WorkersAiSpeechToText } from "./workers-ai/speech-to-text";

/**
 * Which engine serves each AI port, chosen per request from bindings and vars (docs/architecture.md,
 * "Ports and adapters"). Nothing configured means the local engines: no LLM (features use the local
 * clinical engine), no speech-to-text, in-Worker document text. A provider that is named but lacks
 * its settings is not silently replaced by the local engine: its calls fail with a 503 that names
 * the missing setting, so a deployment meant to use a model cannot quietly run without one.
 */
export interface AiEnv {
  /** The Workers AI binding (`Ai` satisfies this narrow view; tests pass a fake). */
  AI?: WorkersAiRunner & MarkdownConverter;
  /** `workers-ai`, `openai`, or unset / `local` for the local clinical engine. */
  LLM_PROVIDER?: string;
  /** Workers AI text-generation model (default `@cf/meta/llama-3.3-70b-instruct-fp8-fast`). */
  LLM_MODEL?: string;
  /** Deadline of one LLM call in milliseconds (default 60000). */
  LLM_TIMEOUT_MS?: string;
  /** Route Workers AI calls through this AI Gateway. */
  AI_GATEWAY_ID?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  OPENAI_MODEL?: string;
  /** Model of `/audio/transcriptions` (default `whisper-1`). */
  OPENAI_STT_MODEL?: string;
  /** `workers-ai`, `openai`, or unset / `none`. */
  STT_PROVIDER?: string;
  /** Workers AI speech model (default `@cf/openai/whisper-large-v3-turbo`; `@cf/deepgram/nova-3` works too). */
  STT_MODEL?: string;
  /** `workers-ai` (toMarkdown) or unset / `local`. */
  DOCUMENT_TEXT_PROVIDER?: string;
}

export const AI_DEFAULTS = {
  llmModel: "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
  llmTimeoutMs: 60_000,
  sttModel: "@cf/openai/whisper-large-v3-turbo",
  openaiSttModel: "whisper-1",
  sttTimeoutMs: 120_000,
  documentTimeoutMs: 60_000,
} as const;

/** How one port is served: the local engine, a ready provider, or a provider missing settings. */
export type PortPlan =
  | { status: "local" }
  | { status: "ready"; provider: string; model?: string }
  | { status: "misconfigured"; provider: string; problem: string; settings: string[] };

type Plan<T> =
  | { status: "local" }
  | { status: "ready"; provider: string; model?: string; create: () => T }
  | { status: "misconfigured"; provider: string; problem: string; settings: string[] };

const setting = (value: string | undefined) => {
  const v = value?.trim();
  return v ? v : undefined;
};

interface OpenAiSettings {
  baseUrl: string;
  apiKey: string;
}

/** OPENAI_BASE_URL and OPENAI_API_KEY, or what is wrong with them. */
function openAiEndpoint(env: AiEnv): OpenAiSettings | { problem: string; settings: string[] } {
  const baseUrl = setting(env.OPENAI_BASE_URL);
  const apiKey = setting(env.OPENAI_API_KEY);
  const missing = [!baseUrl && "OPENAI_BASE_URL", !apiKey && "OPENAI_API_KEY"].filter((s): s is string => !!s);
  if (missing.length > 0)
    return { problem: `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set`, settings: missing };
  let url: URL;
  try {
    url = new URL(baseUrl!);
  } catch {
    return { problem: "OPENAI_BASE_URL is not a URL", settings: ["OPENAI_BASE_URL"] };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { problem: "OPENAI_BASE_URL must be an http(s) URL", settings: ["OPENAI_BASE_URL"] };
  }
  return { baseUrl: baseUrl!, apiKey: apiKey! };
}

function timeoutSetting(value: string | undefined, fallback: number): number | null {
  const v = setting(value);
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1000 && n <= 900_000 ? n : null;
}

function planLlm(env: AiEnv): Plan<Llm> {
  const provider = setting(env.LLM_PROVIDER)?.toLowerCase();
  if (!provider || provider === "local" || provider === "none") return { status: "local" };
  const timeoutMs = timeoutSetting(env.LLM_TIMEOUT_MS, AI_DEFAULTS.llmTimeoutMs);
  if (timeoutMs === null) {
    return {
      status: "misconfigured",
      provider,
      problem: "LLM_TIMEOUT_MS must be a whole number of milliseconds between 1000 and 900000",
      settings: ["LLM_TIMEOUT_MS"],
    };
  }
  if (provider === "workers-ai") {
    const ai = env.AI;
    if (!ai) return { status: "misconfigured", provider, problem: "the AI binding is missing", settings: ["AI"] };
    const model = setting(env.LLM_MODEL) ?? AI_DEFAULTS.llmModel;
    const gatewayId = setting(env.AI_GATEWAY_ID);
    return { status: "ready", provider, model, create: () => new WorkersAiLlm(ai, { model, timeoutMs, gatewayId }) };
  }
  if (provider === "openai") {
    const endpoint = openAiEndpoint(env);
    const model = setting(env.OPENAI_MODEL);
    if ("problem" in endpoint) return { status: "misconfigured", provider, ...endpoint };
    if (!model)
      return { status: "misconfigured", provider, problem: "OPENAI_MODEL is not set", settings: ["OPENAI_MODEL"] };
    return { status: "ready", provider, model, create: () => new OpenAiLlm({ ...endpoint, model, timeoutMs }) };
  }
  return {
    status: "misconfigured",
    provider,
    problem: `LLM_PROVIDER must be workers-ai, openai or unset (it is "${provider}")`,
    settings: ["LLM_PROVIDER"],
  };
}

function planSpeechToText(env: AiEnv): Plan<SpeechToText> {
  const provider = setting(env.STT_PROVIDER)?.toLowerCase();
  if (!provider || provider === "none" || provider === "local") return { status: "local" };
  if (provider === "workers-ai") {
    const ai = env.AI;
    if (!ai) return { status: "misconfigured", provider, problem: "the AI binding is missing", settings: ["AI"] };
    const model = setting(env.STT_MODEL) ?? AI_DEFAULTS.sttModel;
    const gatewayId = setting(env.AI_GATEWAY_ID);
    return {
      status: "ready",
      provider,
      model,
      create: () => new WorkersAiSpeechToText(ai, { model, timeoutMs: AI_DEFAULTS.sttTimeoutMs, gatewayId }),
    };
  }
  if (provider === "openai") {
    const endpoint = openAiEndpoint(env);
    if ("problem" in endpoint) return { status: "misconfigured", provider, ...endpoint };
    const model = setting(env.OPENAI_STT_MODEL) ?? AI_DEFAULTS.openaiSttModel;
    return {
      status: "ready",
      provider,
      model,
      create: () => new OpenAiSpeechToText({ ...endpoint, model, timeoutMs: AI_DEFAULTS.sttTimeoutMs }),
    };
  }
  return {
    status: "misconfigured",
    provider,
    problem: `STT_PROVIDER must be workers-ai, openai or unset (it is "${provider}")`,
    settings: ["STT_PROVIDER"],
  };
}

function planDocumentText(env: AiEnv): Plan<DocumentText> {
  const provider = setting(env.DOCUMENT_TEXT_PROVIDER)?.toLowerCase();
  if (!provider || provider === "local") return { status: "local" };
  if (provider === "workers-ai") {
    const ai = env.AI;
    if (!ai) return { status: "misconfigured", provider, problem: "the AI binding is missing", settings: ["AI"] };
    const gatewayId = setting(env.AI_GATEWAY_ID);
    return {
      status: "ready",
      provider,
      create: () => new WorkersAiDocumentText(ai, { timeoutMs: AI_DEFAULTS.documentTimeoutMs, gatewayId }),
    };
  }
  return {
    status: "misconfigured",
    provider,
    problem: `DOCUMENT_TEXT_PROVIDER must be workers-ai or unset (it is "${provider}")`,
    settings: ["DOCUMENT_TEXT_PROVIDER"],
  };
}

const LLM_HOW_TO =
  "set LLM_PROVIDER=workers-ai (with the AI binding) or LLM_PROVIDER=openai with OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL";

/** An `Llm` standing in for a named but unusable provider: every call is 503 `llm_not_configured`. */
class MisconfiguredLlm implements Llm {
  readonly model = "";

  constructor(
    readonly provider: string,
    private readonly problem: string,
    private readonly settings: string[],
  ) {}

  private error() {
    return aiErrors.notConfigured(
      "llm",
      `LLM_PROVIDER is "${this.provider}" but ${this.problem}; ${LLM_HOW_TO}, or unset LLM_PROVIDER to use the local engine.`,
      this.settings,
    );
  }

  complete<T>(_request: LlmRequest<T>): Promise<LlmResponse<T>> {
    return Promise.reject(this.error());
  }

  // biome-ignore lint/correctness/useYield: a stream that fails before its first event
  async *stream<T>(_request: LlmRequest<T>): AsyncGenerator<LlmStreamEvent<T>> {
    throw this.error();
  }
}

/**
 * The configured LLM, or null when none is (LLM_PROVIDER unset): callers then use the local clinical
 * engine. A named provider without its settings yields an `Llm` whose calls fail with 503
 * `llm_not_configured` naming the missing setting.
 */
export function selectLlm(env: AiEnv): Llm | null {
  const plan = planLlm(env);
  if (plan.status === "local") return null;
  if (plan.status === "ready") return plan.create();
  return new MisconfiguredLlm(plan.provider, plan.problem, plan.settings);
}

/** For features that cannot run on the local engine: the LLM, or 503 `llm_not_configured` saying how to get one. */
export function requireLlm(llm: Llm | null, feature: string): Llm {
  if (llm) return llm;
  throw aiErrors.notConfigured("llm", `${feature} needs a language model: ${LLM_HOW_TO}.`, [
    "LLM_PROVIDER",
    "LLM_MODEL",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_MODEL",
  ]);
}

/** With no speech engine configured, transcription is refused with a message naming the settings. */
class UnavailableSpeechToText implements SpeechToText {
  readonly model = null;

  constructor(
    readonly provider: string,
    private readonly problem?: { message: string; settings: string[] },
  ) {}

  transcribe(): Promise<Transcript> {
    if (this.problem) {
      return Promise.reject(
        aiErrors.notConfigured(
          "transcription",
          `STT_PROVIDER is "${this.provider}" but ${this.problem.message}; set STT_PROVIDER=workers-ai (with the AI binding) or STT_PROVIDER=openai with OPENAI_BASE_URL and OPENAI_API_KEY.`,
          this.problem.settings,
        ),
      );
    }
    return Promise.reject(
      aiErrors.unavailable(
        "transcription",
        "none",
        "Transcription needs a speech-to-text engine and Hearth has no local one: set STT_PROVIDER=workers-ai (with the AI binding) or STT_PROVIDER=openai with OPENAI_BASE_URL and OPENAI_API_KEY.",
      ),
    );
  }
}

/** The configured speech-to-text engine; without one, an engine whose calls are 503 `transcription_unavailable`. */
export function selectSpeechToText(env: AiEnv): SpeechToText {
  const plan = planSpeechToText(env);
  if (plan.status === "local") return new UnavailableSpeechToText("none");
  if (plan.status === "ready") return plan.create();
  return new UnavailableSpeechToText(plan.provider, { message: plan.problem, settings: plan.settings });
}

/** A named document engine that cannot run: every call is 503 `document_text_not_configured`. */
class MisconfiguredDocumentText implements DocumentText {
  constructor(
    readonly provider: string,
    private readonly problem: string,
    private readonly settings: string[],
  ) {}

  extract(): Promise<never> {
    return Promise.reject(
      aiErrors.notConfigured(
        "document_text",
        `DOCUMENT_TEXT_PROVIDER is "${this.provider}" but ${this.problem}; add the AI binding or unset DOCUMENT_TEXT_PROVIDER to read documents in the Worker.`,
        this.settings,
      ),
    );
  }
}

/** The configured document engine; the in-Worker engine by default. */
export function selectDocumentText(env: AiEnv): DocumentText {
  const plan = planDocumentText(env);
  if (plan.status === "local") return new LocalDocumentText();
  if (plan.status === "ready") return plan.create();
  return new MisconfiguredDocumentText(plan.provider, plan.problem, plan.settings);
}

const publicPlan = <T>(plan: Plan<T>): PortPlan => {
  if (plan.status !== "ready") return plan;
  const { create: _create, ...rest } = plan;
  return rest;
};

/** What serves each AI port under these settings (no secrets), e.g. for a status endpoint or the admin UI. */
export function describeAiConfig(env: AiEnv): { llm: PortPlan; speechToText: PortPlan; documentText: PortPlan } {
  return {
    llm: publicPlan(planLlm(env)),
    speechToText: publicPlan(planSpeechToText(env)),
    documentText: publicPlan(planDocumentText(env)),
  };
}
