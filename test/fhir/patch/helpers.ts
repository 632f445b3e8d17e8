import { expect } from "vitest";
import { type AppError, isAppError } from "../../../src/platform/errors";

/** Runs `fn`, expects it to throw an AppError with `status`, and returns the error for further checks. */
export function expectAppError(fn: () => unknown, status: number, message?: RegExp): AppError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected an AppError to be thrown").toBeDefined();
  expect(isAppError(thrown), `expected an AppError, got ${String(thrown)}`).toBe(true);
  const error = thrown as AppError;
  expect(error.status, error.message).toBe(status);
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** Freezes a JSON value all the way down, so any mutation of a test input throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
