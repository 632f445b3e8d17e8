/**
 * batch and transaction (FHIR R4 http.html#transaction, bundle.html#references).
 *
 * Processing order per R4 http.html#trules: DELETE, then POST, then PUT/PATCH, then GET. Identities
 * are settled first (new ids for POST, conditional matches), then every reference to a bundle fullUrl
 * (urn:uuid:, urn:oid:, absolute) or conditional reference (`Type?criteria`) is rewritten anywhere in
 * every resource, then resources are validated, current versions read in one query, and all writes go
 * to D1 as ONE db.batch(): a transaction is all-or-nothing. A batch runs its entries independently:
 * failed entries get an OperationOutcome, the others are committed together (and one by one if that
 * joint commit fails). GET entries run after the writes and see them.
 */
import { nowIso } from "../../../platform/clock";
import { AppError, errors } from "../../../platform/errors";
import { randomId } from "../../../platform/ids";
import { type AuditEntry, auditStatement } from "../../audit/record-audit";
import type { FhirInteraction } from "../../auth/scopes";
import { assertInCompartment, authorize, type FhirGrant } from "../access";
import { uniqueViolations } from "../commit-writes";
import type { FhirCtx } from "../fhir-ctx";
import { criteriaParams, tooManyMatches } from "../find-matches";
import { findMatchesMany } from "../find-matches-many";
import type { Prefer } from "../http/negotiate";
import { maxBundleEntries } from "../limits";
import { applyFhirPathPatch, applyJsonPatch } from "../patch";
import { assertIdMatches, checkedResource, deleteOp, newVersionOp, updateOp } from "../plan-write";
import { goneResource, notFoundResource } from "../read-resource";
import { mapReferences } from "../references";
import { commitBatch } from "../repo/commit";
import { keyOf, readCurrentMany, type VersionRow } from "../repo/rows";
import { type WriteOp, writeStatements } from "../repo/write-ops";
import { etagOf, isJsonObject } from "../resource-json";
import { customParamsOf } from "../search/custom-params";
import { assertCurrentWritable, checkIfMatch } from "../update-resource";
import type { FhirResource } from "../validation";
import type { BundleResult, EntryResult } from "./bundle-result";
import {
  addWritten,
  type BundleWrites,
  criteriaKey,
  emptyBundleWrites,
  resolveConditionalRefs,
} from "./conditional-refs";
import { type BundleEntryError, entryError } from "./entry-error";
import { mapLimit } from "./map-limit";
import { type EntryKind, type ParsedEntry, parseBundle } from "./parse-bundle";
import { runReadEntry } from "./read-entries";

export interface BundleOptions {
  prefer: Prefer;
  /**
   * Seed 003 ingestion: a POST whose fullUrl is `urn:uuid:<uuid>` writes `Type/<uuid>` (create or
   * update), so resubmitting a bundle updates the same resources and identical data adds no version.
   */
  idempotentFullUrls?: boolean;
  /** Only this Bundle.type is accepted (ingestion takes transactions only). */
  requireType?: "batch" | "transaction";
  /** Statements committed atomically with a transaction's writes (e.g. the ingestion record). */
  extraStatements?: (results: EntryResult[]) => D1PreparedStatement[];
  audit?: Omit<AuditEntry, "outcome">;
}

/** How many GET entries run at once. */
const READ_CONCURRENCY = 8;

const UUID_URN_RE = /^urn:uuid:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
const ABS_REST_RE = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

const interactionOf: Record<EntryKind, FhirInteraction> = {
  create: "create",
  update: "update",
  "cond-update": "update",
  patch: "patch",
  "cond-patch": "patch",
  delete: "delete",
  "cond-delete": "delete",
  read: "read",
  vread: "vread",
  search: "search",
  "history-instance": "history-instance",
  "history-type": "history-type",
  "history-system": "history-system",
};

const WRITE_ORDER: Partial<Record<EntryKind, number>> = {
  delete: 0,
  "cond-delete": 0,
  create: 1,
  update: 2,
  "cond-update": 2,
  patch: 2,
  "cond-patch": 2,
};

