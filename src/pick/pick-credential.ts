/**
 * The credential precedence of the design, in one place: `Authorization: Bearer` first, then
 * the API-key header(s), then the token cookie. The first credential present decides alone;
 * a failure later never falls through to a weaker credential, so this function picks and
 * does not verify.
 */
import type { RequestView } from "../types.js";
import { readApiKeyHeader } from "../extract/api-key-header.js";
import { parseAuthorization } from "../extract/authorization.js";
import { readCookie } from "../extract/cookies.js";

/** Which slot a credential came from; `bearer-key` is an API key sent as a Bearer token. */
export type CredentialSlot = "bearer" | "bearer-key" | "api-key-header" | "cookie";

export type PickedCredential =
  | { kind: "none" }
  | { kind: "jwt"; token: string; slot: "bearer" | "cookie" }
  | { kind: "apiKey"; raw: string; slot: "bearer-key" | "api-key-header" }
  | { kind: "invalid"; slot: CredentialSlot; detail: string };

export interface ExtractConfig {
  /** Lower-case API-key header names; empty when API keys are not configured. */
  apiKeyHeaders: readonly string[];
  /** The token cookie name, or `null` when cookie authentication is off. */
  cookieName: string | null;
  /**
   * Whether a Bearer value is an API key (cheap format check, no I/O); `undefined` when API
   * keys may not be sent as Bearer tokens.
   */
  bearerIsApiKey?: (raw: string) => boolean;
}

/**
 * @param authorizationHeader - the `Authorization` value, when the caller read it already.
 */
export function pickCredential(
  view: RequestView,
  config: ExtractConfig,
  authorizationHeader: string | null = view.headers.get("authorization"),
): PickedCredential {
  const authorization = parseAuthorization(authorizationHeader);
  if (authorization.kind === "invalid") {
    return { kind: "invalid", slot: "bearer", detail: authorization.detail };
  }
  if (authorization.kind === "bearer") {
    const { token } = authorization;
    if (config.bearerIsApiKey?.(token) === true) {
      return { kind: "apiKey", raw: token, slot: "bearer-key" };
    }
    return { kind: "jwt", token, slot: "bearer" };
  }

  if (config.apiKeyHeaders.length > 0) {
    const key = readApiKeyHeader(view.headers, config.apiKeyHeaders);
    if (key.kind === "invalid")
      return { kind: "invalid", slot: "api-key-header", detail: key.detail };
    if (key.kind === "key") return { kind: "apiKey", raw: key.raw, slot: "api-key-header" };
  }

  if (config.cookieName !== null) {
    const cookie = readCookie(view.headers.get("cookie"), config.cookieName);
    if (cookie.kind === "invalid")
      return { kind: "invalid", slot: "cookie", detail: cookie.detail };
    if (cookie.kind === "value") return { kind: "jwt", token: cookie.value, slot: "cookie" };
  }

  return { kind: "none" };
}

/**
 * The token of an `Authorization` value that opens with the Bearer scheme and one space
 * (`bearer ` in any case), without looking at the token's characters; `null` otherwise.
 * Only for asking a cache of tokens accepted before: such a token passed the token shape
 * check (base64url segments and dots), so `Bearer <it>` is exactly what
 * {@link pickCredential} reads as that Bearer token, and anything else misses and is parsed
 * in full. A value with a space or a comma after the scheme (a second space, two
 * `Authorization` headers joined with ", ") is `null` here whatever the cache holds: the
 * full parse refuses it, and that must not rest on the cache's contents alone.
 */
export function bearerCandidate(value: string | null): string | null {
  if (value === null || value.length < 8 || value.charCodeAt(6) !== 0x20) return null;
  if (value.indexOf(" ", 7) !== -1 || value.indexOf(",", 7) !== -1) return null;
  return (value.charCodeAt(0) | 0x20) === 0x62 &&
    (value.charCodeAt(1) | 0x20) === 0x65 &&
    (value.charCodeAt(2) | 0x20) === 0x61 &&
    (value.charCodeAt(3) | 0x20) === 0x72 &&
    (value.charCodeAt(4) | 0x20) === 0x65 &&
    (value.charCodeAt(5) | 0x20) === 0x72
    ? value.slice(7)
    : null;
}
