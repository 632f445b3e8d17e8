import type { AppError } from "../../platform/errors";
import { type AiService, aiErrors, quoteUpstream } from "../ai-common/errors";

/**
 * Maps a failure of the `AI` binding to the port's error vocabulary. The binding throws plain Errors
 * whose message carries Workers AI's internal code (developers.cloudflare.com/workers-ai/platform/errors:
 * 3040 out of capacity, 3036 account limited, 3007 timeout, 3006 request too large, 5007/3042 no such
 * model, 3023/3041/5016/5018 account not allowed), so the code and the wording are both matched.
 */
export function mapWorkersAiError(
  e: unknown,
  context: { service: AiService; model: string; modelSetting: string },
): AppError {
  const provider = "workers-ai";
  const raw = e instanceof Error ? e.message : String(e);
  const message = quoteUpstream(raw);
  const code = /\b([35]\d{3})\b/.exec(raw)?.[1];
  const { service } = context;

  if (/needs to be run remotely|not supported locally/i.test(raw)) {
    return aiErrors.unavailable(
      service,
      provider,
      "The AI binding only works when deployed (wrangler has no local Workers AI); unset the provider setting to use the local engine.",
    );
  }
  if (code === "3040" || /capacity|overloaded|too many requests|rate limit/i.test(raw)) {
    return aiErrors.unavailable(service, provider, `Workers AI is out of capacity right now: ${message}`);
  }
  if (code === "3036" || /daily free allocation|neurons/i.test(raw)) {
    return aiErrors.unavailable(service, provider, `The Workers AI account has used up its allocation: ${message}`);
  }
  if (code === "3007" || code === "3008" || /timed? ?out/i.test(raw)) {
    return aiErrors.upstreamTimeout(service, provider, `Workers AI timed out: ${message}`);
  }
  if (code === "3006" || /too large|context (window|length)|maximum context|too many tokens/i.test(raw)) {
    return aiErrors.inputTooLarge(service, provider, `The input is too large for ${context.model}: ${message}`);
  }
  if (code === "5007" || code === "3042" || /no such model|invalid model/i.test(raw)) {
    return aiErrors.upstream(
      service,
      provider,
      `Workers AI has no model "${context.model}"; set ${context.modelSetting} to a model of the right task: ${message}`,
      { model: context.model },
    );
  }
  if (["3023", "3041", "5016", "5018"].includes(code ?? "") || /not allowed|agree|blocked/i.test(raw)) {
    return aiErrors.upstream(service, provider, `Workers AI refused the account for ${context.model}: ${message}`, {
      model: context.model,
    });
  }
  return aiErrors.upstream(service, provider, `Workers AI failed: ${message}`, { model: context.model });
}

/** Workers AI's answer when a model cannot produce output for the requested `response_format` schema. */
export const isJsonModeUnmet = (e: unknown): boolean =>
  /json mode couldn.?t be met|json schema mode is not supported|response_format/i.test(
    e instanceof Error ? e.message : String(e),
  );
