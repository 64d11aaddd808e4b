/**
 * The three grants of the token endpoint. Each one authenticates what the request carries
 * (an API key used as a refresh token, an application's key, or a user's password), works
 * out the scopes and roles the token may carry (never more than the credential holds), and
 * issues the token. Failures are RFC 6749 §5.2 answers, never thrown.
 */
import type { ResolvedCsrf } from "../pick/csrf.js";
import { AuthError } from "../errors.js";
import type { CookieOptions } from "../options/jwt-options.js";
import type { HttpAnswer } from "../http/answer.js";
import type { Reporter } from "../decide/report.js";
import type { AuthEvent, AuthResult, Principal } from "../types.js";
import { attemptSubjects, pairSubject } from "./attempt-limiter.js";
import type { AttemptLimiter } from "./attempt-limiter.js";
import { basicChallenge, oauthError, tooManyAttempts, unavailable } from "./oauth-answer.js";
import type { BasicResult, TokenParams } from "./token-params.js";
import type { IssuedToken, IssueInput } from "./token-service.js";

/** What `verifyUser` resolves to for a good username and password. */
export interface VerifiedUser {
  /** The user id; becomes the token's `sub`. */
  id: string;
  /** Scopes the user holds; the token gets these or the requested subset. Default `[]`. */
  scopes?: string[];
  /** Roles the user holds; the token carries them. Default `[]`. */
  roles?: string[];
}

/**
 * Checks a username and password (e.g. with `verifyPassword`) and resolves to the user, or
 * `null` when either is wrong. A rejection counts as an outage: the endpoint answers 503.
 */
export type VerifyUser = (username: string, password: string) => Promise<VerifiedUser | null>;

/** The members of an `Auth` that the token endpoint uses. */
export interface TokenEndpointAuth {
  /**
   * Verifies a raw API key; never throws. `client` is the caller's address, which keys the
   * key's failure budget, so that failures from elsewhere do not refuse this caller.
   */
  verifyApiKey(raw: string, client?: string): Promise<AuthResult>;
  /**
   * Receives a `token_issued` event for every token the endpoint issues (never the token
   * or the key). `createAuth` gives its `onEvent` here; what it throws is swallowed.
   */
  readonly onEvent?: (event: AuthEvent) => void;
  /** The token issuer (`auth.tokens`). */
  readonly tokens: {
    /** Signs a token and returns it with its lifetime. */
    issueDetailed(input: IssueInput): Promise<IssuedToken>;
    /** The public JWKS served on the JWKS route. */
    jwks(): Promise<{
      /** The public keys. */
      keys: Array<Record<string, unknown>>;
    }>;
  };
  /** The parts of `auth.config` the endpoint reads. */
  readonly config?: {
    /**
     * The CSRF rule of cookie-authenticated requests; the cookie-setting password grant and
     * logout apply it too. Default: the rule with its defaults.
     */
    readonly csrf?: ResolvedCsrf;
    /** The `jwt` option as resolved: issuing needs `issuer` (RFC 9068 `iss`). */
    readonly jwt?: {
      /** Whether a `jwt` option was given at all. */
      readonly enabled?: boolean;
      /** The configured issuer(s). */
      readonly issuer?: string | readonly string[];
    };
    /** The challenge realm. Default `"api"`. */
    readonly realm?: string;
    /** `enabled: false` means the verifier does not read the cookie (no `cookie` option). */
    readonly cookie?: CookieOptions & {
      /** Whether the verifier reads the cookie; `false` makes `tokenRoutes({ cookie })` a `TypeError`. */
      readonly enabled?: boolean;
    };
  };
}

export interface GrantContext {
  auth: TokenEndpointAuth;
  attempts: AttemptLimiter;
  realm: string;
  verifyUser: VerifyUser | undefined;
  isClient: (principal: Principal) => boolean;
  /** The `client_id` of password-grant tokens, which no key names (RFC 9068 wants one). */
  clientId: string;
  /** Where `token_issued` events go. */
  report: Reporter;
}

export interface GrantRequest {
  params: TokenParams;
  basic: BasicResult;
  ip: string | undefined;
}

