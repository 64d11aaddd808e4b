/**
 * A small, total Cookie-header reader (RFC 6265 §4.2.1 and §5.4): it never throws, ignores
 * pairs it cannot read, and compares names exactly, because a case-folded or
 * prefix-matched name would let a sibling cookie stand in for ours.
 *
 * Pairs are separated by `;` and by nothing else. A browser stores and sends
 * `pref=x,access_token=…` as ONE cookie named `pref`; a reader that also split on commas
 * would find an `access_token` there that no `Set-Cookie` of ours created, planted through
 * any cookie an attacker can write (a sibling subdomain, a script), which would also undo
 * what a `__Host-` name promises. Repeated Cookie lines are still read where they are
 * joined with `"; "`, as Node's `req.headers` and its Fetch `Headers` both do (and RFC 9113
 * §8.2.3 requires of HTTP/2). Where a runtime joins them with `", "` (the Fetch standard's
 * rule, which undici departs from for this header), a cookie after the join is part of the
 * previous value and is not found, so it never authenticates by a guess. Browsers send a
 * single Cookie line.
 *
 * One forward pass: each character is read a bounded number of times, whatever the input.
 */

export type CookieValue =
  { kind: "absent" } | { kind: "value"; value: string } | { kind: "invalid"; detail: string };

const ABSENT: CookieValue = { kind: "absent" };
const TAB = 0x09;
const SPACE = 0x20;
const DQUOTE = 0x22;

// RFC 6265 §5.2 trims WSP (space and tab) around names and values, and only those.
function isWsp(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Every value sent for `name`, in order. Malformed pairs are skipped. */
export function cookieValues(header: string | null, name: string): string[] {
  if (header === null || header.length === 0 || name.length === 0) return [];
  const values: string[] = [];
  const length = header.length;
  // The first "=" at or after the current pair's start (`length` when there is none). It is
  // kept across pairs without one, so that `a;a;a;…;=` is not searched to its end per pair.
  let eq = -1;
  let start = 0;
  while (start < length) {
    let end = header.indexOf(";", start);
    if (end < 0) end = length;
    if (eq < start) {
      eq = header.indexOf("=", start);
      if (eq < 0) eq = length;
    }
    if (eq < end) {
      let nameStart = start;
      let nameEnd = eq;
      while (nameStart < nameEnd && isWsp(header.charCodeAt(nameStart))) nameStart++;
      while (nameEnd > nameStart && isWsp(header.charCodeAt(nameEnd - 1))) nameEnd--;
      if (nameEnd - nameStart === name.length && header.startsWith(name, nameStart)) {
        let valueStart = eq + 1;
        let valueEnd = end;
        while (valueStart < valueEnd && isWsp(header.charCodeAt(valueStart))) valueStart++;
        while (valueEnd > valueStart && isWsp(header.charCodeAt(valueEnd - 1))) valueEnd--;
        if (
          valueEnd - valueStart >= 2 &&
          header.charCodeAt(valueStart) === DQUOTE &&
          header.charCodeAt(valueEnd - 1) === DQUOTE
        ) {
          valueStart++;
          valueEnd--;
        }
        if (valueEnd > valueStart) values.push(header.slice(valueStart, valueEnd));
      }
    }
    start = end + 1;
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
