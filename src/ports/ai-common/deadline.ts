import { AppError } from "../../platform/errors";
import { type AiService, aiErrors } from "./errors";

/**
 * A per-call deadline combined with the caller's own AbortSignal. Remote AI calls have no useful
 * upper bound of their own (a 70B model can take minutes), so every call carries one; the caller's
 * signal (e.g. the client went away) cancels too, and is reported as the caller's abort, not as a
 * provider timeout.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private timedOut = false;
  private readonly onOuterAbort: () => void;

  constructor(
    readonly timeoutMs: number,
    private readonly outer: AbortSignal | undefined,
    private readonly service: AiService,
    private readonly provider: string,
  ) {
    this.signal = this.controller.signal;
    this.onOuterAbort = () => this.controller.abort(outer?.reason);
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener("abort", this.onOuterAbort, { once: true });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException("deadline exceeded", "TimeoutError"));
    }, timeoutMs);
  }

  /** Stops the timer; call once the call (or the stream) is over. */
  clear(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener("abort", this.onOuterAbort);
  }

  /**
   * Settles with `work`, or rejects as soon as the deadline fires: the Workers AI binding may not
   * honour the signal, and the caller must not wait past the deadline either way.
   */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      work.catch(() => undefined); // already abandoned: its own failure must not surface as unhandled
      return Promise.reject(this.signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.signal.reason);
      this.signal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (v) => {
          this.signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e: unknown) => {
          this.signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  /** One remote call under this deadline; failures come out translated (see `translate`). */
  async run<T>(work: (signal: AbortSignal) => Promise<T>, mapError: (e: unknown) => AppError): Promise<T> {
    try {
      return await this.race(work(this.signal));
    } catch (e) {
      throw this.translate(e, mapError);
    }
  }

  /**
   * The error to throw for a failure seen while this deadline ran: AppErrors pass through, a fired
   * deadline becomes `<service>_timeout` (504), the caller's abort is rethrown as the caller's own
   * reason, anything else goes to the adapter's mapper.
   */
  translate(e: unknown, mapError: (e: unknown) => AppError): unknown {
    if (e instanceof AppError) return e;
    if (this.timedOut) return aiErrors.timeout(this.service, this.provider, this.timeoutMs);
    if (this.outer?.aborted) return this.outer.reason;
    return mapError(e);
  }
}

/** What every remote AI call needs to know to build its deadline. */
export interface DeadlineOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  service: AiService;
  provider: string;
}

/** Runs `body` under a fresh deadline that spans all of its remote calls (including retries). */
export async function withDeadline<T>(options: DeadlineOptions, body: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(options.timeoutMs, options.signal, options.service, options.provider);
  try {
    return await body(deadline);
  } finally {
    deadline.clear();
  }
}
