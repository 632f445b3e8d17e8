import { checkAudio, isoLanguage, toBase64 } from "../ai-common/audio";
import { withDeadline } from "../ai-common/deadline";
import { aiErrors } from "../ai-common/errors";
import type { SpeechToText, Transcript, TranscriptionRequest, TranscriptSegment } from "../speech-to-text";
import { mapWorkersAiError } from "./errors";
import type { WorkersAiRunner } from "./llm";

export interface WorkersAiSpeechToTextSettings {
  /** STT_MODEL: `@cf/openai/whisper-large-v3-turbo` (default), `@cf/openai/whisper`, `@cf/deepgram/nova-3`. */
  model: string;
  timeoutMs: number;
  gatewayId?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * `SpeechToText` over the Workers AI binding. Whisper models take the audio as base64 (`audio`,
 * `language`, `initial_prompt`, `task: "transcribe"`); Deepgram nova-3 takes a byte stream with its
 * content type. Both inputs are the models' schemas in worker-configuration.d.ts.
 */
export class WorkersAiSpeechToText implements SpeechToText {
  readonly provider = "workers-ai";
  readonly model: string;

  constructor(
    private readonly ai: WorkersAiRunner,
    private readonly settings: WorkersAiSpeechToTextSettings,
  ) {
    this.model = settings.model;
  }

  async transcribe(request: TranscriptionRequest): Promise<Transcript> {
    checkAudio(request);
    const deepgram = this.model.includes("deepgram/");
    const inputs = deepgram ? this.deepgramInputs(request) : this.whisperInputs(request);
    return withDeadline(
      {
        timeoutMs: request.timeoutMs ?? this.settings.timeoutMs,
        signal: request.signal,
        service: "transcription",
        provider: this.provider,
      },
      async (deadline) => {
        const options: AiOptions = this.settings.gatewayId
          ? { signal: deadline.signal, gateway: { id: this.settings.gatewayId } }
          : { signal: deadline.signal };
        const raw = await deadline.run(
          () => this.ai.run(this.model, inputs, options),
          (e) => mapWorkersAiError(e, { service: "transcription", model: this.model, modelSetting: "STT_MODEL" }),
        );
        const transcript = deepgram ? this.readDeepgram(raw) : this.readWhisper(raw);
        if (!transcript) {
          throw aiErrors.upstream(
            "transcription",
            this.provider,
            `Workers AI returned a transcription of unexpected shape for ${this.model}.`,
            { model: this.model },
          );
        }
        return { ...transcript, language: transcript.language ?? isoLanguage(request.language) };
      },
    );
  }

  private whisperInputs(request: TranscriptionRequest): Record<string, unknown> {
    const inputs: Record<string, unknown> = { audio: toBase64(request.audio), task: "transcribe" };
    const language = isoLanguage(request.language);
    if (language) inputs.language = language;
    if (request.prompt) inputs.initial_prompt = request.prompt;
    return inputs;
  }

  private deepgramInputs(request: TranscriptionRequest): Record<string, unknown> {
    const inputs: Record<string, unknown> = {
      audio: { body: new Blob([request.audio]).stream(), contentType: request.mediaType || "audio/wav" },
      punctuate: true,
      smart_format: true,
    };
    if (request.language) inputs.language = request.language;
    if (request.prompt) inputs.keyterm = request.prompt;
    return inputs;
  }

  private readWhisper(raw: unknown): Transcript | null {
    if (!isRecord(raw) || typeof raw.text !== "string") return null;
    const info = isRecord(raw.transcription_info) ? raw.transcription_info : {};
    const segments: TranscriptSegment[] = Array.isArray(raw.segments)
      ? raw.segments.flatMap((s) =>
          isRecord(s) && typeof s.text === "string"
            ? [{ start: num(s.start) ?? 0, end: num(s.end) ?? 0, text: s.text.trim() }]
            : [],
        )
      : [];
    return {
      text: raw.text.trim(),
      ...(typeof info.language === "string" ? { language: info.language } : {}),
      ...(num(info.duration) !== undefined ? { durationSeconds: num(info.duration) } : {}),
      segments,
      provider: this.provider,
      model: this.model,
    };
  }

  private readDeepgram(raw: unknown): Transcript | null {
    const results = isRecord(raw) && isRecord(raw.results) ? raw.results : null;
    const channel = results && Array.isArray(results.channels) ? results.channels[0] : null;
    const alternative = isRecord(channel) && Array.isArray(channel.alternatives) ? channel.alternatives[0] : null;
    if (!isRecord(alternative) || typeof alternative.transcript !== "string") return null;
    const words = Array.isArray(alternative.words) ? alternative.words.filter(isRecord) : [];
    const lastEnd = words.length > 0 ? num(words[words.length - 1]?.end) : undefined;
    return {
      text: alternative.transcript.trim(),
      ...(lastEnd !== undefined ? { durationSeconds: lastEnd } : {}),
      segments: [],
      provider: this.provider,
      model: this.model,
    };
  }
}
