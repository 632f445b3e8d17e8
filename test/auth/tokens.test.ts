import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callJson, createClient, createOrg, tokenFor } from "../harness";

const form = (o: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(o).toString(),
});
const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

let orgId: string;
let client: { client_id: string; client_secret: string };

beforeAll(async () => {
  orgId = (await createOrg()).orgId;
  client = await createClient(orgId, ["terminology:read", "fhir:read", "system/Observation.rs"]);
});

describe("POST /v2/auth/token (RFC 6749 §4.4)", () => {
  it("JSON body", async () => {
    const { status, body, res } = await callJson<{
      access_token: string;
      token_type: string;
      expires_in: number;
      scope: string;
    }>("/v2/auth/token", {
      method: "POST",
      json: { grant_type: "client_credentials", ...client },
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(172800);
    expect(body.scope).toBe("terminology:read fhir:read system/Observation.rs");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const me = await callJson<{ data: { orgId: string; credentialKind: string } }>("/auth/me", {
      auth: body.access_token,
    });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ orgId, credentialKind: "access_token" });
  });

  it("form body", async () => {
    const { status } = await callJson("/v2/auth/token", form({ grant_type: "client_credentials", ...client }));
    expect(status).toBe(200);
  });

  it("HTTP Basic (body may hold only grant_type, or nothing)", async () => {
    const withGrant = await callJson("/v2/auth/token", {
      ...form({ grant_type: "client_credentials" }),
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: basic(client.client_id, client.client_secret),
      },
    });
    expect(withGrant.status).toBe(200);
    const empty = await callJson("/v2/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: basic(client.client_id, client.client_secret) },
    });
    expect(empty.status).toBe(200);
  });

  it("scope narrows the client's scopes; a wider scope is invalid_scope", async () => {
    const narrowed = await callJson<{ scope: string; access_token: string }>("/v2/auth/token", {
      method: "POST",
      json: { grant_type: "client_credentials", ...client, scope: "system/Observation.r" },
    });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe("system/Observation.r");
    const me = await callJson<{ data: { scopes: string[] } }>("/auth/me", { auth: narrowed.body.access_token });
    expect(me.body.data.scopes).toEqual(["system/Observation.r"]);
    const wider = await callJson("/v2/auth/token", {
      method: "POST",
      json: { grant_type: "client_credentials", ...client, scope: "terminology:write" },
    });
    expect(wider.status).toBe(400);
    expect(wider.body).toMatchObject({ error: "invalid_scope" });
  });

  it("invalid_request: missing grant_type, missing credentials, malformed JSON, both Basic and body", async () => {
    const noGrant = await callJson("/v2/auth/token", { method: "POST", json: { ...client } });
    expect(noGrant.status).toBe(400);
    expect(noGrant.body).toMatchObject({ error: "invalid_request" });
    const noCreds = await callJson("/v2/auth/token", { method: "POST", json: { grant_type: "client_credentials" } });
    expect(noCreds.body).toMatchObject({ error: "invalid_request" });
    const bad = await callJson("/v2/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "invalid_request" });
    const both = await callJson("/v2/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: basic(client.client_id, client.client_secret) },
      body: JSON.stringify({ grant_type: "client_credentials", ...client }),
    });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ error: "invalid_request" });
  });

  it("unsupported_grant_type", async () => {
    const { status, body } = await callJson("/v2/auth/token", {
      method: "POST",
      json: { grant_type: "password", ...client },
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("invalid_client: 401, with WWW-Authenticate when Basic was used", async () => {
    const body = await callJson("/v2/auth/token", {
      method: "POST",
      json: { grant_type: "client_credentials", client_id: client.client_id, client_secret: "wrong" },
    });
    expect(body.status).toBe(401);
    expect(body.body).toMatchObject({ error: "invalid_client" });
    expect(body.res.headers.get("WWW-Authenticate")).toBeNull();
    const viaBasic = await call("/v2/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: basic(client.client_id, "wrong") },
    });
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.headers.get("WWW-Authenticate")).toMatch(/^Basic/);
    const unknown = await callJson("/v2/auth/token", {
      method: "POST",
      json: { grant_type: "client_credentials", client_id: "cli_nope", client_secret: "x" },
    });
    expect(unknown.status).toBe(401);
  });

  it("unsupported media type keeps the OAuth error shape", async () => {
    const { status, body } = await callJson("/v2/auth/token", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "x",
    });
    expect(status).toBe(415);
    expect(body).toMatchObject({ error: "invalid_request" });
  });
});