interface Work {
  e: ParsedEntry;
  grant?: FhirGrant;
  failed?: BundleEntryError;
  /** The id written (or matched). */
  targetId?: string;
  /** If-None-Exist matched this existing resource: nothing is written. */
  existing?: boolean;
  /** Conditional delete without a match. */
  noop?: boolean;
  /** Conditional update without a match whose body names an id: must not exist yet. */
  mustNotExist?: boolean;
  /** Ingestion: POST written as create-or-update of Type/<uuid>. */
  upsert?: boolean;
  /** An earlier create of this bundle with the same If-None-Exist, which this entry resolves to. */
  twin?: Work;
  resource?: FhirResource;
  /** Current row of the target before this bundle (unchanged updates and If-None-Exist answer with it). */
  current?: VersionRow | null;
  op?: WriteOp | null;
  result?: EntryResult;
}

const isWrite = (k: EntryKind) => WRITE_ORDER[k] !== undefined;

export async function processBundle({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { bundle: unknown; options: BundleOptions };
}): Promise<BundleResult> {
  const { options } = input;
  const parsed = parseBundle(input.bundle, ctx.base, maxBundleEntries(ctx.services.env));
  if (options.requireType && parsed.type !== options.requireType) {
    throw errors.invalid(`Bundle.type must be '${options.requireType}' (got '${parsed.type}')`, {
      code: "invalid_bundle",
    });
  }
  const isTx = parsed.type === "transaction";
  const work: Work[] = parsed.entries.map((e) => ({ e }));
  const live = () => work.filter((w) => !w.failed);
  const fail = (w: Work, err: unknown) => {
    const wrapped = entryError(w.e.index, err);
    if (isTx) throw wrapped;
    w.failed = wrapped;
  };
  const attempt = (w: Work, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      fail(w, err);
    }
  };
  const at = nowIso();

  // 1. Authorisation of every write; each resource targeted at most once (R4 http.html#trules).
  const targets = new Map<string, number>();
  for (const w of work) {
    if (!isWrite(w.e.kind)) continue;
    attempt(w, () => {
      w.grant = authorize(ctx, interactionOf[w.e.kind], w.e.resourceType!);
      if (w.e.id) {
        const key = keyOf(w.e.resourceType!, w.e.id);
        const first = targets.get(key);
        if (first !== undefined) {
          throw errors.invalid(`${key} is also the target of entry ${first}; a resource may appear only once`, {
            code: "duplicate_target",
          });
        }
        targets.set(key, w.e.index);
      }
    });
  }

  // 2. Conditional matches (If-None-Exist, conditional update/patch/delete), each distinct search once.
  await resolveConditionalTargets(ctx, live(), fail);

  // 3. Ids of creates, and the fullUrl → Type/id map.
  const fullUrls = new Map<string, string>();
  const createdByCriteria = new Map<string, Work>();
  for (const w of live()) {
    const { e } = w;
    if (e.kind === "create" && !w.existing) {
      const criteria = e.ifNoneExist ? `${e.resourceType}?${e.ifNoneExist}` : null;
      const twin = criteria ? createdByCriteria.get(criteria) : undefined;
      if (twin) {
        // Two creates with the same If-None-Exist in one bundle: the second finds the first.
        w.existing = true;
        w.targetId = twin.targetId;
        w.twin = twin;
      } else {
        const uuid = options.idempotentFullUrls && e.fullUrl ? UUID_URN_RE.exec(e.fullUrl)?.[1] : undefined;
        w.upsert = uuid !== undefined;
        w.targetId = uuid ? uuid.toLowerCase() : randomId();
        if (criteria) createdByCriteria.set(criteria, w);
      }
    } else if (e.kind === "update" || e.kind === "patch" || e.kind === "delete") {
      w.targetId = e.id!;
    }
    if (e.fullUrl && w.targetId && (e.kind === "create" || e.kind === "update" || e.kind === "cond-update")) {
      const local = `${e.resourceType}/${w.targetId}`;
      fullUrls.set(e.fullUrl, local);
      // An absolute fullUrl also names its resource by the relative Type/id (bundle.html#references).
      const abs = ABS_REST_RE.exec(e.fullUrl);
      if (abs && e.kind === "create" && /^https?:/i.test(e.fullUrl)) fullUrls.set(`${abs[1]}/${abs[2]}`, local);
    }
  }

  // Conditional matches and fullUrl-derived ids may land on the same resource twice: refused like explicit ids.
  const resolvedTargets = new Map<string, number>();
  for (const w of live()) {
    if (!isWrite(w.e.kind) || !w.targetId || w.existing || w.noop) continue;
    const key = keyOf(w.e.resourceType!, w.targetId);
    const first = resolvedTargets.get(key);
    if (first !== undefined) {
      fail(
        w,
        errors.invalid(`${key} is also the target of entry ${first}; a resource may appear only once`, {
          code: "duplicate_target",
        }),
      );
    } else resolvedTargets.set(key, w.e.index);
  }

  // 4. Conditional references, resolved by search once per distinct reference; in a transaction
  //    against the state after its writes (R4 http.html#trules, conditional-refs.ts).
  const writers = live().filter(
    (w) => !w.existing && (w.e.kind === "create" || w.e.kind === "update" || w.e.kind === "cond-update"),
  );
  const conditional = await resolveConditionalRefs(
    ctx,
    writers.filter((w) => !w.failed),
    (w) => w.e.resource,
    fail,
    isTx ? await bundleWrites(ctx, live()) : null,
  );

  // 5. Rewrite references, validate, check identity rules.
  for (const w of writers) {
    if (w.failed) continue;
    attempt(w, () => {
      const resource = w.e.resource as FhirResource;
      let unresolved: string | undefined;
      mapReferences(
        resource,
        (ref) => {
          const local = fullUrls.get(ref) ?? conditional.get(ref);
          if (local === undefined && UUID_URN_RE.test(ref)) unresolved ??= ref;
          return local;
        },
        (url) => fullUrls.get(url),
      );
      if (unresolved) {
        throw errors.invalid(`Reference '${unresolved}' does not match the fullUrl of any entry in the Bundle`, {
          code: "unresolved_reference",
        });
      }
      const checked = checkedResource(resource, w.e.resourceType!);
      if (w.e.kind === "update") assertIdMatches(checked, w.e.id!);
      assertInCompartment(w.grant!, checked);
      w.resource = checked;
    });
  }

  // 6. Current versions of every resource written (not of fresh server-assigned ids), in one query.
  const keys = live()
    .filter((w) => isWrite(w.e.kind) && w.targetId && !w.noop && (w.e.kind !== "create" || w.upsert || w.existing))
    .map((w) => ({ resourceType: w.e.resourceType!, id: w.targetId! }));
  const current = await readCurrentMany(ctx.services.db, ctx.store.id, keys);

  // 7. Plan the writes in processing order.
  const ordered = live()
    .filter((w) => isWrite(w.e.kind))
    .sort((a, b) => WRITE_ORDER[a.e.kind]! - WRITE_ORDER[b.e.kind]! || a.e.index - b.e.index);
  for (const w of ordered) {
    if (w.failed) continue;
    w.current = w.targetId ? (current.get(keyOf(w.e.resourceType!, w.targetId)) ?? null) : null;
    attempt(w, () => planEntry(ctx, w, w.current ?? null, at));
  }

  // A batch entry that resolved to its twin's resource fails with the twin.
  for (const w of live()) if (w.twin?.failed) fail(w, w.twin.failed.original);

  // 8. Uniqueness rules over everything this bundle writes.
  const ops = () => live().flatMap((w) => (w.op ? [w.op] : []));
  const violations = await uniqueViolations(ctx, ops());
  for (const w of live()) {
    const v = w.op ? violations.get(w.op) : undefined;
    if (v) fail(w, v);
  }

  // 9. Commit.
  const writeOps = ops();
  const results = (): EntryResult[] => work.map((w) => w.result ?? { index: w.e.index, status: 500 });
  for (const w of live()) if (isWrite(w.e.kind)) w.result = writeResult(w);
  const auditEntries = (n: number): AuditEntry => ({
    action: options.audit?.action ?? (isTx ? "fhir.transaction" : "fhir.batch"),
    entityType: options.audit?.entityType ?? "Bundle",
    entityId: options.audit?.entityId ?? null,
    storeId: ctx.store.id,
    outcome: 200,
    detail: `entries=${work.length} written=${n}`,
  });
  const db = ctx.services.db;
  const custom = await customParamsOf(db, ctx.store.id, ctx.store.searchParamsVersion);
  const statements = (list: WriteOp[]) =>
    writeStatements(db, ctx.store.id, list, ctx.store.settings.uniqueIdentifiers, custom);
  if (isTx) {
    await commitBatch(db, [
      ...statements(writeOps),
      auditStatement(ctx, auditEntries(writeOps.length)),
      ...(options.extraStatements?.(results()) ?? []),
    ]);
  } else if (writeOps.length) {
    try {
      await commitBatch(db, [...statements(writeOps), auditStatement(ctx, auditEntries(writeOps.length))]);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // One entry spoiled the joint commit (e.g. a concurrent write): commit them one at a time.
      for (const w of live()) {
        if (!w.op) continue;
        try {
          await commitBatch(db, statements([w.op]));
        } catch (e) {
          fail(w, e);
        }
      }
    }
  }

  // 10. Reads, after the writes.
  const reads = work.filter((w) => !w.failed && !isWrite(w.e.kind));
  await mapLimit(reads, READ_CONCURRENCY, async (w) => {
    try {
      w.result = await runReadEntry(ctx, w.e);
    } catch (err) {
      w.failed = entryError(w.e.index, err);
    }
  });

  const byIndex = new Map(work.map((w) => [w.e.index, w]));
  const all: EntryResult[] = [];
  const total = parsed.entries.length + parsed.failures.size;
  for (let i = 0; i < total; i++) {
    const parseFailure = parsed.failures.get(i);
    const w = byIndex.get(i);
    const err = parseFailure ?? w?.failed;
    if (err) all.push({ index: i, status: err.status, error: err });
    else all.push(w!.result ?? { index: i, status: 500 });
  }
  return { type: parsed.type, results: all };
}

