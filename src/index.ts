import { createApp } from "./app";

export { ChatSession } from "./durable-objects/chat-session";
export { RateLimiter } from "./durable-objects/rate-limiter";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
    const { handleJobs } = await import("./jobs");
    await handleJobs(batch, env, ctx);
  },
} satisfies ExportedHandler<Env>;
