import { ALL_PLATFORM_SCOPES } from "./scopes";

/**
 * SMART App Launch 2.0 §"Conformance" discovery document. Hearth supports backend services with
 * client-confidential-symmetric authentication (client id + secret), SMART v1 and v2 permissions.
 */
export function smartConfiguration(origin: string) {
  return {
    issuer: origin,
    token_endpoint: `${origin}/v2/auth/token`,
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    grant_types_supported: ["client_credentials"],
    scopes_supported: [
      "system/*.read",
      "system/*.write",
      "system/*.*",
      "system/*.cruds",
      "system/*.rs",
      "user/*.cruds",
      "patient/*.cruds",
      "patient/*.rs",
      ...ALL_PLATFORM_SCOPES,
    ],
    response_types_supported: ["token"],
    capabilities: ["client-confidential-symmetric", "permission-v1", "permission-v2", "context-standalone-patient"],
    code_challenge_methods_supported: [],
  };
}
