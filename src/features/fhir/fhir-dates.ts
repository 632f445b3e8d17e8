/**
 * FHIR date/dateTime/instant values as UTC ranges (FHIR R4 datatypes.html#dateTime): a value names the
 * whole period of its precision (`2020` = all of 2020). Used by history's `_since` and `_at`.
 */
const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface InstantRange {
  /** Inclusive start, ISO UTC with milliseconds. */
  start: string;
  /** Exclusive end. */
  end: string;
}

export function parseFhirDateRange(value: string): InstantRange | null {
  const m = DATE_RE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return null;
  if (h !== undefined && tz === undefined) return null; // a time needs a zone (FHIR R4 dateTime)
  const offsetMin =
    !tz || tz === "Z" ? 0 : (tz[0] === "-" ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const startMs =
    Date.UTC(year, month - 1, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0, ms) - offsetMin * 60_000;
  if (Number.isNaN(startMs)) return null;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1) return null; // 2021-02-30
  let endMs: number;
  if (!mo) endMs = Date.UTC(year + 1, 0, 1);
  else if (!d) endMs = Date.UTC(year, month, 1);
  else if (h === undefined) endMs = Date.UTC(year, month - 1, day + 1);
  else if (s === undefined) endMs = startMs + 60_000;
  else if (!frac) endMs = startMs + 1000;
  else endMs = startMs + 1;
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}
