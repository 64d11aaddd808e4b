/**
 * The answers of the token endpoint in RFC 6749 §5.1/§5.2 form. Every one of them carries
 * `Cache-Control: no-store` and `Pragma: no-cache`: a token or a refusal must never sit in
 * a shared cache.
 */
import type { HttpAnswer } from "../http/answer.js";
import type { Seconds } from "../types.js";

/** The RFC 6749 §5.2 codes, plus the three this endpoint adds for 429 and 503. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "rate_limited"
  | "usage_exceeded"
  | "temporarily_unavailable";

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

export function oauthJson(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string | string[]> = {},
): HttpAnswer {
  return { status, headers: { "content-type": "application/json", ...NO_STORE, ...headers }, body };
}

export function oauthError(
  status: number,
  error: OAuthErrorCode,
  description: string,
  headers: Record<string, string> = {},
): HttpAnswer {
  return oauthJson(status, { error, error_description: description }, headers);
}

export function tooManyAttempts(
  retryAfter: Seconds,
  description = "Too many failed attempts; retry later.",
): HttpAnswer {
  return oauthError(429, "rate_limited", description, {
    "retry-after": String(Math.max(1, Math.ceil(retryAfter))),
  });
}

export function unavailable(retryAfter: Seconds = 1): HttpAnswer {
  return oauthError(503, "temporarily_unavailable", "Authentication is temporarily unavailable.", {
    "retry-after": String(Math.max(1, Math.ceil(retryAfter))),
  });
}

/** Strips what would break a quoted-string in a challenge. */
export function basicChallenge(realm: string): string {
  return `Basic realm="${realm.replace(/[\\"\r\n]/g, "")}", charset="UTF-8"`;
}
