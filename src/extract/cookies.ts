/**
 * A small, total Cookie-header reader (RFC 6265 §4.2 and §5.4): it never throws, ignores
 * pairs it cannot read, and compares names exactly, because a case-folded or
 * prefix-matched name would let a sibling cookie stand in for ours.
 */

export type CookieValue =
  { kind: "absent" } | { kind: "value"; value: string } | { kind: "invalid"; detail: string };

const ABSENT: CookieValue = { kind: "absent" };
// Pairs are separated by ";". Some servers join repeated Cookie headers with ", " instead of
// "; "; a comma followed by a new `name=` is treated as a separator too (no cookie-octet is
// a comma or a space, so a conforming value is never split by this).
const SEPARATOR = /;|,(?= *[^\s=;,]+=)/;

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1);
  }
  return value;
}

/** Every value sent for `name`, in order. Malformed pairs are skipped. */
export function cookieValues(header: string | null, name: string): string[] {
  if (header === null || header.length === 0) return [];
  const values: string[] = [];
  for (const pair of header.split(SEPARATOR)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    const value = unquote(pair.slice(eq + 1).trim());
    if (value.length > 0) values.push(value);
  }
  return values;
}

/**
 * The one value of cookie `name`. Two different values (a cookie planted for a parent domain
 * or another path beside ours) are `invalid`: picking either could be the attacker's.
 */
export function readCookie(header: string | null, name: string): CookieValue {
  const values = cookieValues(header, name);
  const first = values[0];
  if (first === undefined) return ABSENT;
  if (values.some((value) => value !== first)) {
    return { kind: "invalid", detail: `More than one value was sent for the ${name} cookie.` };
  }
  return { kind: "value", value: first };
}
