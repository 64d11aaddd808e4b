/**
 * Token hygiene before any decoding. jose parses the whole protected header and payload of
 * whatever it is given before it checks a signature, so everything a token can do to a
 * parser is bounded here first: its length, its shape (compact JWS only), its base64url
 * encoding (canonical only, so one token has exactly one spelling and one cache key), and
 * the header parameters we refuse to act on.
 */

/** Header parameters that would make the token choose its own key or extensions. */
const REFUSED_HEADER_PARAMS = ["jwk", "jku", "x5u", "x5c", "crit", "b64", "enc", "zip"] as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type TokenShape =
  { ok: true; header: Record<string, unknown> } | { ok: false; detail: string };

/** True when `segment` is the one canonical unpadded base64url spelling of its bytes. */
export function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return false;
  // Re-encoding catches non-zero unused bits in the last character (RFC 4648 §3.5), which
  // Node's decoder silently ignores.
  return Buffer.from(segment, "base64url").toString("base64url") === segment;
}

function decodeHeader(segment: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    return parsed as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Checks a candidate token's shape and protected header against the allow-list. Never
 * throws; the detail never contains the token.
 */
export function checkTokenShape(
  token: unknown,
  maxLength: number,
  algorithms: ReadonlySet<string>,
): TokenShape {
  if (typeof token !== "string") {
    return { ok: false, detail: "The token is not a compact JWS string." };
  }
  if (token.length > maxLength) {
    return { ok: false, detail: `The token is longer than ${maxLength} characters.` };
  }
  const segments = token.split(".");
  if (segments.length === 5) {
    return { ok: false, detail: "Encrypted tokens (JWE) are not accepted." };
  }
  if (segments.length !== 3) {
    return { ok: false, detail: "The token is not a compact JWS (three segments)." };
  }
  if (!segments.every(isCanonicalBase64url)) {
    return { ok: false, detail: "The token is not canonical base64url." };
  }
  const header = decodeHeader(segments[0] ?? "");
  if (header === null) {
    return { ok: false, detail: "The token header is not a JSON object." };
  }
  const { alg } = header;
  if (typeof alg !== "string" || !algorithms.has(alg)) {
    return { ok: false, detail: "The token algorithm is not allowed." };
  }
  for (const param of REFUSED_HEADER_PARAMS) {
    if (param in header) {
      return { ok: false, detail: `The token header parameter "${param}" is not accepted.` };
    }
  }
  if (header.kid !== undefined && typeof header.kid !== "string") {
    return { ok: false, detail: "The token header kid is not a string." };
  }
  return { ok: true, header };
}
