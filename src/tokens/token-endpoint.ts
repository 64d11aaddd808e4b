/**
 * The token routes, framework-neutral: `POST /token`, `POST /logout` and
 * `GET /.well-known/jwks.json` below the mount point. Adapters parse the body (form or JSON)
 * into `req.body`, call {@link TokenEndpoint.handle} and send the {@link HttpAnswer} as is;
 * `null` means "not ours", and the adapter passes the request on.
 */
import { createReporter } from "../decide/report.js";
import { checkCsrf, resolveCsrf } from "../pick/csrf.js";
import type { HttpAnswer, RouteRequest } from "../http/answer.js";
import type { CookieOptions } from "../options/jwt-options.js";
import type { Principal } from "../types.js";
import {
  memoryAttemptLimiter,
  type AttemptLimiter,
  type MemoryAttemptLimiterOptions,
} from "./attempt-limiter.js";
import {
  clientCredentialsGrant,
  passwordGrant,
  refreshTokenGrant,
  type GrantContext,
  type GrantOutcome,
  type GrantRequest,
  type TokenEndpointAuth,
  type VerifyUser,
} from "./grants.js";
import { oauthError, oauthJson } from "./oauth-answer.js";
import { clearTokenCookie, resolveCookie, setTokenCookie } from "./token-cookie.js";
import { readBasicAuth, readTokenParams, type TokenParams } from "./token-params.js";

/** Options of the token routes (`tokenRoutes` in each adapter, or {@link createTokenEndpoint}). */
export interface TokenRouteOptions {
  /**
   * Enables `grant_type=password`: checks a username and password and resolves to
   * `{ id, scopes?, roles? }` or `null`. Default: none, and the password grant answers
   * `unsupported_grant_type`. Failed attempts are throttled by {@link attempts}.
   */
  verifyUser?: VerifyUser;
  /**
   * Whether a successful password grant also sets the token cookie (HttpOnly, Secure,
   * SameSite=Lax, Path=/, Max-Age = the token's lifetime):
   * - `true`: always;
   * - `"on-request"`: when the request asks with `cookie=1` (or `true`) in the body or the
   *   query string;
   * - `false` (default): never.
   *
   * When the cookie carries the token, the JSON answer leaves `access_token` out, so page
   * scripts never see what HttpOnly hides from them. Only the password grant sets cookies:
   * machine clients (refresh_token, client_credentials) get JSON only.
   */
  cookie?: boolean | "on-request";
  /**
   * Cookie attributes, over those of `createAuth({ cookie })`. Set `secure: false` for
   * local http development only: browsers send a Secure cookie over https alone.
   */
  cookieOptions?: CookieOptions;
  /**
   * The throttle of failed password and client-secret attempts (and failed refresh tokens,
   * per IP). Default: {@link memoryAttemptLimiter} with its defaults (10 failures per user
   * or client from one address, 100 per user or client from all addresses, 100 per IP, per
   * 15 minutes). Pass options to tune it, your own
   * {@link AttemptLimiter} to share counts across instances, or `false` to turn it off.
   */
  attempts?: AttemptLimiter | MemoryAttemptLimiterOptions | false;
  /**
   * Which verified API keys may use `client_credentials`. Default: keys whose principal has
   * `type: "service"` (keys created with `ownerType: "service"`). Other keys use the
   * `refresh_token` grant.
   */
  isClient?: (principal: Principal) => boolean;
  /**
   * The `client_id` claim of password-grant tokens (RFC 9068 puts one in every access
   * token); `refresh_token` and `client_credentials` tokens carry their key's id instead.
   * Default `"gatehouse:password"` (a colon keeps it from matching a user id by accident).
   */
  clientId?: string;
  /** The route paths below the mount point. `jwks: false` turns the JWKS route off. */
  paths?: {
    /** `POST`: the OAuth token endpoint. Default `/token`. */
    token?: string;
    /** `POST`: clears the token cookie (204). Default `/logout`. */
    logout?: string;
    /** `GET`/`HEAD`: the public JWKS. Default `/.well-known/jwks.json`; `false` turns it off. */
    jwks?: string | false;
  };
}

