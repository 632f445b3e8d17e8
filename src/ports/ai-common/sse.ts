/** One Server-Sent Event: `event` defaults to "message"; `data` lines are joined with "\n". */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a `text/event-stream` body (WHATWG HTML, "Server-sent events", event stream interpretation):
 * lines end in CRLF, LF or CR; `data:` lines accumulate; a blank line dispatches; `:` lines are
 * comments. A final event without its blank line is still dispatched, since some providers end the
 * stream right after the last `data:` line. Stopping the iteration early cancels the body; so does
 * `signal`, after which the iteration throws the signal's reason (a hung upstream cannot outlive it).
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let finished = false;

  function* takeLines(flush: boolean): Generator<SseEvent> {
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A lone trailing CR may be the first half of CRLF: wait for the next chunk unless flushing.
      if (!match || (match[0] === "\r" && match.index === buffer.length - 1 && !flush)) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === "") {
        if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
        data = [];
        event = "";
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "event") event = value;
    }
  }

  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      yield* takeLines(false);
    }
    buffer += decoder.decode();
    if (buffer !== "" && !buffer.endsWith("\n") && !buffer.endsWith("\r")) buffer += "\n";
    yield* takeLines(true);
    if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
    finished = true;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
