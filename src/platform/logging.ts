/**
 * Structured JSON log lines (Workers Logs indexes JSON fields). Never log request bodies, resource
 * content or credentials: log lines must stay free of PHI.
 */
export function logEvent(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

export function logError(requestId: string, error: unknown): void {
  const e =
    error instanceof Error
      ? { name: error.name, message: error.message, stack: error.stack }
      : { value: String(error) };
  console.error(JSON.stringify({ event: "unhandled_error", requestId, error: e }));
}
