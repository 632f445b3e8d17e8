import { drizzle } from "drizzle-orm/d1";
import * as schema from "./db/schema";
import { selectDocumentText, selectLlm, selectSpeechToText } from "./ports/ai-config";
import type { DocumentText } from "./ports/document-text";
import type { Llm } from "./ports/llm";
import { durableObjectRateLimiter, type RateLimiterPort } from "./ports/rate-limiter";
import type { SpeechToText } from "./ports/speech-to-text";

export type Orm = ReturnType<typeof drizzle<typeof schema>>;

/**
 * The per-request service container: every external dependency a domain verb may touch, chosen from
 * the bindings present (docs/architecture.md, "Ports and adapters"). Built once per request by the
 * `services` middleware; domain code receives it through its `ctx`.
 */
export interface Services {
  env: Env;
  db: D1Database;
  orm: Orm;
  blobs: R2Bucket;
  jobs: Queue;
  rateLimiter: RateLimiterPort;
  /** null = no LLM configured: features use the local clinical engine. */
  llm: Llm | null;
  speechToText: SpeechToText;
  documentText: DocumentText;
}

/** `db` defaults to the binding; the request context passes a timed wrapper of it (Server-Timing). */
export function createServices(env: Env, db: D1Database = env.DB): Services {
  return {
    env,
    db,
    orm: drizzle(db, { schema }),
    blobs: env.BLOBS,
    jobs: env.JOBS,
    rateLimiter: durableObjectRateLimiter(env.RATE_LIMITER),
    llm: selectLlm(env),
    speechToText: selectSpeechToText(env),
    documentText: selectDocumentText(env),
  };
}
