import type { RouteStore } from "./context";
import type { Principal } from "./features/auth/principal";
import type { PrefetchedRead } from "./features/fhir/read-prefetch";
import type { PrefetchedLookup } from "./features/terminology/get-code";
import type { CredentialRider } from "./middleware/authenticate";
import type { ServerTiming } from "./platform/server-timing";
import type { Services } from "./services";

/**
 * Secrets (HEARTH_ADMIN_TOKEN, TOKEN_SIGNING_KEYS, SECRETS_ENCRYPTION_KEY) are typed by `npm run types`
 * from .dev.vars.example. Optional settings that have no default anywhere are declared here.
 */
declare global {
  interface Env {
    /** OpenAI-compatible LLM endpoint (optionally through AI Gateway) and its key. */
    OPENAI_BASE_URL?: string;
    OPENAI_API_KEY?: string;
    OPENAI_MODEL?: string;
    OPENAI_STT_MODEL?: string;
    LLM_MODEL?: string;
    LLM_TIMEOUT_MS?: string;
    AI_GATEWAY_ID?: string;
    STT_PROVIDER?: string;
    STT_MODEL?: string;
    DOCUMENT_TEXT_PROVIDER?: string;
    /** Largest batch/transaction Bundle accepted (entries); default 10,000. */
    FHIR_MAX_BUNDLE_ENTRIES?: string;
  }
}

/** The wire shape errors take, decided by route group (docs/architecture.md, "Errors"). */
export type ErrorShape = "platform" | "fhir" | "ingestion" | "oauth" | "legacy-auth";

export interface AppVariables {
  requestId: string;
  services: Services;
  principal: Principal;
  /** The route's store, read with the credential (authenticate). */
  routeStore?: RouteStore;
  /** Statements to run in the credential check's D1 round trip (authenticate). */
  credentialRiders?: CredentialRider[];
  /** FHIR read: the resource row, fetched with the credential check (read-prefetch.ts). */
  prefetchedRead?: PrefetchedRead;
  /** Terminology code lookup: its batch, run with the credential check (terminology/code-prefetch.ts). */
  prefetchedLookup?: PrefetchedLookup;
  /** Server-Timing steps of this request (request-context sets the header). */
  timing: ServerTiming;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
