/**
 * The one error type of gatehouse. Every failure that reaches a caller carries a stable
 * `code`; adapters turn it into an HTTP answer with {@link AuthError.status},
 * {@link AuthError.headers} and {@link AuthError.toProblem}.
 */

/** Every code an {@link AuthError} can carry; `switch (err.code)` narrows on it. */
export type AuthErrorCode =
  | "missing_credentials"
  | "invalid_request"
  | "invalid_token"
  | "token_expired"
  | "invalid_api_key"
  | "key_disabled"
  | "key_expired"
  | "insufficient_scope"
  | "forbidden"
  | "csrf_failed"
  | "rate_limited"
  | "usage_exceeded"
  | "unavailable";

/**
 * The authentication scheme a `WWW-Authenticate` challenge names: RFC 6750's `Bearer` for
 * access tokens (and anything sent as `Authorization: Bearer`), `ApiKey` for an API key sent
 * in its own header (`X-API-Key`). A key is not a Bearer token, so answering a bad key with a
 * Bearer `invalid_token` would send the client after the wrong credential.
 */
export type ChallengeScheme = "Bearer" | "ApiKey";

type ChallengeError = "invalid_request" | "invalid_token" | "insufficient_scope";

interface CodeInfo {
  status: number;
  title: string;
  /** The RFC 6750 `error` attribute, when the challenge carries one. */
  bearerError?: ChallengeError;
  /** Whether a `WWW-Authenticate` challenge goes with the answer at all. */
  challenge: boolean;
  /** The scheme when the error does not name one: `ApiKey` for the codes only keys produce. */
  scheme?: ChallengeScheme;
}

/**
 * The `error` attribute of an `ApiKey` challenge, named after RFC 6750's so that a client
 * handles both alike; `invalid_key` stands where Bearer says `invalid_token`.
 */
const API_KEY_ERROR: Readonly<Record<ChallengeError, string>> = {
  invalid_request: "invalid_request",
  invalid_token: "invalid_key",
  insufficient_scope: "insufficient_scope",
};

const CODES: Readonly<Record<AuthErrorCode, CodeInfo>> = {
  missing_credentials: { status: 401, title: "Authentication required", challenge: true },
  invalid_request: {
    status: 400,
    title: "Malformed credentials",
    bearerError: "invalid_request",
    challenge: true,
  },
  invalid_token: {
    status: 401,
    title: "Invalid token",
    bearerError: "invalid_token",
    challenge: true,
  },
  token_expired: {
    status: 401,
    title: "Token expired",
    bearerError: "invalid_token",
    challenge: true,
  },
  invalid_api_key: {
    status: 401,
    title: "Invalid API key",
    bearerError: "invalid_token",
    challenge: true,
    scheme: "ApiKey",
  },
  key_disabled: {
    status: 401,
    title: "API key disabled",
    bearerError: "invalid_token",
    challenge: true,
    scheme: "ApiKey",
  },
  key_expired: {
    status: 401,
    title: "API key expired",
    bearerError: "invalid_token",
    challenge: true,
    scheme: "ApiKey",
  },
  insufficient_scope: {
    status: 403,
    title: "Insufficient scope",
    bearerError: "insufficient_scope",
    challenge: true,
  },
  forbidden: { status: 403, title: "Forbidden", challenge: false },
  csrf_failed: { status: 403, title: "Cross-site request refused", challenge: false },
  rate_limited: { status: 429, title: "Too many requests", challenge: false },
  usage_exceeded: { status: 429, title: "Usage credits exhausted", challenge: false },
  unavailable: { status: 503, title: "Authentication unavailable", challenge: false },
};

