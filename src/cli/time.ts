/**
 * The CLI's time arguments: `--expires 30d | 2027-01-01` and `--overlap 1h`. Spans use the
 * same grammar as the `jwt.ttl` option (src/jwt/durations.ts) so one vocabulary serves
 * the library and the CLI.
 */
import { toSeconds } from "../options/durations.js";
import { usageError } from "./errors.js";

const SPAN = /^\d+(?:\.\d+)?\s*[a-z]+$/i;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A span in milliseconds, or a usage error naming the flag. */
export function spanMs(value: string, flag: string): number {
  try {
    return toSeconds(value, flag, 0) * 1000;
  } catch {
    throw usageError(`--${flag} must be a span such as 30m, 1h or 30d (got '${value}')`);
  }
}

/**
 * `--expires`: a span from now (`30d`) or a date (`2027-01-01`, read as UTC midnight when
 * no time is given). Must lie in the future: a key born expired is a typo, not a wish.
 */
export function expiryDate(value: string, now: Date = new Date()): Date {
  let date: Date;
  if (SPAN.test(value.trim())) {
    date = new Date(now.getTime() + spanMs(value, "expires"));
  } else if (DATE.test(value.trim())) {
    date = new Date(value.trim());
  } else {
    throw usageError(`--expires must be a span such as 30d or a date such as 2027-01-01`);
  }
  if (Number.isNaN(date.getTime())) throw usageError(`--expires: '${value}' is not a date`);
  if (date.getTime() <= now.getTime()) throw usageError(`--expires must lie in the future`);
  return date;
}
