import type { ScopeSet } from "./scopes";

/** Who is calling: resolved once per request by the authenticate middleware. */
export interface Principal {
  orgId: string;
  /** The API key id or OAuth client id behind the request (rate limits and audit use it). */
  credentialId: string;
  credentialKind: "api_key" | "access_token";
  clientId: string | null;
  scopes: ScopeSet;
  /** A store's own key opens that store only (seed 000 `apiKey`). */
  storeId: string | null;
  /** SMART patient launch context: the credential sees only this patient's compartment. */
  patientId: string | null;
  /** Seed 001: data of a patient is visible only while that patient has an active permit Consent. */
  consentRequired: boolean;
}
