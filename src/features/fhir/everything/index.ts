/**
 * Router of `GET [base]/Patient/{id}/$everything` and `GET [base]/Person/{id}/$everything` on the three
 * FHIR bases (fhir.routes.ts). Mounted through `operationRouters` in src/features/fhir/index.ts, before
 * the generic `{type}/{id}` routes.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../../env";
import { bearerOrApiKey, errorResponses, pathParam } from "../../../platform/openapi-schemas";
import { createRouter } from "../../../platform/router";
import { recordAudit } from "../../audit/record-audit";
import { FHIR_BASES, fhirAuth } from "../fhir.routes";
import { parsePrefer, presentation } from "../http/negotiate";
import { openFhirCtx } from "./open-fhir-ctx";
import { type EverythingSubject, planEverything } from "./plan-everything";
import { everythingStream } from "./stream-everything";

export const everythingRouter = createRouter();

/** Query parameters may repeat (`_type=A&_type=B`); the operation itself validates the values. */
const repeatable = () => z.union([z.string(), z.array(z.string())]).optional();

const query = z.object({
  _type: repeatable().openapi({
    description: "Comma-separated resource types to return",
    example: "AllergyIntolerance,Immunization",
  }),
  _since: repeatable().openapi({
    description: "Only resources updated at or after this instant",
    example: "2026-02-27T12:00:00Z",
  }),
  start: repeatable().openapi({ description: "Care dates on or after this date" }),
  end: repeatable().openapi({ description: "Care dates on or before this date" }),
  _count: repeatable().openapi({ description: "Page size (paging links carry _count and _offset)", example: "30" }),
  _offset: repeatable().openapi({ description: "Index of the first entry of the page", example: "0" }),
});

const bundle = { "application/fhir+json": { schema: { type: "object" as const, description: "A searchset Bundle" } } };

for (const base of FHIR_BASES) {
  for (const subjectType of ["Patient", "Person"] as EverythingSubject[]) {
    const route = createRoute({
      method: "get",
      path: `${base.prefix}/${subjectType}/{id}/$everything`,
      tags: [base.tag],
      summary:
        subjectType === "Patient"
          ? "Patient $everything: the patient's whole record (streamed searchset Bundle)"
          : "Person $everything: the records of every Patient linked from the Person (streamed)",
      security: bearerOrApiKey,
      middleware: [fhirAuth(base)] as const,
      request: {
        params: z.object({
          ...(base.hasStore ? { storeId: pathParam("storeId", "The FHIR store id") } : {}),
          id: pathParam("id", `The ${subjectType} id`),
        }),
        query,
      },
      responses: {
        200: { description: "searchset Bundle, streamed", content: bundle },
        ...errorResponses("fhir", [400, 401, 403, 404, 406, 410, 429, 500]),
      },
    });
    everythingRouter.openapi(route, (async (c: Context<AppEnv>) => {
      const url = new URL(c.req.url);
      const p = presentation(url, c.req.header("Accept"));
      const ctx = await openFhirCtx(c, base);
      const id = c.req.param("id") ?? "";
      const plan = await planEverything({
        ctx,
        input: {
          subjectType,
          id,
          params: url.searchParams,
          strict: parsePrefer(c.req.header("Prefer")).handling === "strict",
        },
      });
      const audit = recordAudit(ctx, {
        action: "fhir.everything",
        storeId: ctx.store.id,
        entityType: subjectType,
        entityId: id,
        outcome: 200,
        detail: [...new Set(url.searchParams.keys())].join(",") || null,
      });
      try {
        c.executionCtx.waitUntil(audit);
      } catch {
        // No execution context outside the Worker runtime: the promise still completes on its own.
      }
      const body = everythingStream(plan, {
        db: ctx.services.db,
        base: ctx.base,
        pretty: p.pretty,
        requestId: ctx.requestId,
      });
      return new Response(body, { status: 200, headers: { "Content-Type": p.contentType } });
    }) as never);
  }
}
