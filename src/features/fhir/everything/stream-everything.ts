/**
 * Streams a $everything searchset Bundle (seed 001: "we start sending data to your client as soon as we
 * find even one FHIR record"). A pull-based ReadableStream: the Bundle header (total, links) goes out
 * first, then each pull reads the next few hundred bodies from D1 by primary key and writes them as
 * entries. The runtime pulls only when the client has taken what was sent, so a slow reader holds the
 * Worker to one chunk in flight plus one queued, never the whole record.
 */
import { nowIso } from "../../../platform/clock";
import { randomId } from "../../../platform/ids";
import { logError } from "../../../platform/logging";
import type { EverythingEntryRef, EverythingPlan } from "./plan-everything";

/** Rows per D1 read. The first read is small so the first entries follow the header quickly. */
const FIRST_CHUNK = 50;
const CHUNK = 250;

interface BodyRow {
  n: number;
  body: string;
}

async function readBodies(db: D1Database, storeId: string, refs: EverythingEntryRef[]): Promise<(string | null)[]> {
  const res = await db
    .prepare(
      `SELECT j.key AS n, f.body AS body FROM json_each(?2) j
       CROSS JOIN fhir_resources f ON f.store_id = ?1 AND f.resource_type = j.value->>0 AND f.id = j.value->>1
       WHERE f.deleted = 0`,
    )
    .bind(storeId, JSON.stringify(refs.map((r) => [r.type, r.id])))
    .all<BodyRow>();
  const out: (string | null)[] = refs.map(() => null);
  for (const r of res.results) out[r.n] = r.body;
  return out;
}

export interface StreamOptions {
  db: D1Database;
  base: string;
  pretty: boolean;
  requestId: string;
}

/** The Bundle as a byte stream; entries are the stored JSON of each resource, never re-parsed unless pretty. */
export function everythingStream(plan: EverythingPlan, o: StreamOptions): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const header = {
    resourceType: "Bundle",
    id: randomId(),
    meta: { lastUpdated: nowIso() },
    type: "searchset",
    total: plan.total,
    link: plan.links,
  };
  const headerText = JSON.stringify(header, null, o.pretty ? 2 : undefined);
  const base = o.base.replace(/\/$/, "");
  let next = 0;
  let written = 0;
  let stage: "header" | "entries" | "done" = "header";

  const entryText = (ref: EverythingEntryRef, body: string): string => {
    const resource = o.pretty ? JSON.stringify(JSON.parse(body), null, 2) : body;
    // Bodies are compact JSON written by the repository; splicing avoids a parse + stringify per entry.
    return `{"fullUrl":${JSON.stringify(`${base}/${ref.type}/${ref.id}`)},"search":{"mode":"match"},"resource":${resource}}`;
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (stage === "header") {
            stage = plan.page.length ? "entries" : "done";
            const open = headerText.slice(0, headerText.lastIndexOf("}"));
            controller.enqueue(enc.encode(plan.page.length ? `${open},"entry":[` : headerText));
            if (stage === "done") controller.close();
            return;
          }
          if (stage !== "entries") return;
          const size = next === 0 ? FIRST_CHUNK : CHUNK;
          const refs = plan.page.slice(next, next + size);
          next += refs.length;
          const bodies = await readBodies(o.db, plan.storeId, refs);
          const parts: string[] = [];
          bodies.forEach((body, i) => {
            // A resource deleted since the key list was built is skipped (the total was already sent).
            if (body === null) return;
            parts.push(`${written++ > 0 ? "," : ""}${entryText(refs[i]!, body)}`);
          });
          if (next >= plan.page.length) {
            parts.push("]}");
            stage = "done";
          }
          controller.enqueue(enc.encode(parts.join("")));
          if (stage === "done") controller.close();
        } catch (err) {
          // Headers are already sent: the only honest signal left is a broken body.
          logError(o.requestId, err);
          stage = "done";
          controller.error(err);
        }
      },
      cancel() {
        stage = "done";
      },
    },
    new CountQueuingStrategy({ highWaterMark: 1 }),
  );
}
