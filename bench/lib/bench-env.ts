/**
 * Shared setup of the benchmarks: where the dev server is, the admin token, and a fresh tenant + store
 * created through the public API (nothing is written to the database directly).
 */
import { existsSync, readFileSync } from "node:fs";
import { httpRequest } from "./http-client";

export const BENCH_URL = (process.env.BENCH_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");

/** HEARTH_ADMIN_TOKEN from the environment, .dev.vars, or .dev.vars.example (the dev default). */
export function adminToken(): string {
  if (process.env.HEARTH_ADMIN_TOKEN) return process.env.HEARTH_ADMIN_TOKEN;
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    if (!existsSync(file)) continue;
    const m = /^HEARTH_ADMIN_TOKEN=(.*)$/m.exec(readFileSync(file, "utf8"));
    if (m?.[1]?.trim()) return m[1].trim();
  }
  return "dev-admin-token-change-me";
}

export async function request(
  method: string,
  path: string,
  init: { token?: string; body?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["Content-Type"] = init.contentType ?? "application/fhir+json";
  const res = await httpRequest(`${BENCH_URL}${path}`, { method, headers, body: init.body });
  return { status: res.status, text: res.text, headers: res.headers };
}

export async function waitForServer(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    try {
      const r = await httpRequest(`${BENCH_URL}/health`);
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`No Hearth dev server answers at ${BENCH_URL} (start one with npm run dev, or set BENCH_URL)`);
}

export interface BenchTenant {
  orgId: string;
  key: string;
  storeId: string;
  base: string;
}

/** A new organization (admin API) and a new FHIR store in it (stores API). */
export async function createTenant(label: string): Promise<BenchTenant> {
  await waitForServer();
  const org = await request("POST", "/admin/organizations", {
    token: adminToken(),
    body: JSON.stringify({ name: `bench ${label} ${new Date().toISOString()}` }),
    contentType: "application/json",
  });
  if (org.status !== 201) throw new Error(`creating the organization failed: ${org.status} ${org.text}`);
  const { id: orgId, apiKey } = JSON.parse(org.text).data as { id: string; apiKey: { key: string } };
  const store = await request("POST", "/api/fhirserver/create", {
    token: apiKey.key,
    body: JSON.stringify({ name: `bench-${label}`, region: "global", fhirVersion: "R4", type: "serverless" }),
    contentType: "application/json",
  });
  if (store.status !== 201) throw new Error(`creating the store failed: ${store.status} ${store.text}`);
  const storeId = (JSON.parse(store.text).data as { id: string }).id;
  return { orgId, key: apiKey.key, storeId, base: `/fhir/${storeId}` };
}