const DEFAULT_DETAIL: Readonly<Record<AuthErrorCode, string>> = {
  missing_credentials: "No credentials were sent.",
  invalid_request: "The credentials are malformed.",
  invalid_token: "The access token is invalid.",
  token_expired: "The access token has expired.",
  invalid_api_key: "The API key is invalid.",
  key_disabled: "The API key is disabled.",
  key_expired: "The API key has expired.",
  insufficient_scope: "The credentials lack a required scope.",
  forbidden: "The credentials do not allow this request.",
  csrf_failed: "A cookie-authenticated request failed the cross-site check.",
  rate_limited: "Too many requests with this credential.",
  usage_exceeded: "The API key has used all of its credits.",
  unavailable: "Authentication is temporarily unavailable.",
};

/** An RFC 9457 problem document, as adapters send it with `application/problem+json`. */
export interface ProblemBody {
  /** A URI naming the problem type: `https://gatehouse.dev/errors/<code>`. */
  type: string;
  /** A short, fixed summary of the problem type. */
  title: string;
  /** The HTTP status code, the same as the response's. */
  status: number;
  /** Human-readable explanation of this occurrence; never contains the credential. */
  detail: string;
  /** The stable gatehouse error code (an extension member). */
  code: AuthErrorCode;
  /** Present on `insufficient_scope`: the scopes the route asked for. */
  scope?: string;
}

/** Options of the {@link AuthError} constructor. */
export interface AuthErrorOptions {
  /** Human-readable detail. Must never contain the credential or say whether a key id exists. */
  detail?: string;
  /** For `insufficient_scope`: the space-separated scopes the resource requires. */
  scope?: string;
  /** For `rate_limited` and `unavailable`: seconds until a retry may succeed. */
  retryAfter?: number;
  /** The underlying error (a store or hasher failure), kept as the standard `cause`. */
  cause?: unknown;
  /**
   * The scheme the refused credential was presented with, named by the challenge. Default
   * `ApiKey` for `invalid_api_key`, `key_disabled` and `key_expired`, `Bearer` otherwise.
   * Pass `Bearer` for a key that was sent as `Authorization: Bearer`.
   */
  scheme?: ChallengeScheme;
  /**
   * The URL of the protected resource's metadata (RFC 9728), sent as the challenge's
   * `resource_metadata` parameter (§5.1) so that a client can discover where to get a token.
   * Default: none; `createAuth` sets it on every refusal when `protectedResource` is given.
   */
  resourceMetadata?: string;
}

/** Strips characters that would break a quoted-string in a challenge header. */
function quote(value: string): string {
  return `"${value.replace(/[\\"\r\n]/g, "")}"`;
}

/** False where the limit cannot be set (a frozen `Error`, as under SES lockdown). */
function setStackTraceLimit(limit: number): boolean {
  try {
    Error.stackTraceLimit = limit;
    return true;
  } catch {
    return false;
  }
}

/**
 * The one error of gatehouse's request path: a missing or bad credential, a refusal by a
 * guard, or an outage. Its stable `code` fixes the HTTP status, challenge and problem body.
 */