/** Settles the targets of conditional entries by search (FHIR R4 http.html#ccreate, #cond-update, #cdelete). */
async function resolveConditionalTargets(ctx: FhirCtx, work: Work[], fail: (w: Work, err: unknown) => void) {
  const lookups = new Map<string, { type: string; params: URLSearchParams; what: string }>();
  const criteriaOf = new Map<Work, string>();
  for (const w of work) {
    const { e } = w;
    let query: string | null = null;
    let what = "";
    if (e.kind === "create" && e.ifNoneExist) [query, what] = [e.ifNoneExist, "ifNoneExist"];
    else if (e.kind === "cond-update" || e.kind === "cond-patch" || e.kind === "cond-delete") {
      [query, what] = [e.query, `Conditional ${e.method}`];
    }
    if (query === null) continue;
    try {
      const params = criteriaParams(query, what);
      const key = `${e.resourceType}?${params}`;
      if (!lookups.has(key)) lookups.set(key, { type: e.resourceType!, params, what });
      criteriaOf.set(w, key);
    } catch (err) {
      fail(w, err);
    }
  }
  const list = [...lookups.entries()];
  const settled = await findMatchesMany(
    ctx,
    list.map(([, l]) => ({ resourceType: l.type, params: l.params })),
  );
  const matches = new Map(list.map(([key], i) => [key, settled[i]!]));
  for (const [w, key] of criteriaOf) {
    const m = matches.get(key)!;
    if (!m.ok) {
      fail(w, m.error);
      continue;
    }
    const ids = m.ids;
    const { e } = w;
    try {
      if (ids.length > 1) throw tooManyMatches(lookups.get(key)!.what, ids.length);
      const id = ids[0];
      switch (e.kind) {
        case "create":
          if (id) {
            w.existing = true;
            w.targetId = id;
          }
          break;
        case "cond-update": {
          const bodyId = isJsonObject(e.resource) && typeof e.resource.id === "string" ? e.resource.id : undefined;
          if (id && bodyId !== undefined && bodyId !== id) {
            throw errors.invalid(
              `The resource id '${bodyId}' differs from the matching resource ${e.resourceType}/${id}`,
              {
                code: "id_mismatch",
              },
            );
          }
          w.targetId = id ?? bodyId ?? randomId();
          w.mustNotExist = !id && bodyId !== undefined;
          if (isJsonObject(e.resource)) e.resource.id = w.targetId;
          break;
        }
        case "cond-patch":
          if (!id) throw errors.notFound(`No ${e.resourceType} matches '${e.query}'`, { code: "resource_not_found" });
          w.targetId = id;
          break;
        case "cond-delete":
          if (id) w.targetId = id;
          else w.noop = true;
          break;
      }
    } catch (err) {
      fail(w, err);
    }
  }
}

