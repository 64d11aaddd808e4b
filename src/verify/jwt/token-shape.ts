/**
 * Token hygiene before any decoding. Everything a token can do to a parser is bounded here
 * first: its length, its shape (compact JWS only), its base64url encoding (canonical only,
 * so one token has exactly one spelling and one cache key), and the header parameters we
 * refuse to act on. The header is then read as jose reads it: strict UTF-8 (a lone
 * surrogate or a truncated sequence is refused, a leading BOM is dropped) and a JSON object.
 */

import { detached } from "./detached.js";

/** Header parameters that would make the token choose its own key or extensions. */
const REFUSED_HEADER_PARAMS = ["jwk", "jku", "x5u", "x5c", "crit", "b64", "enc", "zip"] as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The 6-bit value of each base64url character by char code. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/** jose's decoder: fatal on malformed UTF-8, BOM dropped (the WHATWG default). */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The verdict of {@link checkTokenShape}. */
export type TokenShape =
  | {
      /** The token passed every check. */
      ok: true;
      /** The decoded protected header: a JSON object with an allowed `alg` (frozen). */
      header: Readonly<Record<string, unknown>>;
      /** The three segments, in order: protected header, payload, signature. */
      segments: readonly [string, string, string];
    }
  | {
      /** The token failed a check. */
      ok: false;
      /** Which check, in words that never repeat the token. */
      detail: string;
    };

/** True when `segment` is the one canonical unpadded base64url spelling of its bytes. */
export function isCanonicalBase64url(segment: string): boolean {
  const length = segment.length;
  if (length % 4 === 1 || !BASE64URL.test(segment)) return false;
  // RFC 4648 §3.5: the bits of the last character past the final byte must be zero; Node's
  // decoder silently ignores them, so without this two spellings decode to the same bytes.
  const tail = length % 4;
  if (tail === 0) return true;
  const last = SEXTET[segment.charCodeAt(length - 1)]!;
  return (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

/** A JSON object (not an array, not null), as jose requires of a header and of claims. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON object a canonical base64url segment encodes, read as jose reads it, or `null`.
 * Never throws.
 */
export function decodeJsonObject(segment: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(strictUtf8.decode(Buffer.from(segment, "base64url")));
    return isJsonObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

// Most tokens a server sees carry one of a few headers (one per issuer, key and type), so
// the parsed header of a short segment is remembered: the parse is a pure function of the
// segment, and the allow-list and parameter checks below still run on every token. Frozen,
// because every token with that header shares the object. Bounded and cleared when full, so
// a flood of distinct headers costs no more than parsing them.
const HEADER_MEMO_MAX = 64;
const HEADER_MEMO_SEGMENT = 512;
const headerMemo = new Map<string, Readonly<Record<string, unknown>>>();

function parseHeader(segment: string): Readonly<Record<string, unknown>> | null {
  const known = headerMemo.get(segment);
  if (known !== undefined) return known;
  const header = decodeJsonObject(segment);
  if (header === null || segment.length > HEADER_MEMO_SEGMENT) return header;
  if (headerMemo.size >= HEADER_MEMO_MAX) headerMemo.clear();
  const frozen = Object.freeze(header);
  // The segment is a view into the token: the key must not keep the token alive.
  headerMemo.set(detached(segment), frozen);
  return frozen;
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
  const [encodedHeader, payload, signature] = segments as [string, string, string];
  if (
    !isCanonicalBase64url(encodedHeader) ||
    !isCanonicalBase64url(payload) ||
    !isCanonicalBase64url(signature)
  ) {
    return { ok: false, detail: "The token is not canonical base64url." };
  }
  const header = parseHeader(encodedHeader);
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
  return { ok: true, header, segments: [encodedHeader, payload, signature] };
}
