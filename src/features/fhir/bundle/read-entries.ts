/**
 * GET entries of a batch/transaction: read, vread, search, history, with the entry-level conditional
 * read headers ifNoneMatch (ETag) and ifModifiedSince (FHIR R4 bundle.html, Bundle.entry.request).
 */
import { errors } from "../../../platform/errors";
import type { FhirCtx } from "../fhir-ctx";
import { readHistory } from "../read-history";
import { readResource, vreadResource } from "../read-resource";
import { etagOf, versionFromEtag } from "../resource-json";
import { searchType } from "../search-type";
import type { EntryResult } from "./bundle-result";
import type { ParsedEntry } from "./parse-bundle";

export async function runReadEntry(ctx: FhirCtx, e: ParsedEntry): Promise<EntryResult> {
  const index = e.index;
  const params = new URLSearchParams(e.query ?? "");
  switch (e.kind) {
    case "read":
    case "vread": {
      const row =
        e.kind === "read"
          ? await readResource({ ctx, input: { resourceType: e.resourceType!, id: e.id! } })
          : await vreadResource({ ctx, input: { resourceType: e.resourceType!, id: e.id!, versionId: e.versionId! } });
      const version = {
        resourceType: row.resourceType,
        id: row.id,
        versionId: row.versionId,
        etag: etagOf(row.versionId),
        lastModified: row.lastUpdated,
        location: `${row.resourceType}/${row.id}/_history/${row.versionId}`,
      };
      if (e.ifNoneMatch !== null && versionFromEtag(e.ifNoneMatch) === row.versionId) {
        return { index, status: 304, outcome: "not-modified", ...version };
      }
      if (e.ifModifiedSince !== null) {
        const since = Date.parse(e.ifModifiedSince);
        if (Number.isNaN(since))
          throw errors.invalid(`ifModifiedSince '${e.ifModifiedSince}' is not a date`, { code: "invalid_header" });
        // HTTP dates have second precision: compare at that precision.
        if (Math.floor(Date.parse(row.lastUpdated) / 1000) <= Math.floor(since / 1000)) {
          return { index, status: 304, outcome: "not-modified", ...version };
        }
      }
      return { index, status: 200, outcome: "read", ...version, body: row.body };
    }
    case "search": {
      const bundle = await searchType({ ctx, input: { resourceType: e.resourceType, params, strict: false } });
      return { index, status: 200, outcome: "read", body: JSON.stringify(bundle) };
    }
    case "history-instance":
    case "history-type":
    case "history-system": {
      const body = await readHistory({
        ctx,
        input: { resourceType: e.resourceType ?? undefined, id: e.id ?? undefined, params },
      });
      return { index, status: 200, outcome: "read", body };
    }
    default:
      throw errors.invalid(`Unsupported entry ${e.method} ${e.url}`, { code: "invalid_request_url" });
  }
}
