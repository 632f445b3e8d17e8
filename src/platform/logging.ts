/**
 * Structured JSON log lines (Workers Logs indexes JSON fields). Never log request bodies, resource
 * content or credentials: log lines must stay free of PHI.
 */
export function logEvent(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** `event`: "unhandled_error" for a bug; "server_error" for a known 5xx (an upstream down, a timeout). */
export function logError(requestId: string, error: unknown, event = "unhandled_error"): void {
  const e =
    error instanceof Error
      ? { name: error.name, message: error.message, stack: error.stack }
      : { value: String(error) };
  console.error(JSON.stringify({ event, requestId, error: e }));
}
