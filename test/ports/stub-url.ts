import { inject } from "vitest";

/**
 * Base URL of the OpenAI-compatible stub server started by the global setup. Fails loudly, rather
 * than skipping, when the vitest config does not run test/setup/global-servers.ts.
 */
export function openAiStubUrl(): string {
  const url = inject("openaiStubUrl");
  if (!url) {
    throw new Error(
      'openaiStubUrl was not provided: add globalSetup: ["./test/setup/global-servers.ts"] to the vitest config',
    );
  }
  return url;
}
