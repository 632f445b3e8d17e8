/**
 * Shared guards of both patch formats: the error shapes, the limits that keep hostile patches bounded,
 * a bounded JSON clone, and the "identity cannot change" rule.
 *
 * Error split (FHIR R4 http.html#patch): a patch document that is malformed on its own is 400 (`invalid`);
 * a well-formed patch that cannot be applied to *this* resource is 422 (`unprocessable`, "the patch could
 * not be applied"). Changing the resource's `resourceType` or `id` is a 400: PATCH updates the resource at
 * its URL and may not turn it into another resource (FHIR R4 http.html#update: the id in the body must
 * match the URL).
 */
import { AppError } from "../../../platform/errors";

export type JsonObject = Record<string, unknown>;

/** Operations per patch document; a PATCH is an edit, not a bulk load. */
export const MAX_OPERATIONS = 1000;
/** Nesting depth of values, of the patched resource, and of JSON pointers (the validator's own limit). */
export const MAX_DEPTH = 100;
/** Length of one FHIRPath expression or JSON pointer. */
export const MAX_PATH_LENGTH = 2048;
/** JSON nodes (objects, arrays, scalars) the patched resource may hold; stops `copy` doubling attacks. */
export const MAX_NODES = 250_000;

/**
 * Keys that reach `Object.prototype` when used as property names. None is a FHIR element name, so a
 * patch naming one is either a mistake or a prototype-pollution attempt: rejected as malformed.
 */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype"]);

export const isForbiddenKey = (key: string): boolean => FORBIDDEN_KEYS.has(key);

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function patchInvalid(message: string, expression?: string): AppError {
  return new AppError("invalid", message, {
    code: "invalid_patch",
    issues: [
      { severity: "error", code: "invalid", diagnostics: message, expression: expression ? [expression] : undefined },
    ],
  });
}

export function patchUnprocessable(message: string, expression?: string): AppError {
  return new AppError("unprocessable", message, {
    code: "patch_not_applicable",
    issues: [
      {
        severity: "error",
        code: "processing",
        diagnostics: message,
        expression: expression ? [expression] : undefined,
      },
    ],
  });
}

export function tooManyOperations(count: number): AppError {
  return new AppError("too_large", `Patch has ${count} operations; at most ${MAX_OPERATIONS} are allowed`, {
    code: "patch_too_large",
  });
}

/**
 * Deep copy of a JSON value. Throws `invalid` on nesting deeper than MAX_DEPTH or on a forbidden key, so
 * neither the clone nor later writes into it can touch a prototype. `where` names the value in messages.
 */
export function cloneJson(value: unknown, where: string, depth = 0): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) throw patchInvalid(`${where} nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item) => cloneJson(item, where, depth + 1));
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    if (isForbiddenKey(key)) throw patchInvalid(`${where} contains the forbidden property name '${key}'`);
    out[key] = cloneJson((value as JsonObject)[key], where, depth + 1);
  }
  return out;
}

/**
 * Counts the JSON nodes of `value` and checks its depth, stopping as soon as a limit is passed.
 * Returns the node count; throws `unprocessable` naming `what` when a limit is exceeded.
 */
export function measureJson(value: unknown, what: string, budget = MAX_NODES): number {
  let nodes = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    nodes++;
    if (nodes > budget) throw patchUnprocessable(`${what} would exceed ${MAX_NODES} JSON nodes`);
    if (typeof v !== "object" || v === null) continue;
    if (depth >= MAX_DEPTH) throw patchUnprocessable(`${what} would nest deeper than ${MAX_DEPTH} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return nodes;
}

interface Identity {
  resourceType: unknown;
  id: unknown;
}

export const identityOf = (resource: JsonObject): Identity => ({
  resourceType: resource.resourceType,
  id: resource.id,
});

/** Rejects an operation that changed the resource type or id (see the header). */
export function assertIdentityKept(before: Identity, after: unknown, operation: string): void {
  if (!isJsonObject(after)) {
    throw patchUnprocessable(`${operation} would replace the resource with a non-object value`);
  }
  const now = identityOf(after);
  if (now.resourceType !== before.resourceType) {
    throw new AppError("invalid", `${operation} would change resourceType; a patch cannot change the resource type`, {
      code: "patch_changes_identity",
    });
  }
  if (now.id !== before.id) {
    throw new AppError("invalid", `${operation} would change the resource id; a patch cannot change the id`, {
      code: "patch_changes_identity",
    });
  }
}
