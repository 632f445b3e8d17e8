// Values the global setup (test/setup/global-servers.ts) hands to tests through `inject()`.
declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL (with `/v1`) of the OpenAI-compatible stub server (test/setup/openai-stub-server.ts). */
    openaiStubUrl: string;
  }
}

export {};
