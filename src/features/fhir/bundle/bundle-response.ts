/**
 * transaction-response / batch-response (FHIR R4 http.html#transaction-response): one entry per request
 * entry, same order, with response.status/location/etag/lastModified; a failed batch entry carries an
 * OperationOutcome. Resources are included with `Prefer: return=representation` (writes) and always
 * for reads; `return=OperationOutcome` adds an informational outcome to each write.
 */
import { operationOutcomeOf } from "../../../platform/error-response";
import type { Prefer } from "../http/negotiate";
import { informationOutcome } from "../http/respond";
import { type BundleResult, type EntryResult, statusLine } from "./bundle-result";

function entryJson(base: string, r: EntryResult, prefer: Prefer): string {
  const response: Record<string, unknown> = { status: statusLine(r.status) };
  if (r.location) response.location = r.location;
  if (r.etag) response.etag = r.etag;
  if (r.lastModified) response.lastModified = r.lastModified;
  if (r.error) response.outcome = operationOutcomeOf(r.error);
  const isRead = r.outcome === "read";
  if (!r.error && !isRead && prefer.return === "OperationOutcome") {
    response.outcome = informationOutcome(`${r.outcome ?? "done"}${r.location ? `: ${r.location}` : ""}`);
  }
  const entry: Record<string, unknown> = {};
  const withResource = r.body !== undefined && (isRead || prefer.return === "representation");
  if (withResource && r.resourceType && r.id) entry.fullUrl = `${base}/${r.resourceType}/${r.id}`;
  entry.response = response;
  const json = JSON.stringify(entry);
  return withResource ? `${json.slice(0, -1)},"resource":${r.body}}` : json;
}

export function bundleResponseJson(base: string, result: BundleResult, prefer: Prefer): string {
  const head = JSON.stringify({
    resourceType: "Bundle",
    type: result.type === "transaction" ? "transaction-response" : "batch-response",
  });
  const entries = result.results.map((r) => entryJson(base, r, prefer));
  return `${head.slice(0, -1)},"entry":[${entries.join(",")}]}`;
}
