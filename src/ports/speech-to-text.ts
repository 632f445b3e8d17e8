/**
 * The `SpeechToText` port (docs/architecture.md, "Ports and adapters"): Workers AI whisper / nova-3
 * (src/ports/workers-ai/speech-to-text.ts), an OpenAI-compatible `/audio/transcriptions` endpoint
 * (src/ports/openai/speech-to-text.ts), or none: Hearth has no local speech engine, so without a
 * provider every call fails with 503 `transcription_unavailable` naming the setting to change.
 *
 * Failures: `transcription_timeout` (504), `transcription_unavailable` (503),
 * `transcription_upstream_error` (502), `transcription_input_too_large` (413),
 * `transcription_not_configured` (503), `audio_empty` (400).
 */
export interface TranscriptionRequest {
  audio: Uint8Array;
  /** The audio's media type, e.g. `audio/wav`, `audio/mpeg`, `audio/webm`, `audio/mp4`. */
  mediaType: string;
  /** Original file name; some endpoints infer the container from its extension. */
  fileName?: string;
  /** Spoken-language hint, ISO 639-1 (`en`, `fr`) or BCP 47 (`en-US`); detected when absent. */
  language?: string;
  /** Vocabulary hint (drug names, the patient's name) for models that take one. */
  prompt?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface TranscriptSegment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
}

export interface Transcript {
  text: string;
  /** The detected (or hinted) language, when the engine reports it. */
  language?: string;
  durationSeconds?: number;
  /** Timed segments when the engine provides them (whisper does), otherwise empty. */
  segments: TranscriptSegment[];
  provider: string;
  model: string;
}

export interface SpeechToText {
  /** `workers-ai`, `openai`, or `none`. */
  readonly provider: string;
  readonly model: string | null;
  transcribe(request: TranscriptionRequest): Promise<Transcript>;
}
