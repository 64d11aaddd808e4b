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

/**
 * The `jwt` option: one issuer, or a list of them. In a list, a token is routed by its `iss`
 * to the one entry that names it and verified only with that entry's keys and rules (see
 * docs/issuers.md); at most one entry holds a signing key (`secret` or `privateKey`) and
 * issues `auth.tokens`, every entry with only foreign keys names its `issuer`, and no two
 * entries accept the same issuer. Each entry's `toPrincipal` maps that issuer's claims.
 */
export type AuthJwtOption<TUser extends Principal = Principal> =
  AuthJwtOptions<TUser> | readonly AuthJwtOptions<TUser>[];

/**
 * The `protectedResource` option: this API described as an OAuth 2.0 protected resource
 * (RFC 9728), as the MCP authorization spec asks of every MCP server. With it, every
 * `WWW-Authenticate` challenge carries `resource_metadata` (§5.1) and the adapters'
 * `wellKnownRoutes(auth)` serve the metadata document. Checked at construction: a bad URL is
 * a `TypeError` naming the member.
 */
export interface ProtectedResourceOptions {
  /**
   * The resource identifier (RFC 9728 §1.2): the https URL clients call, e.g.
   * `https://api.example.com/mcp`; http only for localhost; no query, no fragment. Its
   * metadata URL puts `/.well-known/oauth-protected-resource` between host and path (§3.1).
   */
  resource: string;
  /**
   * Issuer identifiers (RFC 8414) of the authorization servers whose tokens this resource
   * accepts, e.g. `["https://tenant.eu.auth0.com/"]`; at least one, each an https URL
   * without query or fragment (http only for localhost).
   */
  authorizationServers: readonly string[];
  /** Scopes a client may ask for to call this resource (`scopes_supported`). Default: not listed. */
  scopesSupported?: readonly string[];
  /** A page for developers about this resource (`resource_documentation`). Default: not listed. */
  resourceDocumentation?: string;
}

interface CommonAuthOptions {
  /**
   * Describe this API as an OAuth protected resource (RFC 9728): challenges point at its
   * metadata and `wellKnownRoutes(auth)` serves it. Default: off. See docs/discovery.md.
   */
  protectedResource?: ProtectedResourceOptions;
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
        jwt: AuthJwtOption<TUser>;
        /** Verify and manage API keys. Optional when `jwt` is given. */
        apiKeys?: ApiKeyOptions;
      }
    | {
        /** Verify (and issue) JWT access tokens. Optional when `apiKeys` is given. */
        jwt?: AuthJwtOption<TUser>;
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
  /**
   * The resolved `jwt` option. With a list, the top-level members describe the entry that
   * signs (the one `auth.tokens` and the token routes issue with), or the first entry when
   * none does; {@link AuthConfig.jwt}`.issuers` lists every entry in the order given.
   */
  readonly jwt: Readonly<
    IssuerView & {
      /** Whether JWTs are verified (the `jwt` option was given). */
      enabled: boolean;
      /** Lifetime of issued access tokens. */
      ttl: Seconds;
      /** Every entry of the `jwt` option, in order: one for a lone object, none without `jwt`. */
      issuers: readonly IssuerView[];
    }
  >;
  /** The resolved `protectedResource` option, or `undefined` when not given. */
  readonly protectedResource: ResolvedProtectedResource | undefined;
}

/** One entry of the `jwt` option as resolved, in {@link AuthConfig.jwt}. */
export interface IssuerView {
  /** The algorithm allow-list. */
  readonly algorithms: readonly string[];
  /** Accepted `iss` value(s); `undefined`: not checked. */
  readonly issuer: string | readonly string[] | undefined;
  /** Accepted `aud` value(s); `undefined`: not checked. */
  readonly audience: string | readonly string[] | undefined;
  /** The `typ` required of tokens, if any. */
  readonly typ: string | undefined;
  /** Whether the entry holds this server's signing key (`secret` or `privateKey`). */
  readonly signs: boolean;
}

/** The `protectedResource` option as resolved, in {@link AuthConfig.protectedResource}. */
export interface ResolvedProtectedResource {
  /** The resource identifier, as given. */
  readonly resource: string;
  /** The issuer identifiers of the authorization servers, as given. */
  readonly authorizationServers: readonly string[];
  /** `scopes_supported`, when given. */
  readonly scopesSupported: readonly string[] | undefined;
  /** `resource_documentation`, when given. */
  readonly resourceDocumentation: string | undefined;
  /** Where the metadata document is served (RFC 9728 §3.1); challenges point here. */
  readonly metadataUrl: string;
  /** The path part of {@link metadataUrl}, which `wellKnownRoutes` answers on. */
  readonly metadataPath: string;
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
  /**
   * The `onEvent` listener given to `createAuth` (absent without one), guarded so that what
   * it throws is swallowed: the token endpoint and other route handlers report through it.
   */
  readonly onEvent?: (event: AuthEvent) => void;
}
