import { AppError, errors } from "../../../platform/errors";

/**
 * Runs one atomic D1 batch and turns the constraint failures our statements are designed to raise into
 * client errors: a version collision with a concurrent writer (409, retry), a uniqueness rule (422
 * duplicate), a value too large for a row (413). Anything else stays an unexpected error.
 */
export async function commitBatch(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  if (statements.length === 0) return;
  try {
    await db.batch(statements);
  } catch (err) {
    throw mapWriteError(err);
  }
}

export function mapWriteError(err: unknown): unknown {
  if (err instanceof AppError || !(err instanceof Error)) return err;
  const msg = err.message;
  if (/constraint failed: fhir_unique_keys/i.test(msg)) {
    // The pre-check normally names the identifier; this is the concurrent-writer backstop.
    const diagnostics = "An identifier of this resource is already used by another resource of its type in this store";
    return new AppError("unprocessable", diagnostics, {
      code: "duplicate",
      issues: [{ severity: "error", code: "duplicate", diagnostics }],
    });
  }
  if (/constraint failed: fhir_(history|resources)\./i.test(msg)) {
    return errors.conflict("The resource was changed by another request at the same time; read it again and retry", {
      code: "version_conflict",
      cause: err,
    });
  }
  if (/too big|too large|SQLITE_TOOBIG/i.test(msg)) {
    return errors.tooLarge("A resource is too large to store", { cause: err });
  }
  return err;
}

/**
 * Re-runs a read-modify-write when a concurrent writer took its version number. Without If-Match the
 * client asked for "the latest version plus my change", so the write is replanned on the new current
 * version (a few times); with If-Match the precondition no longer holds: 412 (FHIR R4 http.html#concurrency).
 */
export async function withVersionRetry<T>(
  ifMatch: string | null | undefined,
  fn: () => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "version_conflict") throw err;
      if (ifMatch != null) {
        throw errors.precondition("The resource changed since the version named by If-Match", {
          code: "version_mismatch",
        });
      }
      if (i >= attempts) throw err;
    }
  }
}