export type GrantOutcome = { ok: true; issued: IssuedToken } | { ok: false; answer: HttpAnswer };

const refuse = (answer: HttpAnswer): GrantOutcome => ({ ok: false, answer });

type GrantName = Extract<AuthEvent, { type: "token_issued" }>["grant"];

/** Issues the token and reports it: the subject, the client and the key, never the token. */
async function issue(
  context: GrantContext,
  grant: GrantName,
  input: IssueInput & { clientId: string },
): Promise<GrantOutcome> {
  const issued = await context.auth.tokens.issueDetailed(input);
  if (context.report.listening) {
    context.report.emit({
      type: "token_issued",
      grant,
      sub: input.sub,
      clientId: input.clientId,
      ...(input.keyId === undefined ? {} : { keyId: input.keyId }),
    });
  }
  return { ok: true, issued };
}

/**
 * The scopes a token gets: all that the credential holds, or the requested subset.
 * `null` when the request asks for a scope the credential does not hold.
 */
export function narrowScopes(
  held: readonly string[],
  requested: string | undefined,
): string[] | null {
  if (requested === undefined || requested.trim() === "") return [...held];
  const asked = [...new Set(requested.split(" ").filter((s) => s !== ""))];
  return asked.every((s) => held.includes(s)) ? asked : null;
}

const invalidScope = (): GrantOutcome =>
  refuse(
    oauthError(400, "invalid_scope", "The requested scope exceeds what the credential holds."),
  );

/** A failed key verification that is not the caller's fault (outage, per-key limit). */
function keyOutage(error: AuthError): HttpAnswer | null {
  if (error.code === "unavailable") return unavailable(error.retryAfter);
  if (error.code === "rate_limited") {
    return tooManyAttempts(error.retryAfter ?? 1, "Too many requests with this key.");
  }
  if (error.code === "usage_exceeded") {
    return oauthError(
      429,
      "usage_exceeded",
      error.detail,
      error.retryAfter === undefined ? {} : { "retry-after": String(error.retryAfter) },
    );
  }
  return null;
}

async function verifyKey(
  context: GrantContext,
  raw: string,
  ip: string | undefined,
): Promise<AuthResult> {
  try {
    return await context.auth.verifyApiKey(raw, ip);
  } catch (cause) {
    // verifyApiKey promises never to throw; if it does, the store or hasher broke.
    return { ok: false, error: new AuthError("unavailable", { cause }) };
  }
}

async function throttled(context: GrantContext, list: string[]): Promise<HttpAnswer | null> {
  const wait = await context.attempts.retryAfter(list);
  return wait > 0 ? tooManyAttempts(wait) : null;
}

/** `grant_type=refresh_token`: the refresh token is an API key; the token carries its owner. */
export async function refreshTokenGrant(
  context: GrantContext,
  { params, ip }: GrantRequest,
): Promise<GrantOutcome> {
  const raw = params.refresh_token;
  if (raw === undefined || raw === "") {
    return refuse(oauthError(400, "invalid_request", "The refresh_token parameter is missing."));
  }
  const list = attemptSubjects("ip", undefined, ip);
  const blocked = await throttled(context, list);
  if (blocked) return refuse(blocked);

  const result = await verifyKey(context, raw, ip);
  if (!result.ok) {
    const outage = keyOutage(result.error);
    if (outage) return refuse(outage);
    await context.attempts.fail(list);
    return refuse(
      oauthError(400, "invalid_grant", "The refresh token is invalid, expired or revoked."),
    );
  }
  const principal = result.principal;
  const scopes = narrowScopes(principal.scopes, params.scope);
  if (scopes === null) return invalidScope();
  const keyId = principal.key?.id;
  return issue(context, "refresh_token", {
    sub: principal.key?.ownerId ?? principal.id,
    scopes,
    roles: principal.roles,
    // The key is the client that asked for the token.
    clientId: keyId ?? context.clientId,
    ...(keyId === undefined ? {} : { keyId }),
  });
}

/**
 * `grant_type=client_credentials` (and the `app_token` JSON shape): the client is an API key
 * owned by a service. `client_id` is the key's public id, `client_secret` the whole key.
 */
