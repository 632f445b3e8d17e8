import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmReranker } from "../../src/features/extract/llm-reranker";
import { compileDictionary } from "../../src/features/nlp/engine";
import type { Llm, LlmRequest, LlmResponse, LlmStreamEvent } from "../../src/ports/llm";
import { OpenAiLlm } from "../../src/ports/openai/llm";
import { createOrg, failure, type TestOrg } from "../harness";
import { FakeAi, type RunCall } from "../ports/fake-ai";
import { openAiStubUrl } from "../ports/stub-url";
import { STUB_API_KEY } from "../setup/openai-stub-server";
import { codesOf, drainQueue, type ErrorBody, extract, uploadSystem } from "./helpers";

afterAll(drainQueue);

const SNOMED = { name: "SNOMED_CT_US_LITE", version: "20240901" };
const TEXT = "He feels hot and clammy. Chest pain and cough since Monday.";

/** Records every request and answers through a real `Llm` (the OpenAI stub server) or a function. */
class RecordingLlm implements Llm {
  readonly provider = "test";
  readonly model = "recording";
  readonly requests: LlmRequest[] = [];

  constructor(private readonly answer: (request: LlmRequest) => Promise<unknown>) {}

  async complete<T>(request: LlmRequest<T>): Promise<LlmResponse<T>> {
    this.requests.push(request as LlmRequest);
    const output = (await this.answer(request as LlmRequest)) as T;
    return {
      text: JSON.stringify(output),
      toolCalls: [],
      output,
      finishReason: "stop",
      usage: {},
      provider: "test",
      model: "recording",
    };
  }

  // biome-ignore lint/correctness/useYield: not used by the reranker
  async *stream<T>(_request: LlmRequest<T>): AsyncGenerator<LlmStreamEvent<T>> {
    throw new Error("not used");
  }
}

const stubLlm = (model: string) =>
  new OpenAiLlm({ baseUrl: openAiStubUrl(), apiKey: STUB_API_KEY, model, timeoutMs: 10_000 });

const icd = compileDictionary(
  [
    { code: "R07.9", display: "Chest pain, unspecified" },
    { code: "R05.9", display: "Cough, unspecified" },
  ],
  { system: "ICD-10-CM", version: "2025" },
);

const candidates = [
  { code: "R07.9", description: "Chest pain, unspecified", score: 0.9, mentions: ["chest pain"] },
  { code: "R05.9", description: "Cough, unspecified", score: 0.9, mentions: ["cough"] },
];

describe("LLM candidate reranker (over the OpenAI-compatible stub server)", () => {
  it("asks for verdicts constrained to the candidate codes, with JSON-schema output", async () => {
    const stub = stubLlm("stub-chat");
    const llm = new RecordingLlm((r) => stub.complete(r).then((x) => x.output));
    const reranker = createLlmReranker(llm, { dict: icd, proposeCodes: false, budgetMs: 60_000 });
    const verdicts = await reranker.validate({
      chunk: "Chest pain and cough.",
      method: "simple",
      system: "ICD-10-CM",
      candidates,
    });
    // The stub answers with the first enum value: the model can only name a candidate.
    expect(verdicts).toEqual([{ code: "R07.9", valid: true, reason: expect.any(String) }]);
    expect(verdicts[0]!.reason?.length).toBeLessThanOrEqual(300);
    const request = llm.requests[0]!;
    expect(request).toMatchObject({ temperature: 0, output: { name: "code_verdicts" } });
    const prompt = JSON.parse((request.messages[1] as { content: string }).content);
    expect(prompt).toMatchObject({ excerpt: "Chest pain and cough.", code_system: "ICD-10-CM" });
    expect(prompt.candidates.map((c: { code: string }) => c.code)).toEqual(["R07.9", "R05.9"]);
    expect(reranker.propose).toBeUndefined();
    expect(await reranker.relevance!({ chunk: "Chest pain.", extractionContext: "cardiac findings" })).toBe(1);
  });

  it("maps proposed codes onto the system's spelling and passes unknown codes on for the engine to drop", async () => {
    const llm = new RecordingLlm(async () => ({
      codes: [
        { code: "r079", text: "chest pain", reason: "stated" },
        { code: "Z99.999", text: "x", reason: "invented" },
        { code: "R05.9", text: "cough", reason: "stated" },
      ],
    }));
    const reranker = createLlmReranker(llm, { dict: icd, proposeCodes: true, budgetMs: 60_000 });
    const proposals = await reranker.propose!({ chunk: "Chest pain.", system: "ICD-10-CM", maxCodes: 2 });
    expect(proposals).toEqual([
      { code: "R07.9", text: "chest pain", reason: "stated" },
      { code: "Z99.999", text: "x", reason: "invented" },
    ]);
  });

  it("fails with 504 llm_timeout once the request's model budget is spent", async () => {
    let clock = 0;
    const llm = new RecordingLlm(async () => {
      clock += 5_000;
      return { relevance: 0.5, reason: "" };
    });
    const reranker = createLlmReranker(llm, { dict: icd, proposeCodes: false, budgetMs: 8_000, now: () => clock });
    await reranker.relevance!({ chunk: "a", extractionContext: "b" });
    await reranker.relevance!({ chunk: "a", extractionContext: "b" });
    const e = await failure(reranker.relevance!({ chunk: "a", extractionContext: "b" }));
    expect([e.status, e.code]).toEqual([504, "llm_timeout"]);
    expect(llm.requests).toHaveLength(2);
  });

  it("surfaces the stub's upstream failures with the port's codes", async () => {
    const reranker = (model: string) =>
      createLlmReranker(stubLlm(model), { dict: icd, proposeCodes: false, budgetMs: 60_000 });
    const input = { chunk: "Chest pain.", method: "simple" as const, system: "ICD-10-CM", candidates };
    expect((await failure(reranker("stub-status-503").validate(input))).status).toBe(503);
    expect((await failure(reranker("stub-bad-json").validate(input))).code).toBe("llm_invalid_output");
  });
});

