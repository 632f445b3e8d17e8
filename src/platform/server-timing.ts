/**
 * Server-Timing (W3C Server Timing, `name;dur=ms`) for one request: `app` is the whole time spent in the
 * Worker, then named steps (`auth`, `rate`) and `d1` (time, round trips and statements of D1 calls), so
 * a client can tell Hearth's share of a latency from the network's.
 *
 * Workers clocks only advance when I/O completes (Spectre mitigation): CPU time before an I/O call is
 * counted in it, CPU time after the last I/O of a request is not. The figures are therefore the wall
 * time of the request up to its last I/O, which is what dominates a FHIR request (D1, Durable Objects).
 */
export class ServerTiming {
  private readonly steps: { name: string; dur: number }[] = [];
  private readonly start = performance.now();
  private d1Calls = 0;
  private d1Statements = 0;
  private d1Time = 0;

  /** Runs `fn` and records its duration under `name` (also when it throws). */
  async measure<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.steps.push({ name, dur: performance.now() - t0 });
    }
  }

  /**
   * Counts one D1 round trip running `statements` statements (a batch runs several; see timed-d1.ts)
   * and adds its time to the `d1` step.
   */
  async d1<T>(call: Promise<T>, statements = 1): Promise<T> {
    const t0 = performance.now();
    this.d1Calls++;
    this.d1Statements += statements;
    try {
      return await call;
    } finally {
      this.d1Time += performance.now() - t0;
    }
  }

  /** The header value: `app;dur=X.X` first, then the recorded steps, then `d1`. */
  header(): string {
    const app = performance.now() - this.start;
    const parts = [`app;dur=${app.toFixed(1)}`, ...this.steps.map((s) => `${s.name};dur=${s.dur.toFixed(1)}`)];
    if (this.d1Calls) {
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
      const desc = `${plural(this.d1Calls, "round trip")}, ${plural(this.d1Statements, "statement")}`;
      parts.push(`d1;dur=${this.d1Time.toFixed(1)};desc="${desc}"`);
    }
    return parts.join(", ");
  }

  /** Whole milliseconds since the request started (the structured log's durationMs). */
  elapsedMs(): number {
    return Math.round(performance.now() - this.start);
  }
}
