import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { callJson } from "../harness";

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
  components: { securitySchemes: Record<string, unknown> };
}

/** Hono path → OpenAPI path: `:id` and `:id{regex}` become `{id}`. */
const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, "{$1}");

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 with the security schemes", async () => {
    const { status, body } = await callJson<OpenApiDoc>("/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.components.securitySchemes)).toEqual(
      expect.arrayContaining(["bearerAuth", "apiKeyHeader", "basicAuth", "adminToken"]),
    );
  });

  it("documents every mounted route", async () => {
    const { body } = await callJson<OpenApiDoc>("/openapi.json");
    const undocumentedOk = new Set(["GET /openapi.json", "GET /docs"]);
    const missing = createApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${toOpenApiPath(r.path)}`)
      .filter((key) => !undocumentedOk.has(key))
      .filter((key) => {
        const [method, path] = key.split(" ") as [string, string];
        return !body.paths[path]?.[method.toLowerCase()];
      });
    expect(missing).toEqual([]);
  });

  it("documents error responses on authenticated routes", async () => {
    const { body } = await callJson<OpenApiDoc>("/openapi.json");
    const me = body.paths["/auth/me"]!.get!;
    expect(Object.keys(me.responses)).toEqual(expect.arrayContaining(["200", "401", "429"]));
    expect(me.security).toBeDefined();
  });

  it("GET /docs renders the reference", async () => {
    const res = await (await import("../harness")).call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    expect(await res.text()).toContain("/openapi.json");
  });
});
