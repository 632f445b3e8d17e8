import { describe, expect, it } from "vitest";
import { selectSpeechToText } from "../../src/ports/ai-config";
import { OpenAiSpeechToText } from "../../src/ports/openai/speech-to-text";
import { WorkersAiSpeechToText } from "../../src/ports/workers-ai/speech-to-text";
import { failure } from "../harness";
import { STUB_API_KEY } from "../setup/openai-stub-server";
import { FakeAi, hang } from "./fake-ai";
import { openAiStubUrl } from "./stub-url";

/** 0.25 s of 16 kHz 16-bit mono silence in a WAV container (RFC 2361 / RIFF). */
function wav(samples = 4000): Uint8Array {
  const data = samples * 2;
  const buffer = new ArrayBuffer(44 + data);
  const view = new DataView(buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + data, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 16000, true);
  view.setUint32(28, 32000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, data, true);
  return new Uint8Array(buffer);
}

describe("WorkersAiSpeechToText", () => {
  it("sends whisper base64 audio with language and prompt hints, and reads segments", async () => {
    const audio = wav();
    const ai = new FakeAi(() => ({
      text: " Patient reports chest pain. ",
      transcription_info: { language: "en", duration: 0.25 },
      segments: [{ start: 0, end: 0.25, text: " Patient reports chest pain." }],
    }));
    const stt = new WorkersAiSpeechToText(ai, { model: "@cf/openai/whisper-large-v3-turbo", timeoutMs: 5000 });
    const transcript = await stt.transcribe({
      audio,
      mediaType: "audio/wav",
      language: "en-US",
      prompt: "metoprolol, lisinopril",
    });
    expect(transcript).toEqual({
      text: "Patient reports chest pain.",
      language: "en",
      durationSeconds: 0.25,
      segments: [{ start: 0, end: 0.25, text: "Patient reports chest pain." }],
      provider: "workers-ai",
      model: "@cf/openai/whisper-large-v3-turbo",
    });
    const call = ai.calls[0]!;
    expect(call.model).toBe("@cf/openai/whisper-large-v3-turbo");
    expect(call.inputs).toEqual({
      audio: expect.any(String),
      task: "transcribe",
      language: "en",
      initial_prompt: "metoprolol, lisinopril",
    });
    // The base64 decodes back to the exact bytes.
    const decoded = Uint8Array.from(atob(call.inputs.audio as string), (c) => c.charCodeAt(0));
    expect(decoded).toEqual(audio);
  });

  it("base64-encodes large audio correctly (chunk boundaries)", async () => {
    const audio = new Uint8Array(300_001).map((_, i) => (i * 7919) & 0xff);
    const ai = new FakeAi(() => ({ text: "ok" }));
    await new WorkersAiSpeechToText(ai, { model: "@cf/openai/whisper", timeoutMs: 5000 }).transcribe({
      audio,
      mediaType: "audio/mpeg",
    });
    const decoded = Uint8Array.from(atob(ai.calls[0]!.inputs.audio as string), (c) => c.charCodeAt(0));
    expect(decoded).toEqual(audio);
  });

  it("sends nova-3 a byte stream with its content type and reads the Deepgram shape", async () => {
    const audio = wav(1600);
    let streamed: Uint8Array | undefined;
    const ai = new FakeAi(async (call) => {
      const input = call.inputs.audio as { body: ReadableStream<Uint8Array>; contentType: string };
      expect(input.contentType).toBe("audio/wav");
      streamed = new Uint8Array(await new Response(input.body).arrayBuffer());
      return {
        results: {
          channels: [
            {
              alternatives: [
                {
                  transcript: "BP is 140 over 90.",
                  words: [
                    { word: "bp", start: 0.1, end: 0.3 },
                    { word: "90", start: 1.0, end: 1.4 },
                  ],
                },
              ],
            },
          ],
        },
      };
    });
    const stt = new WorkersAiSpeechToText(ai, { model: "@cf/deepgram/nova-3", timeoutMs: 5000 });
    const transcript = await stt.transcribe({ audio, mediaType: "audio/wav", language: "en" });
    expect(transcript).toMatchObject({
      text: "BP is 140 over 90.",
      durationSeconds: 1.4,
      language: "en",
      segments: [],
    });
    expect(streamed).toEqual(audio);
    expect(ai.calls[0]!.inputs).toMatchObject({ punctuate: true, smart_format: true, language: "en" });
  });

  it("maps binding failures and deadlines, and refuses empty audio with 400", async () => {
    const busy = new WorkersAiSpeechToText(
      new FakeAi(() => {
        throw new Error("AiError: 3040: Capacity temporarily exceeded");
      }),
      { model: "@cf/openai/whisper-large-v3-turbo", timeoutMs: 5000 },
    );
    const e1 = await failure(busy.transcribe({ audio: wav(), mediaType: "audio/wav" }));
    expect([e1.status, e1.code]).toEqual([503, "transcription_unavailable"]);

    const slow = new WorkersAiSpeechToText(new FakeAi((call) => hang(call)), {
      model: "@cf/openai/whisper",
      timeoutMs: 100,
    });
    const e2 = await failure(slow.transcribe({ audio: wav(), mediaType: "audio/wav" }));
    expect([e2.status, e2.code]).toEqual([504, "transcription_timeout"]);

    const e3 = await failure(busy.transcribe({ audio: new Uint8Array(0), mediaType: "audio/wav" }));
    expect([e3.status, e3.code]).toEqual([400, "audio_empty"]);

    const odd = new WorkersAiSpeechToText(new FakeAi(() => ({ nothing: true })), {
      model: "@cf/openai/whisper",
      timeoutMs: 100,
    });
    const e4 = await failure(odd.transcribe({ audio: wav(), mediaType: "audio/wav" }));
    expect([e4.status, e4.code]).toEqual([502, "transcription_upstream_error"]);
  });
});

