import type { TestProject } from "vitest/node";
import { startOpenAiStub } from "./openai-stub-server";

/**
 * Vitest global setup (runs once, in Node): real HTTP servers the workerd tests call over the
 * network. Tests read their URLs with `inject("openaiStubUrl")` (types in test/provided-context.d.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const openai = await startOpenAiStub();
  project.provide("openaiStubUrl", openai.url);
  return () => openai.close();
}
