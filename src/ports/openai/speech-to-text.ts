import { audioFileName, checkAudio, isoLanguage } from "../ai-common/audio";
import { withDeadline } from "../ai-common/deadline";
import { aiErrors } from "../ai-common/errors";
import type { SpeechToText, Transcript, TranscriptionRequest, TranscriptSegment } from "../speech-to-text";
import { mapOpenAiError, type OpenAiEndpoint, postToOpenAi } from "./http";

export interface OpenAiSpeechToTextSettings extends OpenAiEndpoint {
  /** OPENAI_STT_MODEL: `whisper-1` (default), `gpt-4o-transcribe`, `whisper-large-v3` (Groq), ... */
  model: string;
  timeoutMs: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * `SpeechToText` over an OpenAI-compatible `POST {base}/audio/transcriptions` (multipart: `file`,
 * `model`, `language`, `prompt`, `response_format`). Whisper models answer `verbose_json` with the
 * language, duration and timed segments; the gpt-4o transcription models only offer `json`.
 */
export class OpenAiSpeechToText implements SpeechToText {
  readonly provider = "openai";
  readonly model: string;

  constructor(private readonly settings: OpenAiSpeechToTextSettings) {
    this.model = settings.model;
  }

  async transcribe(request: TranscriptionRequest): Promise<Transcript> {
    checkAudio(request);
    const verbose = /whisper/i.test(this.model);
    const form = new FormData();
    form.set(
      "file",
      new Blob([request.audio], { type: request.mediaType || "application/octet-stream" }),
      audioFileName(request),
    );
    form.set("model", this.model);
    form.set("response_format", verbose ? "verbose_json" : "json");
    const language = isoLanguage(request.language);
    if (language) form.set("language", language);
    if (request.prompt) form.set("prompt", request.prompt);
    const context = {
      service: "transcription" as const,
      baseUrl: this.settings.baseUrl,
      model: this.model,
      modelSetting: "OPENAI_STT_MODEL",
    };
    return withDeadline(
      {
        timeoutMs: request.timeoutMs ?? this.settings.timeoutMs,
        signal: request.signal,
        service: "transcription",
        provider: this.provider,
      },
      async (deadline) => {
        const raw = await deadline.run(
          async (signal) => (await postToOpenAi(this.settings, "/audio/transcriptions", form, signal)).json(),
          (e) => mapOpenAiError(e, context),
        );
        if (!isRecord(raw) || typeof raw.text !== "string") {
          throw aiErrors.upstream(
            "transcription",
            this.provider,
            "The OpenAI-compatible endpoint returned a transcription of unexpected shape.",
            { model: this.model },
          );
        }
        const segments: TranscriptSegment[] = Array.isArray(raw.segments)
          ? raw.segments.flatMap((s) =>
              isRecord(s) && typeof s.text === "string"
                ? [{ start: num(s.start) ?? 0, end: num(s.end) ?? 0, text: s.text.trim() }]
                : [],
            )
          : [];
        const detected = typeof raw.language === "string" ? raw.language : language;
        return {
          text: raw.text.trim(),
          ...(detected ? { language: detected } : {}),
          ...(num(raw.duration) !== undefined ? { durationSeconds: num(raw.duration) } : {}),
          segments,
          provider: this.provider,
          model: this.model,
        };
      },
    );
  }
}