/** What a transaction writes, for its conditional references (conditional-refs.ts). */
async function bundleWrites(ctx: FhirCtx, work: Work[]): Promise<BundleWrites> {
  const writes = emptyBundleWrites(await customParamsOf(ctx.services.db, ctx.store.id, ctx.store.searchParamsVersion));
  for (const w of work) {
    const { e } = w;
    const type = e.resourceType!;
    if (e.kind === "create" && e.ifNoneExist && w.targetId) {
      writes.byIfNoneExist.set(criteriaKey(type, e.ifNoneExist, "ifNoneExist"), keyOf(type, w.targetId));
    }
    if (!w.targetId || w.noop || w.existing) continue;
    if (e.kind === "create" || e.kind === "update" || e.kind === "cond-update") {
      addWritten(writes, type, w.targetId, e.resource);
    } else if (e.kind === "delete" || e.kind === "cond-delete") writes.deleted.add(keyOf(type, w.targetId));
  }
  return writes;
}

/** JSON Patch documents in a bundle travel as a Binary (FHIR R4 http.html#transaction, "patch"). */
function patchOf(resource: Record<string, unknown>): { format: "json" | "fhirpath"; patch: unknown } {
  if (resource.resourceType === "Parameters") return { format: "fhirpath", patch: resource };
  if (resource.resourceType === "Binary") {
    if (typeof resource.data !== "string")
      throw errors.invalid("The patch Binary has no data", { code: "invalid_patch" });
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
        Uint8Array.from(atob(resource.data), (c) => c.charCodeAt(0)),
      );
    } catch {
      throw errors.invalid("The patch Binary's data is not base64-encoded UTF-8", { code: "invalid_patch" });
    }
    try {
      return { format: "json", patch: JSON.parse(text) };
    } catch {
      throw errors.invalid("The patch Binary does not hold a JSON Patch document", { code: "invalid_patch" });
    }
  }
  throw errors.invalid("A PATCH entry's resource must be a Binary (JSON Patch) or Parameters (FHIRPath Patch)", {
    code: "invalid_patch",
  });
}

