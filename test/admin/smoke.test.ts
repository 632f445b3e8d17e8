import { describe, expect, it } from "vitest";
import { call, callJson, createOrg } from "../harness";

describe("smoke", () => {
  it("health and org bootstrap", async () => {
    const h = await callJson("/health");
    expect(h.status).toBe(200);
    const org = await createOrg("Acme");
    expect(org.key).toMatch(/^hk_/);
    const r = await call("/openapi.json");
    expect(r.status).toBe(200);
  });
});
