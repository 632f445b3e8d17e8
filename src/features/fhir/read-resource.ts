import { errors } from "../../platform/errors";
import { assertReadable, authorize, needsResourceCheck } from "./access";
import type { FhirCtx } from "./fhir-ctx";
import { type PrefetchedRead, prefetchedRow } from "./read-prefetch";
import { type HistoryRow, readCurrent, readVersion, type VersionRow } from "./repo/rows";
import { isValidId } from "./resource-json";
import type { FhirResource } from "./validation";

export const notFoundResource = (type: string, id: string) =>
  errors.notFound(`${type}/${id} is not known`, { code: "resource_not_found" });

/** 410 with the deletion's version (FHIR R4 http.html#read: "a 410 Gone ... if the resource was deleted"). */
export const goneResource = (row: VersionRow) =>
  errors.gone(`${row.resourceType}/${row.id} was deleted`, {
    code: "resource_deleted",
    headers: { ETag: `W/"${row.versionId}"` },
  });

/** read (FHIR R4 http.html#read): 404 unknown, 410 deleted. */
export async function readResource({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  /** `prefetched`: the row requested before authentication (read-prefetch.ts), used only if it matches. */
  input: { resourceType: string; id: string; prefetched?: PrefetchedRead };
}): Promise<VersionRow> {
  const grant = authorize(ctx, "read", input.resourceType);
  if (!isValidId(input.id)) throw notFoundResource(input.resourceType, input.id);
  const prefetched = prefetchedRow(input.prefetched, ctx.store.id, input.resourceType, input.id);
  const row = prefetched
    ? prefetched.row
    : await readCurrent(ctx.services.db, ctx.store.id, input.resourceType, input.id);
  if (!row) throw notFoundResource(input.resourceType, input.id);
  if (row.deleted) throw goneResource(row);
  if (needsResourceCheck(grant)) await assertReadable(ctx, grant, JSON.parse(row.body) as FhirResource);
  return row;
}

/** vread (FHIR R4 http.html#vread): one version; a deletion version answers 410. */
export async function vreadResource({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; id: string; versionId: string };
}): Promise<HistoryRow> {
  const grant = authorize(ctx, "vread", input.resourceType);
  const vid = /^[1-9][0-9]{0,14}$/.test(input.versionId) ? Number(input.versionId) : null;
  if (!isValidId(input.id) || vid === null) {
    throw errors.notFound(`${input.resourceType}/${input.id}/_history/${input.versionId} is not known`, {
      code: "version_not_found",
    });
  }
  const row = await readVersion(ctx.services.db, ctx.store.id, input.resourceType, input.id, vid);
  if (!row) {
    throw errors.notFound(`${input.resourceType}/${input.id}/_history/${input.versionId} is not known`, {
      code: "version_not_found",
    });
  }
  if (row.deleted) throw goneResource(row);
  if (needsResourceCheck(grant)) await assertReadable(ctx, grant, JSON.parse(row.body) as FhirResource);
  return row;
}
