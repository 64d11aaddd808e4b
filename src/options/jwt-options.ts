/**
 * The `jwt` option of `createAuth` (one of these, or a list of them), shared by verification
 * (src/verify/jwt/) and issuing (src/tokens/). Verification owns validation of these options.
 */
import type { KeyObject } from "node:crypto";
import type { JWK } from "jose";
import type { Principal, Seconds } from "../types.js";

/** A key as users hold it: a PEM string, a JWK object, or a Node KeyObject. */
export type KeyInput = string | JWK | KeyObject;

/**
 * The `jwt` option of `createAuth`, or one entry of a list of them: which tokens verify, and
 * how issued tokens are signed. In a list, every member applies to that entry's tokens only.
 */
export interface JwtOptions {
  /**
   * The algorithm allow-list, e.g. `["HS256"]` or `["ES256", "RS256"]`. Required: there is no
   * default, because a default is what lets a token pick its own algorithm. Either all HMAC
   * (`HS256`/`HS384`/`HS512`, with {@link secret}) or all asymmetric (`RS*`, `PS*`, `ES256`/
   * `ES384`/`ES512`, `EdDSA`/`Ed25519`, with {@link privateKey}, {@link publicKey} or
   * {@link jwks}). Security: `none` and a mix of HMAC and asymmetric are `TypeError`s.
   */
  algorithms: string[];
  /**
   * HMAC secret(s) for HS*, as a string (its UTF-8 bytes) or bytes. No default. At least as
   * long as the hash: 32 bytes for HS256, 48 for HS384, 64 for HS512 (RFC 7518 §3.2). An array
   * rotates: the first signs, all verify. Imported once at construction. Security: a short
   * secret or a short repeated pattern (`"a".repeat(32)`) is a `TypeError`; excludes
   * {@link privateKey}, {@link publicKey}, {@link jwks}.
   */
  secret?: string | Uint8Array | Array<string | Uint8Array>;
  /**
   * The private key that signs access tokens (asymmetric setups): PEM, JWK or KeyObject. No
   * default. Its public half is derived once and verifies too, besides {@link publicKey}.
   * Security: RSA under 2048 bits is a `TypeError`.
   */
  privateKey?: KeyInput;
  /** The `kid` of {@link privateKey} (taken from a JWK's own `kid` when absent). */
  kid?: string;
  /**
   * Public verification key(s): PEM (SPKI or certificate), JWK or KeyObject; several at once
   * during rotation. No default. A JWK's `kid` and `alg` narrow which tokens it verifies.
   * Security: RSA under 2048 bits or with an exponent below 3, `oct` JWKs and JWKs with `use`
   * other than `sig` are `TypeError`s.
   */
  publicKey?: KeyInput | KeyInput[];
  /**
   * A local JWKS (`{ keys }`, checked like {@link publicKey}) or the https URL of a remote one.
   * A remote set is fetched on first use, cached, and refetched when a token names an unknown
   * `kid`, at most every 30 s (5 s fetch timeout); an unreachable set makes requests
   * `unavailable` (503). A URL cannot be combined with {@link publicKey}/{@link privateKey}.
   * Security: plain http is refused except for localhost.
   */
  jwks?:
    | {
        /** The public JWKs of the set. */
        keys: JWK[];
      }
    | string
    | URL;
  /**
   * Accepted `iss` value(s). Default: not checked. The issuer puts the first in its tokens.
   * In a list of entries, tokens are routed by it: required for an entry with only foreign
   * keys ({@link publicKey}, {@link jwks}), and no two entries may accept the same value.
   */
  issuer?: string | string[];
  /**
   * Accepted `aud` value(s); a token must name one. The issuer puts them in its tokens. With
   * this server's own key ({@link secret} or {@link privateKey}) the default is not to check.
   * With only foreign keys ({@link publicKey}, {@link jwks}) it is required, a `TypeError`
   * when absent: one identity provider mints tokens for every API of a tenant under the same
   * keys, and without an audience this API would accept a token minted for any of them.
   * `false` opts out explicitly and accepts exactly that: any token the keys verify, whatever
   * API it was minted for. Security: prefer a value; keep `false` for APIs that are meant to
   * take every token of the tenant.
   */
  audience?: string | string[] | false;
  /** Lifetime of issued access tokens: seconds or a time span (`"15m"`). Default 15m. */
  ttl?: string | Seconds;
  /** Allowed clock skew when checking `exp`, `nbf` and `iat`: seconds or a span. Default 5 s. */
  clockTolerance?: string | Seconds;
  /**
   * Refuse tokens whose `iat` is older than this (seconds or a span) as `token_expired`, and
   * require `iat`. Default: no limit. Also caps how long a token stays in the cache.
   */
  maxTokenAge?: string | Seconds;
  /**
   * Refuse tokens whose `exp - iat` (or `exp - now` without `iat`) exceeds this: seconds or a
   * span. Default 24 h. Security: bounds what a leaked signing key can mint; the issuer
   * refuses a {@link ttl} above it.
   */
  maxLifetime?: string | Seconds;
  /**
   * The required `typ` header (compared as jose does, `application/` optional). Default
   * `at+jwt` (RFC 9068) when this server holds the signing key ({@link secret} or
   * {@link privateKey}), so an ID token signed with the same key cannot pass as an access
   * token; nothing when only foreign keys are configured. `false` accepts any `typ`.
   */
  typ?: string | false;
  /** Claims that must be present besides `exp`, which always is. Default `[]`. */
  requiredClaims?: string[];
  /**
   * Tokens longer than this many characters are refused before they are split or decoded.
   * Default 8192. Security: jose parses header and payload before the signature check.
   */
  maxTokenLength?: number;
  /**
   * Asked after every successful verification, cache hits included; resolving `true` refuses
   * the token (`invalid_token`, "revoked"). Default: none. Throwing or rejecting makes the
   * request `unavailable` (503). Keep it fast: it runs on every request.
   */
  isRevoked?: (claims: Record<string, unknown>) => boolean | Promise<boolean>;
  /**
   * Maps verified claims to a principal; the default reads sub, scope/scopes/scp, roles.
   * `context.via` tells a Bearer token (`"jwt"`) from the cookie (`"cookie"`). Throwing makes
   * the request `unavailable`.
   */
  toPrincipal?: (
    claims: Readonly<Record<string, unknown>>,
    context: { via: "jwt" | "cookie" },
  ) => Principal;
  /**
   * Bound of the verified-token cache, in entries. Default 10 000; `0` disables it. Entries
   * never outlive the token's `exp`. Memory stays bounded under floods of distinct tokens.
   */
  cacheMax?: number;
}

