/** The one error of `gatehouse/client`: a token exchange that did not give a token. */

export type TokenClientErrorCode =
  /** The token endpoint refused the credentials or the request (an RFC 6749 error). */
  | "exchange_refused"
  /** The token endpoint could not be reached or answered something that is not a token. */
  | "exchange_failed"
  /** `client.fetch` was asked to send the token to an origin it may not go to. */
  | "origin_not_allowed";

/**
 * Thrown (as a rejection) by `getAccessToken` and `client.fetch`; `code` says which failure,
 * and a network error rides along as `cause`.
 */
export class TokenClientError extends Error {
  /** Always `"TokenClientError"`. */
  override readonly name = "TokenClientError";
  /** Which failure; stable, so `switch (err.code)` narrows. */
  readonly code: TokenClientErrorCode;
  /** The HTTP status of the token endpoint's answer, when there was one. */
  readonly status: number | undefined;
  /** The RFC 6749 `error` of the answer (e.g. `invalid_grant`), when there was one. */
  readonly oauthError: string | undefined;

  constructor(
    code: TokenClientErrorCode,
    message: string,
    details: { status?: number; oauthError?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.oauthError = details.oauthError;
  }
}
