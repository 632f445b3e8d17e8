import { errors } from "../../platform/errors";
import { parseScopes } from "../auth/scopes";

/** Rejects unknown scopes up front so a typo never silently grants less (or more) than intended. */
export function validScopes(scopes: string[]): string[] {
  const { scopes: parsed, invalid } = parseScopes(scopes);
  if (invalid.length) {
    throw errors.invalid(`Unknown or malformed scopes: ${invalid.join(", ")}`, {
      code: "invalid_scope",
      details: { invalid },
    });
  }
  return [...parsed.raw];
}
