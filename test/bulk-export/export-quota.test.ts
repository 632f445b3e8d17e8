import { afterAll, describe, expect, it } from "vitest";
import { MAX_ACTIVE_EXPORTS } from "../../src/features/bulk-export/kick-off-export";
import { newStore } from "../fhir/rest/fhir-helpers";
import { call, createKey } from "../harness";
import { drainExports } from "./helpers";

// Kick-offs put messages on the real JOBS queue: let its consumer finish before the file ends.
afterAll(() => drainExports());

const ASYNC = { Prefer: "respond-async", Accept: "application/fhir+json" };

/** D1 round trips of a response (Server-Timing `d1;desc="N round trips, ..."`). */
const tripsOf = (res: Response) =>
  Number(/d1;dur=[\d.]+;desc="(\d+) round trips?/.exec(res.headers.get("Server-Timing") ?? "")?.[1] ?? 0);

describe("$export kick-off quota", () => {
  it("refuses a credential's export beyond the running limit (429), counted and recorded in one statement", async () => {
    const s = await newStore();
    // Well inside the queue's first delivery (1 s): none of these jobs has started yet.
    for (let i = 0; i < MAX_ACTIVE_EXPORTS; i++) {
      const res = await call(`${s.base}/$export?_type=Patient`, { auth: s.key, headers: ASYNC });
      expect(res.status).toBe(202);
      // Credential + store, the job insert (with its quota check); the audit row is written later.
      expect(tripsOf(res)).toBe(2);
      await res.arrayBuffer();
    }
    const refused = await call(`${s.base}/$export?_type=Patient`, { auth: s.key, headers: ASYNC });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("60");
    await refused.arrayBuffer();
    // The quota is per credential: another key of the organization still starts an export.
    const other = await createKey(s.orgId, ["fhir:read"]);
    const res = await call(`${s.base}/$export?_type=Patient`, { auth: other, headers: ASYNC });
    expect(res.status).toBe(202);
    await res.arrayBuffer();
  });
});
