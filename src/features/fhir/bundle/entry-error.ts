import { AppError, type ErrorIssue } from "../../../platform/errors";

/**
 * An error of one bundle entry. In a transaction it fails the whole bundle, rendered with the entry's
 * position (`Bundle.entry[3]...`); in a batch it becomes that entry's response. `original` keeps the
 * entry-relative error (ingestion reports `{resourceType, field, issue}` from it).
 */
export class BundleEntryError extends AppError {
  readonly entryIndex: number;
  readonly original: AppError;

  constructor(entryIndex: number, original: AppError) {
    super(original.kind, `Bundle.entry[${entryIndex}]: ${original.message}`, {
      code: original.code,
      details: original.details,
      headers: original.headers,
      issues: original.issues.map((i) => ({ ...i, expression: prefixExpressions(entryIndex, i) })),
      cause: original,
    });
    this.name = "BundleEntryError";
    this.entryIndex = entryIndex;
    this.original = original;
  }
}

/** `Patient.birthDate` → `Bundle.entry[3].resource.birthDate`; no expression → the entry itself. */
function prefixExpressions(index: number, issue: ErrorIssue): string[] {
  const entry = `Bundle.entry[${index}]`;
  if (!issue.expression?.length) return [entry];
  return issue.expression.map((e) => {
    const m = /^([A-Z][A-Za-z]+)(\..*|\[.*)?$/.exec(e);
    if (m) return `${entry}.resource${m[2] ?? ""}`;
    return e.startsWith("Bundle.") ? e : `${entry}.${e}`;
  });
}

/** Wraps anything thrown while processing entry `index` (non-AppErrors are rethrown: they are bugs). */
export function entryError(index: number, err: unknown): BundleEntryError {
  if (err instanceof BundleEntryError) return err;
  if (err instanceof AppError) return new BundleEntryError(index, err);
  throw err;
}
