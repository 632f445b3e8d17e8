import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { errors } from "./errors";

/**
 * Every feature router is made here, so that input validation failures take the one error path:
 * the zod issues become an AppError("invalid") with the offending fields in `details`.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const fields = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        const summary = fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join("; ");
        throw errors.invalid(`Invalid ${result.target}: ${summary}`, { code: "invalid_request", details: fields });
      }
    },
  });
}

export type Router = ReturnType<typeof createRouter>;
