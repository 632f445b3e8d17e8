/** Parsing Hearth's `Server-Timing` header (src/platform/server-timing.ts) on the client side. */

export interface ServerSample {
  /** `name;dur=` values in ms (app, auth, rate, d1, ...). */
  dur: Record<string, number>;
  /** D1 round trips of the request (the `d1` metric's desc), 0 when none. */
  d1RoundTrips: number;
  /** D1 statements of the request (a batch counts each of its statements), 0 when none. */
  d1Statements: number;
}

export function parseServerTiming(header: string | null): ServerSample {
  const dur: Record<string, number> = {};
  let d1RoundTrips = 0;
  let d1Statements = 0;
  // Metrics are comma-separated; a quoted desc may hold commas of its own ("2 round trips, 3 statements").
  for (const part of (header ?? "").split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "dur") dur[name] = Number(v);
      if (k === "desc" && name === "d1") {
        // desc="N round trips, M statements"
        const [trips, statements] = (v ?? "").replace(/"/g, "").split(",");
        d1RoundTrips = Number.parseInt(trips ?? "", 10) || 0;
        d1Statements = Number.parseInt(statements?.trim() ?? "", 10) || 0;
      }
    }
  }
  return { dur, d1RoundTrips, d1Statements };
}
