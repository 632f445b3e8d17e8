/**
 * The code lookup's batch (system + code, get-code.ts), sent in the same D1 round trip as the
 * credential check (riders of authenticateAndLimit): a lookup then costs one round trip instead of
 * two. The system's visibility depends on the caller's organization, known before the check only for
 * a credential this isolate has checked before (a credential's organization never changes). The
 * results are delivered only when the credential is valid, and getCode uses them only when the
 * checked caller's organization is the one they were read for; otherwise it reads again.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env";
import { knownCredential } from "../../middleware/authenticate";
import { codeLookup, lookupStatements, type PrefetchedLookup } from "./get-code";

/** Route middleware of `GET /construe/codes/{codesystem}/{codeID}`, placed before authentication. */
export const prefetchCode = createMiddleware<AppEnv>(async (c, next) => {
  const name = c.req.param("codesystem") ?? "";
  const code = c.req.param("codeID") ?? "";
  const version = c.req.query("version");
  const caller = await knownCredential(c);
  // Within the route's own bounds (terminology.routes.ts), so a rider never carries more than it.
  const inBounds = name.length <= 100 && code.length <= 200 && (version === undefined || version.length <= 50);
  const lookup = caller && inBounds ? codeLookup(caller.orgId, name, code, version) : null;
  if (lookup) {
    const prefetched: PrefetchedLookup = { lookup };
    const results: D1Result[] = [];
    const statements = lookupStatements(c.var.services.db, lookup);
    c.set("prefetchedLookup", prefetched);
    c.set("credentialRiders", [
      ...(c.var.credentialRiders ?? []),
      ...statements.map((statement, i) => ({
        statement,
        deliver: (result: D1Result) => {
          results[i] = result;
          if (i === statements.length - 1) prefetched.results = results;
        },
      })),
    ]);
  }
  await next();
});
