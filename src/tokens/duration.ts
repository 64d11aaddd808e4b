/**
 * Turns the time spans of the `jwt` options (`"15m"`, `900`) into seconds. The token
 * endpoint answers `expires_in` in seconds, so the issuer needs the number, not only a span
 * that jose would interpret on its own.
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
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  week: 604_800,
  weeks: 604_800,
};

const SPAN = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;

/**
 * Parses a positive duration. Throws a `TypeError` naming `option` for anything else, since
 * a bad span is a developer's mistake found at construction.
 */
export function toSeconds(value: string | Seconds, option: string): Seconds {
  let seconds: number | undefined;
  if (typeof value === "number") {
    seconds = value;
  } else {
    const match = SPAN.exec(value.trim());
    const unit = match?.[2] === undefined ? undefined : UNIT_SECONDS[match[2].toLowerCase()];
    if (match?.[1] !== undefined && unit !== undefined) seconds = Number(match[1]) * unit;
  }
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TypeError(
      `gatehouse: ${option} must be a positive number of seconds or a span such as "15m"`,
    );
  }
  return Math.floor(seconds);
}