/** Decides the write of one entry given the current row of its target. */
function planEntry(ctx: FhirCtx, w: Work, cur: VersionRow | null, at: string): void {
  const { e } = w;
  const grant = w.grant!;
  switch (e.kind) {
    case "delete":
    case "cond-delete":
      if (w.noop) return;
      checkIfMatch(e.ifMatch, cur);
      assertCurrentWritable(grant, cur);
      w.op = deleteOp(cur, at);
      return;
    case "create":
      if (w.existing) return;
      if (!w.upsert) {
        w.op = newVersionOp(w.resource!, w.targetId!, null, at, "POST");
        return;
      }
      assertCurrentWritable(grant, cur);
      if (cur && !cur.deleted) authorize(ctx, "update", e.resourceType!);
      w.op =
        !cur || cur.deleted
          ? newVersionOp(w.resource!, w.targetId!, cur, at, "POST")
          : updateOp(cur, w.resource!, w.targetId!, at, "PUT");
      return;
    case "update":
    case "cond-update":
      if (w.mustNotExist && cur && !cur.deleted) {
        throw errors.conflict(`${e.resourceType}/${w.targetId} exists but does not match the criteria`, {
          code: "conditional_update_conflict",
        });
      }
      if (e.ifNoneMatch !== null && cur && !cur.deleted) {
        // If-None-Match on a write: `*` means "only if it does not exist yet".
        throw errors.precondition(`${e.resourceType}/${w.targetId} already exists (ifNoneMatch)`, { code: "exists" });
      }
      checkIfMatch(e.ifMatch, cur);
      assertCurrentWritable(grant, cur);
      if (!cur || cur.deleted) authorize(ctx, "create", e.resourceType!);
      w.op = updateOp(cur, w.resource!, w.targetId!, at, "PUT");
      return;
    case "patch":
    case "cond-patch": {
      if (!cur) throw notFoundResource(e.resourceType!, w.targetId!);
      if (cur.deleted) throw goneResource(cur);
      checkIfMatch(e.ifMatch, cur);
      assertCurrentWritable(grant, cur);
      const { format, patch } = patchOf(e.resource as Record<string, unknown>);
      const base = JSON.parse(cur.body) as Record<string, unknown>;
      let patched: unknown;
      if (format === "json") {
        if (!Array.isArray(patch))
          throw errors.invalid("A JSON Patch document must be an array of operations", { code: "invalid_patch" });
        patched = applyJsonPatch(base, patch);
      } else {
        patched = applyFhirPathPatch(base, patch as Record<string, unknown>);
      }
      if (!isJsonObject(patched) || patched.resourceType !== e.resourceType || patched.id !== w.targetId) {
        throw errors.unprocessable("A patch may not change the resource's type or id", { code: "invalid_patch" });
      }
      const resource = checkedResource(patched, e.resourceType!);
      assertInCompartment(grant, resource);
      w.op = updateOp(cur, resource, w.targetId!, at, "PATCH");
      return;
    }
    default:
      return;
  }
}