describe("OpenAiSpeechToText over HTTP (multipart)", () => {
  const baseUrl = openAiStubUrl();

  it("uploads the file with model, language and prompt, and reads verbose_json", async () => {
    const audio = wav(8000);
    const stt = new OpenAiSpeechToText({ baseUrl, apiKey: STUB_API_KEY, model: "whisper-1", timeoutMs: 5000 });
    const transcript = await stt.transcribe({
      audio,
      mediaType: "audio/wav",
      language: "fr-FR",
      prompt: "amoxicilline",
    });
    expect(transcript).toEqual({
      text: `${audio.length} bytes of audio/wav named audio.wav with prompt amoxicilline`,
      language: "fr",
      durationSeconds: audio.length / 32000,
      segments: [
        {
          start: 0,
          end: audio.length / 32000,
          text: `${audio.length} bytes of audio/wav named audio.wav with prompt amoxicilline`,
        },
      ],
      provider: "openai",
      model: "whisper-1",
    });
  });

  it("asks non-whisper models for plain json and keeps the given file name", async () => {
    const stt = new OpenAiSpeechToText({ baseUrl, apiKey: STUB_API_KEY, model: "gpt-4o-transcribe", timeoutMs: 5000 });
    const transcript = await stt.transcribe({ audio: wav(10), mediaType: "audio/webm", fileName: "visit-12.webm" });
    expect(transcript).toEqual({
      text: "64 bytes of audio/webm named visit-12.webm",
      segments: [],
      provider: "openai",
      model: "gpt-4o-transcribe",
    });
  });

  it("maps upstream statuses and credentials", async () => {
    const limited = new OpenAiSpeechToText({
      baseUrl,
      apiKey: STUB_API_KEY,
      model: "stub-status-503",
      timeoutMs: 5000,
    });
    const e1 = await failure(limited.transcribe({ audio: wav(), mediaType: "audio/wav" }));
    expect([e1.status, e1.code]).toEqual([503, "transcription_unavailable"]);
    const badKey = new OpenAiSpeechToText({ baseUrl, apiKey: "nope", model: "whisper-1", timeoutMs: 5000 });
    const e2 = await failure(badKey.transcribe({ audio: wav(), mediaType: "audio/wav" }));
    expect([e2.status, e2.code]).toEqual([502, "transcription_upstream_error"]);
    expect(e2.message).toContain("OPENAI_API_KEY");
  });
});

describe("selectSpeechToText", () => {
  it("without a provider, refuses with 503 transcription_unavailable naming the setting", async () => {
    const stt = selectSpeechToText({});
    expect([stt.provider, stt.model]).toEqual(["none", null]);
    const e = await failure(stt.transcribe({ audio: wav(), mediaType: "audio/wav" }));
    expect([e.status, e.code]).toEqual([503, "transcription_unavailable"]);
    expect(e.message).toContain("STT_PROVIDER=workers-ai");
  });

  it("names what is missing when a provider is set without its settings", async () => {
    const e1 = await failure(
      selectSpeechToText({ STT_PROVIDER: "workers-ai" }).transcribe({ audio: wav(), mediaType: "audio/wav" }),
    );
    expect([e1.status, e1.code]).toEqual([503, "transcription_not_configured"]);
    expect(e1.message).toContain("AI binding");
    const e2 = await failure(
      selectSpeechToText({ STT_PROVIDER: "openai", OPENAI_BASE_URL: "https://api.example.com/v1" }).transcribe({
        audio: wav(),
        mediaType: "audio/wav",
      }),
    );
    expect(e2.message).toContain("OPENAI_API_KEY is not set");
  });

  it("builds the configured engines with their default models", () => {
    const ai = new FakeAi();
    expect(selectSpeechToText({ STT_PROVIDER: "workers-ai", AI: ai })).toMatchObject({
      provider: "workers-ai",
      model: "@cf/openai/whisper-large-v3-turbo",
    });
    expect(selectSpeechToText({ STT_PROVIDER: "workers-ai", STT_MODEL: "@cf/deepgram/nova-3", AI: ai }).model).toBe(
      "@cf/deepgram/nova-3",
    );
    expect(
      selectSpeechToText({
        STT_PROVIDER: "openai",
        OPENAI_BASE_URL: "https://api.example.com/v1",
        OPENAI_API_KEY: "k",
      }),
    ).toMatchObject({ provider: "openai", model: "whisper-1" });
  });
});