describe("POST /auth/token (legacy)", () => {
  it("Basic client_id:secret → {token}", async () => {
    const { status, body } = await callJson<{ token: string }>("/auth/token", {
      method: "POST",
      headers: { Authorization: basic(client.client_id, client.client_secret) },
    });
    expect(status).toBe(200);
    expect((await callJson("/auth/me", { auth: body.token })).status).toBe(200);
  });
  it("401 in the seed's shape", async () => {
    const { status, body } = await callJson("/auth/token", {
      method: "POST",
      headers: { Authorization: basic(client.client_id, "nope") },
    });
    expect(status).toBe(401);
    expect(body).toEqual({ code: 401, message: "Invalid credentials", data: null });
    expect((await callJson("/auth/token", { method: "POST" })).status).toBe(401);
  });
});

describe("JWT verification", () => {
  const secret = () =>
    new TextEncoder().encode((JSON.parse(env.TOKEN_SIGNING_KEYS) as { secret: string }[])[0]!.secret);
  const kid = () => (JSON.parse(env.TOKEN_SIGNING_KEYS) as { kid: string }[])[0]!.kid;
  const forge = (o: { aud?: string; iss?: string; exp?: number; alg?: string; sub?: string; org?: string }) =>
    new SignJWT({ org: o.org ?? orgId, scope: "fhir:read" })
      .setProtectedHeader({ alg: o.alg ?? "HS256", kid: kid() })
      .setSubject(o.sub ?? client.client_id)
      .setIssuer(o.iss ?? env.TOKEN_ISSUER)
      .setAudience(o.aud ?? env.TOKEN_AUDIENCE)
      .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(secret());

  it("accepts a correctly signed token for a live client", async () => {
    expect((await callJson("/auth/me", { auth: await forge({}) })).status).toBe(200);
  });
  it("rejects a wrong audience or issuer", async () => {
    expect((await callJson("/auth/me", { auth: await forge({ aud: "someone-else" }) })).status).toBe(401);
    expect((await callJson("/auth/me", { auth: await forge({ iss: "evil" }) })).status).toBe(401);
  });
  it("rejects an expired token", async () => {
    expect(
      (await callJson("/auth/me", { auth: await forge({ exp: Math.floor(Date.now() / 1000) - 10 }) })).status,
    ).toBe(401);
  });
  it("rejects alg:none and other algorithms", async () => {
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const payload = {
      org: orgId,
      sub: client.client_id,
      scope: "fhir:read",
      iss: env.TOKEN_ISSUER,
      aud: env.TOKEN_AUDIENCE,
      exp: 9999999999,
    };
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
    expect((await callJson("/auth/me", { auth: none })).status).toBe(401);
    expect((await callJson("/auth/me", { auth: await forge({ alg: "HS512" }) })).status).toBe(401);
  });
  it("rejects a tampered payload", async () => {
    const token = await tokenFor(client);
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(atob(p!.replace(/-/g, "+").replace(/_/g, "/")));
    claims.scope = "*";
    const tampered = `${h}.${btoa(JSON.stringify(claims)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.${s}`;
    expect((await callJson("/auth/me", { auth: tampered })).status).toBe(401);
  });
  it("rejects a token whose org does not own the client (cross-tenant forgery)", async () => {
    const other = await createOrg();
    expect((await callJson("/auth/me", { auth: await forge({ org: other.orgId }) })).status).toBe(401);
  });
});

describe("SMART discovery", () => {
  it("serves /.well-known/smart-configuration at the root and under a store base", async () => {
    for (const path of ["/.well-known/smart-configuration", "/fhir/any-store/.well-known/smart-configuration"]) {
      const { status, body } = await callJson<{
        token_endpoint: string;
        grant_types_supported: string[];
        capabilities: string[];
      }>(path);
      expect(status).toBe(200);
      expect(body.token_endpoint).toBe("http://hearth.test/v2/auth/token");
      expect(body.grant_types_supported).toEqual(["client_credentials"]);
      expect(body.capabilities).toEqual(expect.arrayContaining(["permission-v1", "permission-v2"]));
    }
  });
});
