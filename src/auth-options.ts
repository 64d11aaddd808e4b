/**
 * The public shapes of `createAuth`: its options, the `Auth` it returns, and the resolved
 * `auth.config` that adapters and route handlers read instead of re-deriving defaults.
 */
import type { ResolvedCsrf } from "./csrf.js";
import type { ApiKeyOptions, KeyManager } from "./keys/api-keys.js";
import type { CookieOptions, CsrfOptions, JwtOptions } from "./jwt/jwt-options.js";
import type { ToPrincipal } from "./principal.js";
import type { TokenIssuer } from "./tokens/token-service.js";
import type { AuthEvent, AuthResult, Principal, RequestView, Seconds } from "./types.js";

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
    | { jwt: AuthJwtOptions<TUser>; apiKeys?: ApiKeyOptions }
    | { jwt?: AuthJwtOptions<TUser>; apiKeys: ApiKeyOptions }
  );

/** `auth.tokens`: the issuer (issue 5) plus the core's verifier. */
export interface AuthTokens<TUser extends Principal = Principal> extends TokenIssuer {
  /** Verifies a compact access token exactly as a Bearer header would be. Never throws. */
  verify(token: string): Promise<AuthResult<TUser>>;
}

/** The resolved, frozen configuration adapters and route handlers read. */
export interface AuthConfig {
  readonly realm: string;
  readonly cookie: Readonly<{
    /** Whether the cookie is read as a credential (precedence step 3). */
    enabled: boolean;
    name: string;
    secure: boolean;
    sameSite: "Lax" | "Strict" | "None";
    path: string;
    domain: string | undefined;
  }>;
  readonly csrf: ResolvedCsrf;
  readonly apiKeys: Readonly<{
    enabled: boolean;
    /** Lower-case header names that carry a key. */
    headers: readonly string[];
    acceptBearer: boolean;
  }>;
  readonly jwt: Readonly<{
    enabled: boolean;
    algorithms: readonly string[];
    issuer: string | readonly string[] | undefined;
    audience: string | readonly string[] | undefined;
    /** Lifetime of issued access tokens. */
    ttl: Seconds;
    /** The `typ` required of tokens, if any. */
    typ: string | undefined;
  }>;
}

export interface Auth<TUser extends Principal = Principal> {
  /** Decides who is calling. Never throws: bad input and outages resolve to `{ ok: false }`. */
  authenticate(request: Request | RequestView): Promise<AuthResult<TUser>>;
  /** Verifies a raw API key (the token endpoint's refresh/client-credentials grants). */
  verifyApiKey(raw: string): Promise<AuthResult<TUser>>;
  /** The key manager; without `apiKeys` its methods reject with a `TypeError`. */
  readonly keys: KeyManager;
  readonly tokens: AuthTokens<TUser>;
  readonly config: AuthConfig;
  /** Flushes pending writes and releases stores. Idempotent. */
  close(): Promise<void>;
}
