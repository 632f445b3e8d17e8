/** ISO-8601 UTC instant with milliseconds, the one timestamp format Hearth writes. */
export const nowIso = (): string => new Date().toISOString();

export const isoFromEpochSeconds = (s: number): string => new Date(s * 1000).toISOString();
