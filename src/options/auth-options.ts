/**
 * The public shapes of `createAuth`: its options, the `Auth` it returns, and the resolved
 * `auth.config` that adapters and route handlers read instead of re-deriving defaults.
 */
import type { ResolvedCsrf } from "../pick/csrf.js";
import type { ApiKeyOptions, KeyManager } from "../verify/api-key/api-keys.js";
import type { CookieOptions, CsrfOptions, JwtOptions } from "./jwt-options.js";
import type { ToPrincipal } from "../principal/from-claims.js";
import type { TokenIssuer } from "../tokens/token-service.js";
import type { AuthEvent, AuthResult, Principal, RequestView, Seconds } from "../types.js";

/** The `jwt` option, with `toPrincipal` typed for the user type of `createAuth<TUser>()`. */
export type AuthJwtOptions<TUser extends Principal = Principal> = Omit<
  JwtOptions,
  "toPrincipal"
> & {
  /**
   * Maps verified claims to your user type. Default: `sub` → `id`, `scope`/`scopes`/`scp` →
   * `scopes`, `roles` → `roles` (see docs/precedence.md). Throwing makes the request
   * `unavailable` (503), so validate claims and return, don't throw, for bad tokens.
   */
  toPrincipal?: ToPrincipal<TUser>;
};

interface CommonAuthOptions {
  /**
   * Read the access token from a cookie (precedence step 3). `true` uses the defaults
   * (`access_token`, Secure, SameSite=Lax, Path=/). Default: off — a server that never set a
   * cookie should not honour one. Requires `jwt`; unsafe methods then pass {@link csrf}.
   * Attributes a browser would drop or that weaken the cookie (SameSite=None without
   * Secure; a path or domain with `;`, `,`, whitespace or control characters; a `__Host-`
   * name without Secure, with a Domain or off `Path=/`; a `__Secure-` name without Secure)
   * are refused with a `TypeError` naming the option.
   */
  cookie?: CookieOptions | boolean;
  /**
   * The cross-site rule for cookie-authenticated unsafe requests. Default: on, same-origin
   * by `Origin`/`Sec-Fetch-Site`. `false` turns it off (warns once with
   * `GATEHOUSE_CSRF_DISABLED`). Security: only turn it off when the cookie is
   * `SameSite=Strict` and no sibling subdomain is untrusted.
   */
  csrf?: CsrfOptions | boolean;
  /** The `realm` of `WWW-Authenticate` challenges. Default `"api"`. */
  realm?: string;
  /**
   * Called for every authentication outcome (authenticated / failed / unavailable) with the
   * source and a reason, for logs and metrics. Never receives the credential. Exceptions it
   * throws are swallowed so that logging cannot break authentication. Anonymous requests
   * (no credential at all) are not reported.
   */
  onEvent?: (event: AuthEvent) => void;
}

/** At least one of `jwt` and `apiKeys` (also checked at runtime). */
export type AuthOptions<TUser extends Principal = Principal> = CommonAuthOptions &
  (
    | {
        /** Verify (and issue) JWT access tokens: Bearer, and the cookie when `cookie` is set. */
        jwt: AuthJwtOptions<TUser>;
        /** Verify and manage API keys. Optional when `jwt` is given. */
        apiKeys?: ApiKeyOptions;
      }
    | {
        /** Verify (and issue) JWT access tokens. Optional when `apiKeys` is given. */
        jwt?: AuthJwtOptions<TUser>;
        /** Verify and manage API keys: the `x-api-key` header by default. */
        apiKeys: ApiKeyOptions;
      }
  );

/** `auth.tokens`: the token issuer plus the core's verifier. */
export interface AuthTokens<TUser extends Principal = Principal> extends TokenIssuer {
  /** Verifies a compact access token exactly as a Bearer header would be. Never throws. */
  verify(token: string): Promise<AuthResult<TUser>>;
}

/** The resolved, frozen configuration adapters and route handlers read. */
export interface AuthConfig {
  /** The `realm` of `WWW-Authenticate` challenges (option `realm`, default `"api"`). */
  readonly realm: string;
  /** The resolved `cookie` option, with defaults filled in. */
  readonly cookie: Readonly<{
    /** Whether the cookie is read as a credential (precedence step 3). */
    enabled: boolean;
    /** The cookie name (default `access_token`). */
    name: string;
    /** The `Secure` attribute when gatehouse sets the cookie (default `true`). */
    secure: boolean;
    /** The `SameSite` attribute when gatehouse sets the cookie (default `Lax`). */
    sameSite: "Lax" | "Strict" | "None";
    /** The `Path` attribute when gatehouse sets the cookie (default `/`). */
    path: string;
    /** The `Domain` attribute; `undefined` (default) makes a host-only cookie. */
    domain: string | undefined;
  }>;
  /** The resolved cross-site rule for cookie-authenticated unsafe requests. */
  readonly csrf: ResolvedCsrf;
  /** The resolved `apiKeys` option. */
  readonly apiKeys: Readonly<{
    /** Whether API keys are verified (the `apiKeys` option was given). */
    enabled: boolean;
    /** Lower-case header names that carry a key. */
    headers: readonly string[];
    /** Whether `Authorization: Bearer` values in the key format go to the key verifier (default `false`). */
    acceptBearer: boolean;
  }>;
  /** The resolved `jwt` option. */
  readonly jwt: Readonly<{
    /** Whether JWTs are verified (the `jwt` option was given). */
    enabled: boolean;
    /** The algorithm allow-list. */
    algorithms: readonly string[];
    /** Accepted `iss` value(s); `undefined`: not checked. */
    issuer: string | readonly string[] | undefined;
    /** Accepted `aud` value(s); `undefined`: not checked. */
    audience: string | readonly string[] | undefined;
    /** Lifetime of issued access tokens. */
    ttl: Seconds;
    /** The `typ` required of tokens, if any. */
    typ: string | undefined;
  }>;
}

/** What `createAuth` returns: the core that adapters wrap, plus key and token management. */
export interface Auth<TUser extends Principal = Principal> {
  /**
   * Decides who is calling. Never throws: bad input and outages resolve to `{ ok: false }`.
   * The adapters call whatever this holds when a request arrives, so a replacement or a
   * wrapper (to trace it, say) sees every request.
   */
  authenticate(request: Request | RequestView): Promise<AuthResult<TUser>>;
  /** Verifies a raw API key (the token endpoint's refresh/client-credentials grants). */
  verifyApiKey(raw: string, client?: string): Promise<AuthResult<TUser>>;
  /** The key manager; without `apiKeys` its methods reject with a `TypeError`. */
  readonly keys: KeyManager;
  /** Issues and verifies access tokens. Issuing needs `jwt.secret` or `jwt.privateKey`; without one it rejects with a `TypeError`. */
  readonly tokens: AuthTokens<TUser>;
  /** The resolved, frozen configuration. */
  readonly config: AuthConfig;
  /** Flushes pending writes and releases stores. Idempotent. */
  close(): Promise<void>;
}