/** A Workers AI binding that answers the reranker's three kinds of requests from their JSON schema. */
function workersAi(options: { failWith?: string } = {}) {
  return new FakeAi((call: RunCall) => {
    if (options.failWith) throw new Error(options.failWith);
    const schema = (call.inputs.response_format as { json_schema: { properties: Record<string, unknown> } })
      .json_schema;
    const messages = call.inputs.messages as Array<{ role: string; content: string }>;
    const prompt = JSON.parse(messages[messages.length - 1]!.content) as {
      excerpt: string;
      candidates?: Array<{ code: string }>;
    };
    if ("verdicts" in schema.properties) {
      return {
        response: {
          verdicts: prompt.candidates!.map((c) => ({
            code: c.code,
            valid: c.code !== "49727002",
            reason: c.code === "49727002" ? "cough is not supported" : "stated",
          })),
        },
      };
    }
    if ("relevance" in schema.properties) return { response: { relevance: 0.9, reason: "relevant" } };
    return {
      response: {
        codes: prompt.excerpt.includes("hot and clammy")
          ? [
              { code: "386661006", text: "hot and clammy", reason: "feels feverish" },
              { code: "999999999", text: "clammy", reason: "invented" },
            ]
          : [],
      },
    };
  });
}

const kindOf = (call: RunCall) =>
  Object.keys(
    (call.inputs.response_format as { json_schema: { properties: Record<string, unknown> } }).json_schema.properties,
  )[0];