/** A route request; `query` is read for the `cookie=1` flag when the adapter gives it. */
export type TokenRouteRequest = RouteRequest & {
  /** The parsed query string, when the adapter has it. */
  query?: URLSearchParams;
};

/** The framework-neutral token routes that adapters mount. */
export interface TokenEndpoint {
  /** Whether {@link handle} may answer: a cheap synchronous check that reads no body. */
  matches(method: string, path: string): boolean;
  /** The answer for a token route, or `null` when the path or method is not one of them. */
  handle(req: TokenRouteRequest): Promise<HttpAnswer | null>;
}

const GRANTS: Readonly<
  Record<string, (context: GrantContext, request: GrantRequest) => Promise<GrantOutcome>>
> = {
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
};

const YES = new Set(["1", "true", "yes", "on"]);

/** Paths compare without a trailing slash: `/token/` is `/token`. */
function normalise(path: string): string {
  const bare = path.split("?")[0] ?? "";
  return bare.length > 1 && bare.endsWith("/") ? bare.slice(0, -1) : bare;
}

function checkPath(value: string, option: string): string {
  if (!value.startsWith("/")) throw new TypeError(`gatehouse: ${option} must start with /`);
  return normalise(value);
}

function limiterFrom(option: TokenRouteOptions["attempts"]): AttemptLimiter {
  if (option === false) return { retryAfter: () => 0, fail: () => undefined };
  if (option !== undefined && "retryAfter" in option) return option;
  return memoryAttemptLimiter(option);
}

/** The grant a request names; a bare username + password is the password grant. */
function grantOf(params: TokenParams): string | undefined {
  if (params.grant_type !== undefined) return params.grant_type;
  // Some password-flow clients post only username and password (the grant is implied).
  if (params.username !== undefined && params.password !== undefined) return "password";
  return undefined;
}

/**
 * Builds the token routes (token, logout, JWKS) for `auth`. Throws a `TypeError` for a bad
 * path, or when `cookie` is on but `createAuth` has no `cookie` option.
 */
