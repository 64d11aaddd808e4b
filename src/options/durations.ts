/**
 * Time spans in options: a number of seconds or a short string (`"15m"`, `"2 hours"`).
 * Parsed once at construction so that a typo is a `TypeError` naming the option, not a
 * token that silently never expires.
 */
import type { Seconds } from "../types.js";

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
};

const SPAN = /^(\d+(?:\.\d+)?) *([a-z]+)$/i;

/** Converts an option value to whole seconds; `undefined` gives `fallback`. */
export function toSeconds(
  value: string | number | undefined,
  option: string,
  fallback: Seconds,
): Seconds {
  if (value === undefined) return fallback;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`gatehouse: ${option} must be a finite number of seconds >= 0`);
    }
    return Math.floor(value);
  }
  const match = SPAN.exec(value.trim());
  const unit = match?.[2] === undefined ? undefined : UNIT_SECONDS[match[2].toLowerCase()];
  if (match?.[1] === undefined || unit === undefined) {
    throw new TypeError(
      `gatehouse: ${option} must be seconds or a span such as "15m", "2h", "1d" (got "${value}")`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}
