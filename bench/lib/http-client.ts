/**
 * The benchmarks' HTTP client: node:http(s) over one keep-alive agent. Node's global `fetch` (undici)
 * adds about 1.8 ms per request on this machine (measured against an unknown route: fetch p50 2.8 ms,
 * node:http p50 1.0 ms), which would be charged to the server in every figure.
 */
import http from "node:http";
import https from "node:https";

const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  bytes: number;
  /** Milliseconds from sending to the first body byte (or the end, for an empty body). */
  firstByteMs: number;
  totalMs: number;
}

export function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpReply> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  const agent = agents[u.protocol as keyof typeof agents];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = mod.request(u, { method: init.method ?? "GET", headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let first = -1;
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        if (first < 0) first = performance.now() - t0;
        bytes += c.length;
        chunks.push(c);
      });
      res.on("end", () => {
        const totalMs = performance.now() - t0;
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers,
          text: Buffer.concat(chunks).toString("utf8"),
          bytes,
          firstByteMs: first < 0 ? totalMs : first,
          totalMs,
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
