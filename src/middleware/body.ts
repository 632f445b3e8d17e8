import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { errors } from "../platform/errors";

export const KB = 1024;
export const MB = 1024 * KB;

/** 413 naming the limit, in the route group's error shape. */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw errors.tooLarge(`Request body exceeds the limit of ${formatBytes(maxBytes)} for this route`, {
        details: { limitBytes: maxBytes },
      });
    },
  });
}

/**
 * 415 unless the body's media type is one of `types` (parameters such as charset are ignored).
 * Requests without a body (GET/DELETE/HEAD) are not checked.
 */
export function requireMediaType(...types: string[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (["POST", "PUT", "PATCH"].includes(c.req.method)) {
      const ct = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (!types.includes(ct)) {
        throw errors.unsupportedMediaType(
          `Content-Type must be ${types.join(" or ")}${ct ? ` (got '${ct}')` : " (none given)"}`,
        );
      }
    }
    await next();
  });
}

export function formatBytes(n: number): string {
  return n >= MB ? `${n / MB} MB` : n >= KB ? `${n / KB} KB` : `${n} bytes`;
}
