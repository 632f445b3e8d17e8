/**
 * Worker entry for `npm run bench:terminology`: the Hearth app with the terminology routes mounted
 * (src/app.ts mounts them too once wired; a second mount is harmless: the first match answers),
 * plus one bench-only route that times the domain verbs inside the Worker (no HTTP, auth or rate
 * limiting in the figure). Local workerd's clock runs during CPU work, so the timings are real.
 */

import { createApp } from "../src/app";
import type { AuthedCtx } from "../src/context";
import { parseScopes } from "../src/features/auth/scopes";
import { terminologyRouter } from "../src/features/terminology";
import { getCode } from "../src/features/terminology/get-code";
import { listCodes } from "../src/features/terminology/list-codes";
import { searchCodesSemantic } from "../src/features/terminology/search-codes-semantic";
import { searchCodesText } from "../src/features/terminology/search-codes-text";
import { createServices } from "../src/services";

export { ChatSession } from "../src/durable-objects/chat-session";
export { RateLimiter } from "../src/durable-objects/rate-limiter";

interface Op {
  op: "text" | "semantic" | "list" | "lookup" | "floor";
  system: string;
  q?: string;
  cursor?: string;
  code?: string;
}

const app = createApp();
app.route("/", terminologyRouter);

const bench = createApp();
bench.post("/__bench/terminology", async (c) => {
  const ops = (await c.req.json()) as Op[];
  const ctx: AuthedCtx = {
    services: createServices(c.env),
    requestId: "bench",
    origin: new URL(c.req.url).origin,
    principal: {
      orgId: "org_bench",
      credentialId: "bench",
      credentialKind: "api_key",
      clientId: null,
      scopes: parseScopes(["terminology:read"]).scopes,
      storeId: null,
      patientId: null,
      consentRequired: false,
    },
  };
  const samples: number[] = [];
  for (const o of ops) {
    const t0 = performance.now();
    if (o.op === "floor") await c.env.DB.prepare("SELECT 1").first();
    else if (o.op === "text") await searchCodesText({ ctx, input: { name: o.system, q: o.q! } });
    else if (o.op === "semantic") await searchCodesSemantic({ ctx, input: { name: o.system, text: o.q! } });
    else if (o.op === "list") await listCodes({ ctx, input: { name: o.system, cursor: o.cursor } });
    else await getCode({ ctx, input: { name: o.system, code: o.code! } });
    samples.push(performance.now() - t0);
  }
  return c.json({ samples });
});

export default {
  fetch: (req, env, ctx) =>
    new URL(req.url).pathname.startsWith("/__bench/") ? bench.fetch(req, env, ctx) : app.fetch(req, env, ctx),
} satisfies ExportedHandler<Env>;
