/**
 * Reads the `Authorization` header the way RFC 6750 §2.1 and RFC 9110 §11 define it, and
 * nothing looser: a lenient parser here would let two layers disagree about which token a
 * request carries.
 *
 * Anyone can send this header, so every character is looked at a bounded number of times
 * whatever the input (splitting on the backtracking pattern ` *, *` cost time quadratic in
 * a run of spaces). The parse is forward scans, plus one regular expression for the common
 * case, of a shape that cannot backtrack more than once per character.
 */

/** What the `Authorization` header contributes to credential selection. */
export type AuthorizationHeader =
  { kind: "absent" } | { kind: "bearer"; token: string } | { kind: "invalid"; detail: string };

const ABSENT: AuthorizationHeader = { kind: "absent" };
// The form nearly every client sends: the scheme, one space, a b64token. Linear: anchored,
// and each repeated set ends where the next one (or the end) begins, as they share no
// character. Irregexp runs it about twice as fast as a charCodeAt loop, on the hot path.
const CANONICAL = /^bearer [A-Za-z0-9\-._~+/]+=*$/i;
const SPACE = 0x20;
const EQUALS = 0x3d;

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN_CHAR = charTable(`${ALNUM}-._~+/`);
// RFC 9110 §5.6.2 tchar: `Bearer` is the scheme only where the token characters end.
const TCHAR = charTable(`${ALNUM}!#$%&'*+.^_\`|~-`);

function isB64token(s: string, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 128 || B64TOKEN_CHAR[c] === 0) break;
    i++;
  }
  if (i === start) return false;
  while (i < end && s.charCodeAt(i) === EQUALS) i++;
  return i === end;
}

/** `bearer` in any ASCII case at `at` (the `i` flag of a non-Unicode RegExp, exactly). */
function hasBearerAt(s: string, at: number, end: number): boolean {
  return (
    end - at >= 6 &&
    (s.charCodeAt(at) | 0x20) === 0x62 &&
    (s.charCodeAt(at + 1) | 0x20) === 0x65 &&
    (s.charCodeAt(at + 2) | 0x20) === 0x61 &&
    (s.charCodeAt(at + 3) | 0x20) === 0x72 &&
    (s.charCodeAt(at + 4) | 0x20) === 0x65 &&
    (s.charCodeAt(at + 5) | 0x20) === 0x72
  );
}

/** The scheme `Bearer` opens `s`: not followed by another token character. */
function opensWithBearerScheme(s: string): boolean {
  if (!hasBearerAt(s, 0, s.length)) return false;
  if (s.length === 6) return true;
  const next = s.charCodeAt(6);
  return next >= 128 || TCHAR[next] === 0;
}

/** Reads `s[start, end)`, which opens with `bearer`, as Bearer credentials. */
function parseBearerCredentials(s: string, start: number, end: number): AuthorizationHeader {
  const from = start + 6;
  let token = from;
  while (token < end && s.charCodeAt(token) === SPACE) token++;
  if (token < end && isB64token(s, token, end)) {
    if (s.charCodeAt(from) === SPACE) return { kind: "bearer", token: s.slice(token, end) };
    return { kind: "invalid", detail: "The Bearer scheme must be followed by spaces." };
  }
  // Only failures get here, each at most once per comma-separated element.
  if (s.slice(from, end).trim().length === 0) {
    return { kind: "invalid", detail: "The Bearer scheme came without a token." };
  }
  if (s.charCodeAt(from) !== SPACE) {
    return { kind: "invalid", detail: "The Bearer scheme must be followed by spaces." };
  }
  return { kind: "invalid", detail: "The Bearer token has characters outside b64token." };
}

/**
 * A comma-joined value (two headers merged into one, or another scheme's parameters). Its
 * elements are the text between commas without surrounding spaces, empty ones dropped. It
 * is one Bearer credential only when every element is the same Bearer credential.
 */
function parseElements(s: string): AuthorizationHeader {
  let elements = 0;
  let bearers = 0;
  let first: AuthorizationHeader | undefined;
  let agree = true;
  let start = 0;
  while (start <= s.length) {
    let end = s.indexOf(",", start);
    if (end < 0) end = s.length;
    const next = end + 1;
    while (start < end && s.charCodeAt(start) === SPACE) start++;
    while (end > start && s.charCodeAt(end - 1) === SPACE) end--;
    if (end > start) {
      elements++;
      const afterScheme = start + 6;
      if (
        hasBearerAt(s, start, end) &&
        (afterScheme === end || s.charCodeAt(afterScheme) === SPACE)
      ) {
        bearers++;
        const parsed = parseBearerCredentials(s, start, end);
        if (first === undefined) first = parsed;
        else if (
          first.kind !== "bearer" ||
          parsed.kind !== "bearer" ||
          parsed.token !== first.token
        ) {
          agree = false;
        }
      }
    }
    start = next;
  }
  if (first === undefined) {
    // Only other schemes (Basic, Digest with its params…): not ours.
    return opensWithBearerScheme(s) ? parseBearerCredentials(s, 0, s.length) : ABSENT;
  }
  if (agree && first.kind === "bearer" && bearers === elements) return first;
  return { kind: "invalid", detail: "More than one Authorization value was sent." };
}

/**
 * Parses the combined value of every `Authorization` header (`null` when none was sent).
 * Fetch-style header objects join repeated headers with `", "`; a comma can never occur in
 * a b64token, so a comma means either two headers or a malformed one.
 */
export function parseAuthorization(value: string | null): AuthorizationHeader {
  if (value === null) return ABSENT;
  // Fast path, same answer: a b64token has no comma and no space, so a value that is the
  // scheme, one space and a b64token is exactly one Bearer credential. Anything else takes
  // the full parse below.
  if (CANONICAL.test(value)) return { kind: "bearer", token: value.slice(7) };
  const trimmed = value.trim();
  if (trimmed.length === 0) return ABSENT;
  if (trimmed.includes(",")) return parseElements(trimmed);
  if (!opensWithBearerScheme(trimmed)) return ABSENT;
  return parseBearerCredentials(trimmed, 0, trimmed.length);
}
