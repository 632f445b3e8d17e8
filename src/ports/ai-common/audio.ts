import { errors } from "../../platform/errors";
import type { TranscriptionRequest } from "../speech-to-text";

/** Checks shared by every engine, before any network call. */
export function checkAudio(request: TranscriptionRequest): void {
  if (request.audio.byteLength === 0) throw errors.invalid("The audio is empty.", { code: "audio_empty" });
}

/** Whisper's `language` is ISO 639-1; BCP 47 hints (`en-US`) are cut to their language subtag. */
export function isoLanguage(language: string | undefined): string | undefined {
  const primary = language?.trim().split(/[-_]/)[0]?.toLowerCase();
  return primary && /^[a-z]{2,3}$/.test(primary) ? primary : undefined;
}

const extensionOf: Record<string, string> = {
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/webm": "webm",
  "audio/ogg": "ogg",
  "audio/flac": "flac",
  "audio/x-flac": "flac",
  "video/mp4": "mp4",
  "video/webm": "webm",
};

/** A file name whose extension matches the media type: OpenAI's endpoint infers the container from it. */
export function audioFileName(request: TranscriptionRequest): string {
  if (request.fileName && /\.[a-z0-9]{2,5}$/i.test(request.fileName)) return request.fileName;
  const base = request.mediaType.split(";")[0]?.trim().toLowerCase() ?? "";
  return `audio.${extensionOf[base] ?? "wav"}`;
}

/** Base64 without building one giant intermediate string per byte (audio can be tens of MB). */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk = 0x8000; // a multiple of 3 keeps each part's padding at the very end only
  for (let i = 0; i < bytes.length; i += chunk * 3) {
    const slice = bytes.subarray(i, Math.min(i + chunk * 3, bytes.length));
    let binary = "";
    for (let j = 0; j < slice.length; j += chunk) {
      binary += String.fromCharCode(...slice.subarray(j, j + chunk));
    }
    parts.push(btoa(binary));
  }
  return parts.join("");
}