export async function clientCredentialsGrant(
  context: GrantContext,
  { params, basic, ip }: GrantRequest,
): Promise<GrantOutcome> {
  const inBody = params.client_id !== undefined || params.client_secret !== undefined;
  if (basic.present && inBody) {
    return refuse(
      oauthError(
        400,
        "invalid_request",
        "Send client credentials in the body or in Basic, not both.",
      ),
    );
  }
  // RFC 6749 §5.2: a client that tried Basic gets 401 and a Basic challenge; a client that
  // sent its secret in the body gets 400, so browsers do not pop up a password dialog.
  const invalidClient = (): GrantOutcome =>
    basic.present
      ? refuse(
          oauthError(401, "invalid_client", "Client authentication failed.", {
            "www-authenticate": basicChallenge(context.realm),
          }),
        )
      : refuse(oauthError(400, "invalid_client", "Client authentication failed."));

  if (basic.present && !basic.ok) return invalidClient();
  const clientId = basic.present ? basic.clientId : params.client_id;
  const secret = basic.present ? basic.clientSecret : params.client_secret;
  if (clientId === undefined || clientId === "" || secret === undefined || secret === "") {
    return invalidClient();
  }
  // Per (client id, address), per client id from anywhere (softer) and per address: the
  // client id is public, so a budget per id alone would let anyone lock the client out.
  const list = attemptSubjects("client", clientId, ip);
  const blocked = await throttled(context, list);
  if (blocked) return refuse(blocked);

  const result = await verifyKey(context, secret, ip);
  if (!result.ok) {
    const outage = keyOutage(result.error);
    if (outage) return refuse(outage);
  }
  const key = result.ok ? result.principal.key : undefined;
  if (!result.ok || key?.id !== clientId) {
    await context.attempts.fail(list);
    return invalidClient();
  }
  const principal = result.principal;
  await context.attempts.reset?.(pairSubject("client", clientId, ip));
  if (!context.isClient(principal)) {
    return refuse(
      oauthError(400, "unauthorized_client", "This key may not use the client_credentials grant."),
    );
  }
  const scopes = narrowScopes(principal.scopes, params.scope);
  if (scopes === null) return invalidScope();
  return issue(context, "client_credentials", {
    sub: key.ownerId,
    scopes,
    roles: principal.roles,
    clientId,
    keyId: clientId,
  });
}

/** `grant_type=password`: the application's `verifyUser` hook checks the password. */
export async function passwordGrant(
  context: GrantContext,
  { params, ip }: GrantRequest,
): Promise<GrantOutcome> {
  if (context.verifyUser === undefined) {
    return refuse(
      oauthError(400, "unsupported_grant_type", "The password grant is not enabled here."),
    );
  }
  const { username, password } = params;
  if (username === undefined || username === "" || password === undefined || password === "") {
    return refuse(oauthError(400, "invalid_request", "The username and password are required."));
  }
  // As for clients: one address's failures must not refuse the user everywhere.
  const list = attemptSubjects("user", username, ip);
  const blocked = await throttled(context, list);
  if (blocked) return refuse(blocked);

  let user: VerifiedUser | null;
  try {
    user = await context.verifyUser(username, password);
  } catch {
    return refuse(unavailable());
  }
  if (user === null) {
    await context.attempts.fail(list);
    return refuse(oauthError(400, "invalid_grant", "The username or password is wrong."));
  }
  await context.attempts.reset?.(pairSubject("user", username, ip));
  // A token whose `client_id` equals its `sub` reads as a client-credentials token, so this
  // user's token would pass as the client's own (a `service` principal).
  if (user.id === context.clientId) {
    return refuse(
      oauthError(400, "invalid_grant", "This user's id is the client id of this endpoint."),
    );
  }
  const scopes = narrowScopes(user.scopes ?? [], params.scope);
  if (scopes === null) return invalidScope();
  return issue(context, "password", {
    sub: user.id,
    scopes,
    roles: user.roles ?? [],
    clientId: context.clientId,
  });
}
