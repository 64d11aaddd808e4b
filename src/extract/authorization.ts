/**
 * Reads the `Authorization` header the way RFC 6750 §2.1 and RFC 9110 §11 define it, and
 * nothing looser: a lenient parser here would let two layers disagree about which token a
 * request carries.
 */

/** What the `Authorization` header contributes to credential selection. */
export type AuthorizationHeader =
  { kind: "absent" } | { kind: "bearer"; token: string } | { kind: "invalid"; detail: string };

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// The scheme is a token (RFC 9110 §5.6.2); `Bearer` ends where the token characters end.
const BEARER_SCHEME = /^bearer(?![!#$%&'*+.^_`|~0-9A-Za-z-])/i;
// A comma-joined element that opens with the Bearer scheme (two headers merged into one).
const BEARER_ELEMENT = /^bearer(?: |$)/i;

const ABSENT: AuthorizationHeader = { kind: "absent" };
// The form nearly every client sends: the scheme, one space, the token.
const CANONICAL_PREFIX = /^bearer [^ ]/i;

function parseBearerCredentials(value: string): AuthorizationHeader {
  const rest = value.slice("bearer".length);
  if (rest.length === 0 || rest.trim().length === 0) {
    return { kind: "invalid", detail: "The Bearer scheme came without a token." };
  }
  if (!rest.startsWith(" ")) {
    return { kind: "invalid", detail: "The Bearer scheme must be followed by spaces." };
  }
  const token = rest.replace(/^ +/, "");
  if (!B64TOKEN.test(token)) {
    return { kind: "invalid", detail: "The Bearer token has characters outside b64token." };
  }
  return { kind: "bearer", token };
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
  if (CANONICAL_PREFIX.test(value)) {
    const token = value.slice(7);
    if (B64TOKEN.test(token)) return { kind: "bearer", token };
  }
  const trimmed = value.trim();
  if (trimmed.length === 0) return ABSENT;

  if (trimmed.includes(",")) {
    const elements = trimmed.split(/ *, */).filter((element) => element.length > 0);
    const bearers = elements.filter((element) => BEARER_ELEMENT.test(element));
    if (bearers.length === 0) {
      // Only other schemes (Basic, Digest with its params…): not ours.
      return BEARER_SCHEME.test(trimmed) ? parseBearerCredentials(trimmed) : ABSENT;
    }
    const parsed = bearers.map(parseBearerCredentials);
    const first = parsed[0];
    const allSame =
      bearers.length === elements.length &&
      first?.kind === "bearer" &&
      parsed.every((p) => p.kind === "bearer" && p.token === first.token);
    if (allSame) return first;
    return { kind: "invalid", detail: "More than one Authorization value was sent." };
  }

  if (!BEARER_SCHEME.test(trimmed)) return ABSENT;
  return parseBearerCredentials(trimmed);
}