function writeResult(w: Work): EntryResult {
  const { e } = w;
  const index = e.index;
  if (w.noop) return { index, status: 204, outcome: "noop" };
  const cur = w.current && !w.current.deleted ? w.current : null;
  const currentResult = (outcome: "existing" | "unchanged"): EntryResult =>
    cur
      ? {
          index,
          status: 200,
          outcome,
          resourceType: cur.resourceType,
          id: cur.id,
          versionId: cur.versionId,
          location: `${cur.resourceType}/${cur.id}/_history/${cur.versionId}`,
          etag: etagOf(cur.versionId),
          lastModified: cur.lastUpdated,
          body: cur.body,
        }
      : {
          index,
          status: 200,
          outcome,
          resourceType: e.resourceType!,
          id: w.targetId!,
          location: `${e.resourceType}/${w.targetId}`,
        };
  if (w.existing) return currentResult("existing");
  const op = w.op;
  if (op) {
    if (!op.resource) {
      return {
        index,
        status: 204,
        outcome: "deleted",
        resourceType: op.resourceType,
        id: op.id,
        versionId: op.versionId,
        etag: etagOf(op.versionId),
        lastModified: op.lastUpdated,
      };
    }
    return {
      index,
      status: op.created ? 201 : 200,
      outcome: op.created ? "created" : "updated",
      resourceType: op.resourceType,
      id: op.id,
      versionId: op.versionId,
      location: `${op.resourceType}/${op.id}/_history/${op.versionId}`,
      etag: etagOf(op.versionId),
      lastModified: op.lastUpdated,
      body: op.body,
    };
  }
  if (e.kind === "delete" || e.kind === "cond-delete") return { index, status: 204, outcome: "noop" };
  // An update whose content equals the current version: nothing written, version kept.
  return currentResult("unchanged");
}