export class AuthError extends Error {
  /** Always `"AuthError"`. */
  override readonly name = "AuthError";
  /** The stable error code; `switch (err.code)` narrows. */
  readonly code: AuthErrorCode;
  /** The HTTP status that goes with {@link code} (401, 400, 403, 429 or 503). */
  readonly status: number;
  /** Human-readable detail (also the `message`); the code's default unless one was given. */
  readonly detail: string;
  /** For `insufficient_scope`: the space-separated scopes the resource requires. */
  readonly scope: string | undefined;
  /**
   * Seconds until a retry may succeed, sent as `Retry-After`. Default 1 for `rate_limited`
   * and `unavailable`; `undefined` for other codes unless given.
   */
  readonly retryAfter: number | undefined;
  /**
   * The scheme {@link challenge} names: `Bearer` (RFC 6750) or `ApiKey`, whose challenge
   * reads `ApiKey realm="api", error="invalid_key", error_description="…"` (`error` is
   * `invalid_request`, `invalid_key` or `insufficient_scope`, as Bearer's would be).
   */
  readonly scheme: ChallengeScheme;
  /** The RFC 9728 metadata URL the challenge points at (`resource_metadata`), if any. */
  readonly resourceMetadata: string | undefined;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    const detail = options.detail ?? DEFAULT_DETAIL[code];
    // No stack trace: an AuthError is an answer (every refused or anonymous request makes
    // one), not a bug, and capturing a stack costs about 2.3 µs where a whole Koa request
    // costs about 17 (bench/auth-error.mjs). The `cause` of an `unavailable` keeps its own.
    const limit = Error.stackTraceLimit;
    const quiet = setStackTraceLimit(0);
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    if (quiet) setStackTraceLimit(limit);
    this.code = code;
    this.status = CODES[code].status;
    this.detail = detail;
    this.scope = options.scope;
    this.retryAfter =
      options.retryAfter ?? (code === "unavailable" || code === "rate_limited" ? 1 : undefined);
    this.scheme = options.scheme ?? CODES[code].scheme ?? "Bearer";
    this.resourceMetadata = options.resourceMetadata;
  }

  /** The `WWW-Authenticate` value for this error, or `undefined` when none goes with it. */
  challenge(realm = "api"): string | undefined {
    const info = CODES[this.code];
    if (!info.challenge) return undefined;
    const parts = [`realm=${quote(realm)}`];
    if (info.bearerError) {
      const error = this.scheme === "ApiKey" ? API_KEY_ERROR[info.bearerError] : info.bearerError;
      parts.push(`error=${quote(error)}`);
      if (info.bearerError === "insufficient_scope") {
        if (this.scope) parts.push(`scope=${quote(this.scope)}`);
      } else {
        parts.push(`error_description=${quote(this.detail)}`);
      }
    }
    if (this.resourceMetadata !== undefined) {
      parts.push(`resource_metadata=${quote(this.resourceMetadata)}`);
    }
    return `${this.scheme} ${parts.join(", ")}`;
  }

  /** Every header the HTTP answer to this error needs. */
  headers(realm = "api"): Record<string, string> {
    const headers: Record<string, string> = {
      "content-type": "application/problem+json",
      "cache-control": "no-store",
    };
    const challenge = this.challenge(realm);
    if (challenge) headers["www-authenticate"] = challenge;
    if (this.retryAfter !== undefined) headers["retry-after"] = String(Math.ceil(this.retryAfter));
    return headers;
  }

  /** The RFC 9457 body. */
  toProblem(): ProblemBody {
    const body: ProblemBody = {
      type: `https://gatehouse.dev/errors/${this.code}`,
      title: CODES[this.code].title,
      status: this.status,
      detail: this.detail,
      code: this.code,
    };
    if (this.scope) body.scope = this.scope;
    return body;
  }

  /** Whether `value` is an `AuthError` (a type guard). */
  static is(value: unknown): value is AuthError {
    return value instanceof AuthError;
  }
}

/**
 * `error` as answered for a credential presented with `scheme`: the same error when it
 * already names that scheme, else a copy that does. The key verifier cannot know how the key
 * arrived; the caller that picked the credential can.
 */
export function presentedAs(error: AuthError, scheme: ChallengeScheme): AuthError {
  if (error.scheme === scheme) return error;
  return copyOf(error, { scheme });
}

/**
 * `error` with its challenge pointing at the protected resource's metadata (RFC 9728 §5.1):
 * the same error when it already does, or when `url` is `undefined`.
 */
export function withResourceMetadata(error: AuthError, url: string | undefined): AuthError {
  if (url === undefined || error.resourceMetadata === url) return error;
  return copyOf(error, { resourceMetadata: url });
}

function copyOf(error: AuthError, change: AuthErrorOptions): AuthError {
  return new AuthError(error.code, {
    detail: error.detail,
    scheme: error.scheme,
    ...(error.scope === undefined ? {} : { scope: error.scope }),
    ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    ...(error.resourceMetadata === undefined ? {} : { resourceMetadata: error.resourceMetadata }),
    ...change,
  });
}

/** The HTTP status of a code without building an error. */
export function statusOf(code: AuthErrorCode): number {
  return CODES[code].status;
}