describe("POST /construe/extract with a model configured", () => {
  let a: TestOrg;
  beforeAll(async () => {
    a = await createOrg("extract-assisted");
  });

  it("uses the model for validation and proposals; every code it returns is checked against the system", async () => {
    const ai = workersAi();
    const r = await extract(
      a,
      { text: TEXT, system: SNOMED, config: { include_invalid: true, include_citations: true } },
      { LLM_PROVIDER: "workers-ai", AI: ai },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("X-Hearth-Engine")).toBe(
      "assisted; provider=workers-ai; model=@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    );
    expect(r.headers.get("X-Hearth-Fallback")).toBeNull();
    const byCode = Object.fromEntries(r.body.codes.map((c) => [c.code, c]));
    expect(byCode["386661006"]).toMatchObject({
      description: "Fever",
      valid: true,
      citations: [{ text: "hot and clammy", begin_offset: 9, end_offset: 23 }],
    });
    expect(byCode["999999999"]).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/not in SNOMED_CT_US_LITE/),
    });
    expect(byCode["29857009"]).toMatchObject({ valid: true });
    expect(byCode["49727002"]).toMatchObject({ valid: false, reason: expect.stringMatching(/rejected by model/) });
    const kinds = ai.calls.map(kindOf);
    expect(kinds.filter((k) => k === "codes")).toHaveLength(2); // one proposal request per sentence
    expect(kinds.filter((k) => k === "verdicts")).toHaveLength(2);

    const valid = await extract(a, { text: TEXT, system: SNOMED }, { LLM_PROVIDER: "workers-ai", AI: workersAi() });
    expect(codesOf(valid)).toEqual(["386661006", "29857009"]);
  });

  it("consistency_effort repeats validation; custom systems get no proposals; LLM chunking still falls back", async () => {
    await uploadSystem(a, "ASSISTED_CODES", "1", [
      { code: "C-1", description: "Chest pain" },
      { code: "C-2", description: "Cough" },
    ]);
    const ai = workersAi();
    const r = await extract(
      a,
      {
        text: TEXT,
        system: { name: "ASSISTED_CODES" },
        config: { consistency_effort: "medium", chunking_method: "paragraphs" },
      },
      { LLM_PROVIDER: "workers-ai", AI: ai },
    );
    expect(r.status).toBe(200);
    expect(codesOf(r)).toEqual(["C-1", "C-2"]);
    const kinds = ai.calls.map(kindOf);
    expect(kinds).toEqual(["verdicts", "verdicts", "verdicts"]); // one paragraph, three rounds, no proposals
    expect(r.headers.get("X-Hearth-Fallback")).toBe("assisted; chunking=paragraphs(deterministic:paragraph)");
  });

  it("uses model relevance for min_context_relevance", async () => {
    const ai = workersAi();
    const r = await extract(
      a,
      {
        text: TEXT,
        system: SNOMED,
        config: { extraction_context: "acute symptoms", min_context_relevance: 0.95, validation_method: "none" },
      },
      { LLM_PROVIDER: "workers-ai", AI: ai },
    );
    expect(r.status).toBe(200);
    expect(r.body.codes).toEqual([]); // the fake scores every chunk 0.9
    expect(ai.calls.map(kindOf)).toEqual(["relevance", "relevance"]);
  });

  it("maps model failures to 503/504 (Workers AI and the OpenAI-compatible endpoint)", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [
        { LLM_PROVIDER: "workers-ai", AI: workersAi({ failWith: "AiError: 3040: Capacity temporarily exceeded" }) },
        503,
        "llm_unavailable",
      ],
      [
        { LLM_PROVIDER: "workers-ai", AI: workersAi({ failWith: "AiError: 3007: Request timeout" }) },
        504,
        "llm_timeout",
      ],
      [
        { LLM_PROVIDER: "workers-ai", AI: workersAi({ failWith: "AiError: 5007: No such model" }) },
        503,
        "llm_upstream_error",
      ],
      [{ LLM_PROVIDER: "openai" }, 503, "llm_not_configured"],
    ];
    const openai = (model: string, extra: Record<string, unknown> = {}) => ({
      LLM_PROVIDER: "openai",
      OPENAI_BASE_URL: openAiStubUrl(),
      OPENAI_API_KEY: STUB_API_KEY,
      OPENAI_MODEL: model,
      ...extra,
    });
    cases.push(
      [openai("stub-status-503"), 503, "llm_unavailable"],
      [openai("stub-bad-json"), 503, "llm_invalid_output"],
      [openai("stub-slow", { LLM_TIMEOUT_MS: "1000" }), 504, "llm_timeout"],
    );
    for (const [envOverrides, status, code] of cases) {
      const r = await extract<ErrorBody>(a, { text: TEXT, system: SNOMED }, envOverrides);
      expect([r.status, r.body.error.code], code).toEqual([status, code]);
      expect(r.body.success).toBe(false);
    }
  });

  it("works end to end against the OpenAI-compatible stub; invented codes never reach the answer", async () => {
    const r = await extract(
      a,
      { text: TEXT, system: SNOMED },
      {
        LLM_PROVIDER: "openai",
        OPENAI_BASE_URL: openAiStubUrl(),
        OPENAI_API_KEY: STUB_API_KEY,
        OPENAI_MODEL: "stub-chat",
      },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("X-Hearth-Engine")).toBe("assisted; provider=openai; model=stub-chat");
    // The stub proposes its prompt as a "code" (not a SNOMED code: dropped) and validates the first candidate.
    expect(codesOf(r)).toEqual(["29857009", "49727002"]);
  });
});