export function createTokenEndpoint(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions = {},
): TokenEndpoint {
  const realm = auth.config?.realm ?? "api";
  // Found at mount, not at the first login: issuing needs the jwt option and an issuer.
  const jwt = auth.config?.jwt;
  if (jwt !== undefined && (jwt.enabled === false || jwt.issuer === undefined)) {
    throw new TypeError(
      "gatehouse: tokenRoutes issues access tokens, which needs createAuth({ jwt: { issuer } })",
    );
  }
  const cookie = resolveCookie(auth.config?.cookie, options.cookieOptions);
  const cookieMode = options.cookie ?? false;
  if (cookieMode !== false && auth.config?.cookie?.enabled === false) {
    // A cookie the verifier never reads would log nobody in.
    throw new TypeError("gatehouse: tokenRoutes cookie needs the cookie option of createAuth");
  }
  const tokenPath = checkPath(options.paths?.token ?? "/token", "paths.token");
  const logoutPath = checkPath(options.paths?.logout ?? "/logout", "paths.logout");
  const jwksOption = options.paths?.jwks ?? "/.well-known/jwks.json";
  const jwksPath = jwksOption === false ? null : checkPath(jwksOption, "paths.jwks");
  const context: GrantContext = {
    auth,
    realm,
    attempts: limiterFrom(options.attempts),
    verifyUser: options.verifyUser,
    isClient: options.isClient ?? ((p) => p.type === "service"),
    clientId: options.clientId ?? "gatehouse:password",
    report: createReporter(auth.onEvent),
  };
  if (typeof context.clientId !== "string" || context.clientId === "") {
    throw new TypeError("gatehouse: tokenRoutes clientId must be a non-empty string");
  }

  const csrf = auth.config?.csrf ?? resolveCsrf(undefined, false);
  /**
   * The CSRF rule of cookie requests, applied to the routes that set or clear the cookie.
   * Browsers send `Origin` or `Sec-Fetch-Site` on every cross-origin POST; a request with
   * neither is a non-browser client (curl, a server), which no other site can steer.
   */
  function crossSite(req: TokenRouteRequest): boolean {
    const { headers } = req;
    if (headers.get("origin") === null && headers.get("sec-fetch-site") === null) return false;
    return checkCsrf({ method: req.method, url: "/", headers }, csrf) !== null;
  }

  function wantsCookie(req: TokenRouteRequest, params: TokenParams): boolean {
    if (cookieMode === true) return true;
    if (cookieMode === false) return false;
    const flag = params.cookie ?? req.query?.get("cookie") ?? "";
    return YES.has(flag.toLowerCase());
  }

  async function token(req: TokenRouteRequest): Promise<HttpAnswer> {
    const read = readTokenParams(req.body);
    if (!read.ok) return oauthError(400, "invalid_request", read.description);
    const { params, appToken } = read;
    const grant = grantOf(params);
    if (grant === undefined) {
      return oauthError(400, "invalid_request", "The grant_type parameter is missing.");
    }
    const run = Object.hasOwn(GRANTS, grant) ? GRANTS[grant] : undefined;
    if (run === undefined) {
      return oauthError(400, "unsupported_grant_type", "This grant type is not supported.");
    }
    const setCookie = grant === "password" && wantsCookie(req, params);
    // Login CSRF: a page of another origin must not log the browser in as someone else.
    // The cookie it sets is a credential, so its origin rule is the cookie's own.
    if (setCookie && crossSite(req)) {
      return oauthError(403, "invalid_request", "Cookie login is refused from another origin.");
    }
    const outcome = await run(context, {
      params,
      basic: readBasicAuth(req.headers.get("authorization")),
      ip: req.ip,
    });
    if (!outcome.ok) return outcome.answer;

    const { issued } = outcome;
    const body: Record<string, unknown> = {
      access_token: issued.token,
      token_type: "Bearer",
      expires_in: issued.expiresIn,
      scope: issued.scope,
    };
    if (appToken) body.accessToken = issued.token;
    if (!setCookie) return oauthJson(200, body);
    delete body.access_token;
    return oauthJson(200, body, {
      "set-cookie": setTokenCookie(cookie, issued.token, issued.expiresIn),
    });
  }

  async function jwks(): Promise<HttpAnswer | null> {
    const set = await auth.tokens.jwks();
    // HMAC setups have no public keys: the route does not exist for them.
    if (set.keys.length === 0) return null;
    return {
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "public, max-age=300" },
      body: set,
    };
  }

  return {
    matches(method, path) {
      const route = normalise(path);
      const verb = method.toUpperCase();
      if (route === tokenPath || route === logoutPath) return verb !== "OPTIONS";
      return route === jwksPath && (verb === "GET" || verb === "HEAD");
    },
    async handle(req) {
      const path = normalise(req.path);
      const method = req.method.toUpperCase();
      if (path === tokenPath) {
        if (method === "POST") return token(req);
        return method === "OPTIONS" ? null : notAllowed("POST");
      }
      if (path === logoutPath) {
        if (method === "POST") {
          if (crossSite(req)) {
            return oauthError(403, "invalid_request", "Logout is refused from another origin.");
          }
          return {
            status: 204,
            headers: { "cache-control": "no-store", "set-cookie": clearTokenCookie(cookie) },
          };
        }
        return method === "OPTIONS" ? null : notAllowed("POST");
      }
      if (jwksPath !== null && path === jwksPath && (method === "GET" || method === "HEAD")) {
        return jwks();
      }
      return null;
    },
  };
}

function notAllowed(allow: string): HttpAnswer {
  return oauthError(405, "invalid_request", `Use ${allow}.`, { allow });
}
