import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/platform/errors";
import { describeAiConfig, requireLlm, selectDocumentText, selectLlm } from "../../src/ports/ai-config";
import { LocalDocumentText } from "../../src/ports/local-document-text/local-document-text";
import { OpenAiLlm } from "../../src/ports/openai/llm";
import { WorkersAiDocumentText } from "../../src/ports/workers-ai/document-text";
import { WorkersAiLlm } from "../../src/ports/workers-ai/llm";
import { failure } from "../harness";
import { FakeAi } from "./fake-ai";

const openaiSettings = {
  OPENAI_BASE_URL: "https://gateway.ai.cloudflare.com/v1/acct/gw/openai",
  OPENAI_API_KEY: "sk-test",
};

describe("selectLlm", () => {
  it("is null without LLM_PROVIDER (the local engine), including in the test worker's own env", () => {
    expect(selectLlm({})).toBeNull();
    expect(selectLlm({ LLM_PROVIDER: "local" })).toBeNull();
    expect(selectLlm({ LLM_PROVIDER: "  " })).toBeNull();
    expect(selectLlm(env)).toBeNull();
  });

  it("builds Workers AI with the default or configured model", () => {
    const ai = new FakeAi();
    const llm = selectLlm({ LLM_PROVIDER: "workers-ai", AI: ai });
    expect(llm).toBeInstanceOf(WorkersAiLlm);
    expect(llm?.model).toBe("@cf/meta/llama-3.3-70b-instruct-fp8-fast");
    expect(selectLlm({ LLM_PROVIDER: "Workers-AI", LLM_MODEL: "@cf/openai/gpt-oss-120b", AI: ai })?.model).toBe(
      "@cf/openai/gpt-oss-120b",
    );
  });

  it("passes the gateway and the timeout to the Workers AI calls", async () => {
    const ai = new FakeAi(() => ({ response: "x" }));
    const llm = selectLlm({ LLM_PROVIDER: "workers-ai", AI: ai, AI_GATEWAY_ID: "gw-1", LLM_TIMEOUT_MS: "20000" });
    await llm?.complete({ messages: [{ role: "user", content: "a" }], maxTokens: 5 });
    expect(ai.calls[0]!.options?.gateway).toEqual({ id: "gw-1" });
  });

  it("builds the OpenAI-compatible adapter from the three settings", () => {
    const llm = selectLlm({ LLM_PROVIDER: "openai", ...openaiSettings, OPENAI_MODEL: "gpt-4o-mini" });
    expect(llm).toBeInstanceOf(OpenAiLlm);
    expect([llm?.provider, llm?.model]).toEqual(["openai", "gpt-4o-mini"]);
  });

  const misconfigured: [string, Record<string, string>, string, string[]][] = [
    ["workers-ai without the binding", { LLM_PROVIDER: "workers-ai" }, "the AI binding is missing", ["AI"]],
    [
      "openai without a key",
      { LLM_PROVIDER: "openai", OPENAI_BASE_URL: "https://x/v1", OPENAI_MODEL: "m" },
      "OPENAI_API_KEY is not set",
      ["OPENAI_API_KEY"],
    ],
    [
      "openai without anything",
      { LLM_PROVIDER: "openai" },
      "OPENAI_BASE_URL and OPENAI_API_KEY are not set",
      ["OPENAI_BASE_URL", "OPENAI_API_KEY"],
    ],
    [
      "openai without a model",
      { LLM_PROVIDER: "openai", ...openaiSettings },
      "OPENAI_MODEL is not set",
      ["OPENAI_MODEL"],
    ],
    [
      "a base URL that is not http(s)",
      { LLM_PROVIDER: "openai", ...openaiSettings, OPENAI_BASE_URL: "ftp://x", OPENAI_MODEL: "m" },
      "OPENAI_BASE_URL must be an http(s) URL",
      ["OPENAI_BASE_URL"],
    ],
    [
      "an unknown provider",
      { LLM_PROVIDER: "anthropic" },
      'LLM_PROVIDER must be workers-ai, openai or unset (it is "anthropic")',
      ["LLM_PROVIDER"],
    ],
    ["a bad timeout", { LLM_PROVIDER: "openai", LLM_TIMEOUT_MS: "soon" }, "LLM_TIMEOUT_MS must be", ["LLM_TIMEOUT_MS"]],
  ];
  for (const [name, settings, problem, named] of misconfigured) {
    it(`fails every call with 503 llm_not_configured for ${name}`, async () => {
      const llm = selectLlm(settings);
      expect(llm).not.toBeNull();
      const e = await failure(llm!.complete({ messages: [{ role: "user", content: "a" }], maxTokens: 5 }));
      expect([e.status, e.code]).toEqual([503, "llm_not_configured"]);
      expect(e.message).toContain(problem);
      expect(e.details).toEqual({ settings: named });
      const streamed = llm!
        .stream({ messages: [{ role: "user", content: "a" }], maxTokens: 5 })
        [Symbol.asyncIterator]();
      const e2 = await failure(streamed.next());
      expect(e2.code).toBe("llm_not_configured");
    });
  }
});

describe("requireLlm", () => {
  it("returns the LLM, or says how to configure one", () => {
    const llm = selectLlm({ LLM_PROVIDER: "workers-ai", AI: new FakeAi() })!;
    expect(requireLlm(llm, "Cohort building")).toBe(llm);
    let error: unknown;
    try {
      requireLlm(null, "Cohort building");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect([e.status, e.code]).toEqual([503, "llm_not_configured"]);
    expect(e.message).toBe(
      "Cohort building needs a language model: set LLM_PROVIDER=workers-ai (with the AI binding) or LLM_PROVIDER=openai with OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL.",
    );
  });
});

describe("selectDocumentText", () => {
  it("is the in-Worker engine by default and Workers AI when asked", async () => {
    expect(selectDocumentText({})).toBeInstanceOf(LocalDocumentText);
    expect(selectDocumentText({ DOCUMENT_TEXT_PROVIDER: "workers-ai", AI: new FakeAi() })).toBeInstanceOf(
      WorkersAiDocumentText,
    );
    const broken = selectDocumentText({ DOCUMENT_TEXT_PROVIDER: "workers-ai" });
    const e = await failure(broken.extract({ bytes: new Uint8Array([1]), mediaType: "text/plain" }));
    expect([e.status, e.code]).toEqual([503, "document_text_not_configured"]);
  });
});

describe("describeAiConfig", () => {
  it("summarises what serves each port, without secrets", () => {
    const summary = describeAiConfig({
      LLM_PROVIDER: "openai",
      ...openaiSettings,
      OPENAI_MODEL: "gpt-4o-mini",
      STT_PROVIDER: "workers-ai",
    });
    expect(summary).toEqual({
      llm: { status: "ready", provider: "openai", model: "gpt-4o-mini" },
      speechToText: {
        status: "misconfigured",
        provider: "workers-ai",
        problem: "the AI binding is missing",
        settings: ["AI"],
      },
      documentText: { status: "local" },
    });
    expect(JSON.stringify(summary)).not.toContain("sk-test");
  });
});