/** The `cookie` option: reading the access token from a cookie, and the attributes gatehouse sets it with. */
export interface CookieOptions {
  /** The cookie name, matched exactly (case-sensitive). Default `access_token`. */
  name?: string;
  /** `Secure` attribute when gatehouse sets the cookie. Default true; false for local http only. */
  secure?: boolean;
  /** `SameSite` attribute when gatehouse sets the cookie. Default `Lax`. */
  sameSite?: "Lax" | "Strict" | "None";
  /** `Path` attribute when gatehouse sets the cookie. Default `/`. */
  path?: string;
  /** `Domain` attribute when gatehouse sets the cookie. Default: none (host-only, safest). */
  domain?: string;
}

/** The `csrf` option: the cross-site rule for cookie-authenticated unsafe requests. */
export interface CsrfOptions {
  /**
   * Whether cookie-authenticated unsafe requests (POST, PUT, PATCH, DELETE…) must pass the
   * check. Default true. Security: turning it off warns once (`GATEHOUSE_CSRF_DISABLED`).
   */
  enabled?: boolean;
  /**
   * Origins allowed besides the request's own, e.g. `https://app.example.com` (compared as
   * serialised origins; a path is ignored). Default `[]`.
   */
  allowedOrigins?: string[];
  /**
   * Also accept a double-submit token: the header must equal the cookie. `true` uses cookie
   * `csrf_token` and header `x-csrf-token`. Default off. Passing either this or the origin
   * check is enough.
   */
  doubleSubmit?:
    | {
        /** The cookie that holds the token. Default `csrf_token`. */
        cookie?: string;
        /** The request header that must repeat it, case-insensitive. Default `x-csrf-token`. */
        header?: string;
      }
    | boolean;
}
