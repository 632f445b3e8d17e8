import { z } from "zod";
import { aiErrors } from "../../ports/ai-common/errors";
import type { Llm, LlmRequest } from "../../ports/llm";
import type { CandidateReranker, CompiledDictionary, RerankCandidate } from "../nlp/engine";
import { codeKey } from "../terminology/text";

/**
 * The engine's `CandidateReranker` over the `Llm` port (JSON-schema output). The model judges the
 * dictionary's candidates, scores chunk relevance and, for builtin systems it may know, proposes
 * codes the matcher missed. What it returns is never trusted as is: verdicts are constrained to the
 * candidate codes (an enum in the schema), proposals are mapped onto the code system's own codes
 * (case- and dot-insensitively) and the engine drops, or with include_invalid flags, any code the
 * system does not have. Failures propagate with the port's codes (timeout 504, unavailable 503).
 */
export interface LlmRerankerOptions {
  dict: CompiledDictionary;
  /** Ask the model for codes beyond the dictionary's candidates (builtin systems only: a model cannot know custom codes). */
  proposeCodes: boolean;
  /** Wall-clock budget for all calls of the request, from the first call. */
  budgetMs: number;
  now?: () => number;
}

const SYSTEM_PROMPT =
  "You are a clinical coding assistant. You read an excerpt of a clinical note and judge medical codes against it. " +
  "A code applies only to findings, diagnoses, procedures or medications of the patient that the excerpt states: not negated, " +
  "not hypothetical, not a family member's. Answer only with JSON matching the requested schema.";

// Lengths are not constrained in the schemas (models and providers enforce maxLength unevenly);
// reasons are cut to REASON_MAX characters on the way out instead.
const REASON_MAX = 300;
const cut = (s: string) => (s.length > REASON_MAX ? `${s.slice(0, REASON_MAX - 1)}…` : s);

const RelevanceSchema = z.object({
  relevance: z.number().min(0).max(1),
  reason: z.string(),
});

const ProposalSchema = z.object({
  codes: z.array(z.object({ code: z.string(), text: z.string(), reason: z.string() })),
});

/** Code-key (uppercase, no dots) → the system's spelling, built once per dictionary. */
const keyMaps = new WeakMap<CompiledDictionary, Map<string, string>>();

function systemCode(dict: CompiledDictionary, code: string): string | null {
  if (dict.has(code)) return code;
  let map = keyMaps.get(dict);
  if (!map) {
    map = new Map();
    for (const c of dict.data.codes) if (!map.has(codeKey(c))) map.set(codeKey(c), c);
    keyMaps.set(dict, map);
  }
  return map.get(codeKey(code)) ?? null;
}

const describeCandidates = (candidates: RerankCandidate[]) =>
  candidates.map((c) => ({ code: c.code, description: c.description, mentions: c.mentions }));

export function createLlmReranker(llm: Llm, options: LlmRerankerOptions): CandidateReranker {
  const now = options.now ?? Date.now;
  let startedAt: number | null = null;

  async function complete<T>(request: LlmRequest<T>): Promise<T> {
    startedAt ??= now();
    const left = options.budgetMs - (now() - startedAt);
    if (left <= 0) throw aiErrors.timeout("llm", llm.provider, options.budgetMs);
    // Never wait past the request's budget; within it, the port's own deadline (LLM_TIMEOUT_MS) applies.
    const response = await llm.complete({ ...request, ...(left < 60_000 ? { timeoutMs: Math.max(1000, left) } : {}) });
    return response.output as T;
  }

  const reranker: CandidateReranker = {
    async validate(input) {
      const codes = input.candidates.map((c) => c.code);
      if (codes.length === 0) return [];
      const schema = z.object({
        verdicts: z.array(
          z.object({
            code: z.enum(codes as [string, ...string[]]),
            valid: z.boolean(),
            reason: z.string(),
          }),
        ),
      });
      const task =
        input.method === "medication_search"
          ? "For each candidate medication code, decide whether the patient takes that medication according to the excerpt; a strength or dose form in the code's description must agree with the excerpt."
          : "For each candidate code, decide whether the excerpt supports assigning it to the patient.";
      const output = await complete({
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          {
            role: "user",
            content: JSON.stringify({
              task,
              code_system: input.system,
              extraction_goal: input.extractionContext ?? null,
              excerpt: input.chunk,
              candidates: describeCandidates(input.candidates),
            }),
          },
        ],
        output: { name: "code_verdicts", schema },
        maxTokens: Math.min(4000, 100 + 80 * codes.length),
        temperature: 0,
      });
      return output.verdicts.map((v) => ({ ...v, reason: cut(v.reason) }));
    },

    async relevance(input) {
      const output = await complete({
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          {
            role: "user",
            content: JSON.stringify({
              task: "Rate from 0 to 1 how relevant the excerpt is to the extraction goal (1 = clearly needed for the goal).",
              extraction_goal: input.extractionContext,
              excerpt: input.chunk,
            }),
          },
        ],
        output: { name: "chunk_relevance", schema: RelevanceSchema },
        maxTokens: 200,
        temperature: 0,
      });
      return output.relevance;
    },
  };

  if (options.proposeCodes) {
    reranker.propose = async (input) => {
      const output = await complete({
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          {
            role: "user",
            content: JSON.stringify({
              task: `List up to ${input.maxCodes} codes of ${input.system ?? "the code system"} that the excerpt supports for the patient. For each, quote the exact words of the excerpt it rests on in "text".`,
              code_system: input.system,
              extraction_goal: input.extractionContext ?? null,
              excerpt: input.chunk,
            }),
          },
        ],
        output: { name: "code_proposals", schema: ProposalSchema },
        maxTokens: Math.min(4000, 100 + 120 * input.maxCodes),
        temperature: 0,
      });
      // Unknown codes are passed on unchanged: the engine drops them (or reports them invalid).
      return output.codes.slice(0, input.maxCodes).map((p) => ({
        code: systemCode(options.dict, p.code) ?? p.code,
        text: p.text,
        reason: cut(p.reason),
      }));
    };
  }
  return reranker;
}
