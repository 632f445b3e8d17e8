import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { ADMIN_TOKEN, call, callJson } from "../harness";

describe("error envelopes and generic HTTP errors", () => {
  it("unknown platform route: 404 in the platform envelope", async () => {
    const { status, body } = await callJson("/nope/nothing");
    expect(status).toBe(404);
    expect(body).toMatchObject({ success: false, data: null, error: { code: "route_not_found" } });
  });

  it("unknown FHIR route: 404 as OperationOutcome", async () => {
    const res = await call("/fhir/abc/Patient/1/_history/1/extra/more");
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
    const body = (await res.json()) as { resourceType: string; issue: { code: string }[] };
    expect(body.resourceType).toBe("OperationOutcome");
    expect(body.issue[0]!.code).toBe("not-found");
  });

  it("unknown ingestion route: 404 in the ingestion shape", async () => {
    const { status, body } = await callJson("/api/g/x/ingestion/unknown");
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: "Not Found", statusCode: 404 });
  });

  it("wrong method: 405 with Allow", async () => {
    const res = await call("/admin/organizations", { method: "GET", auth: ADMIN_TOKEN });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("method_not_allowed");
  });

  it("malformed JSON: 400", async () => {
    const { status, body } = await callJson("/admin/organizations", {
      method: "POST",
      auth: ADMIN_TOKEN,
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, error: { code: "invalid_request" } });
  });

  it("schema violation: 400 naming the field", async () => {
    const { status, body } = await callJson<{ message: string; error: { details: { path: string }[] } }>(
      "/admin/organizations",
      {
        method: "POST",
        auth: ADMIN_TOKEN,
        json: { name: "" },
      },
    );
    expect(status).toBe(400);
    expect(body.error.details[0]!.path).toBe("name");
    expect(body.message).toContain("name");
  });

  it("body over the route's limit: 413 naming the limit", async () => {
    const { status, body } = await callJson<{ message: string; error: { code: string } }>("/admin/organizations", {
      method: "POST",
      auth: ADMIN_TOKEN,
      json: { name: "x".repeat(20_000) },
    });
    expect(status).toBe(413);
    expect(body.error.code).toBe("payload_too_large");
    expect(body.message).toContain("16 KB");
  });

  it("wrong content type: 415", async () => {
    const { status, body } = await callJson<{ error: { code: string } }>("/admin/organizations", {
      method: "POST",
      auth: ADMIN_TOKEN,
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ name: "x" }),
    });
    expect(status).toBe(415);
    expect(body.error.code).toBe("unsupported_media_type");
  });

  it("unexpected errors: generic 500 without internals, request id kept", async () => {
    const app = createApp();
    app.get("/__boom", () => {
      throw new Error("secret internal detail");
    });
    const res = await app.fetch(new Request("http://x/__boom", { headers: { "X-Request-Id": "req-boom-12345" } }), env);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret internal detail");
    expect(JSON.parse(text)).toMatchObject({ success: false, error: { code: "internal" } });
    expect(res.headers.get("X-Request-Id")).toBe("req-boom-12345");
  });
});

describe("request ids", () => {
  it("generates one when absent", async () => {
    const res = await call("/health");
    expect(res.headers.get("X-Request-Id")).toMatch(/^[A-Za-z0-9]{22}$/);
  });
  it("keeps a well-formed incoming id and replaces a malformed one", async () => {
    const ok = await call("/health", { headers: { "X-Request-Id": "abc-123_def.456" } });
    expect(ok.headers.get("X-Request-Id")).toBe("abc-123_def.456");
    const bad = await call("/health", { headers: { "X-Request-Id": "bad id with spaces <script>" } });
    expect(bad.headers.get("X-Request-Id")).not.toContain(" ");
  });
  it("is on error responses too", async () => {
    const res = await call("/nope", { headers: { "X-Request-Id": "err-req-000001" } });
    expect(res.headers.get("X-Request-Id")).toBe("err-req-000001");
  });
});
