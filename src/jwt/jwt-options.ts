/**
 * SEAM: the `jwt` option of `createAuth`, shared by verification (issue 2, src/jwt/) and
 * issuing (issue 5, src/tokens/). Verification owns validation of these options.
 */
import type { KeyObject } from "node:crypto";
import type { JWK } from "jose";
import type { Principal, Seconds } from "../types.js";

/** A key as users hold it: a PEM string, a JWK object, or a Node KeyObject. */
export type KeyInput = string | JWK | KeyObject;

export interface JwtOptions {
  /** The allowed algorithms, e.g. `["HS256"]` or `["ES256"]`. Required; never `none`. */
  algorithms: string[];
  /**
   * HMAC secret(s) for HS*: at least 32 bytes. An array rotates: the first signs, all verify.
   */
  secret?: string | Uint8Array | Array<string | Uint8Array>;
  /** The private key that signs access tokens (asymmetric setups). Its public half verifies. */
  privateKey?: KeyInput;
  /** The `kid` of `privateKey` (taken from a JWK's own `kid` when absent). */
  kid?: string;
  /** Public verification key(s); several at once during rotation. */
  publicKey?: KeyInput | KeyInput[];
  /** A local JWKS, or the URL of a remote one (cached, refetched on an unknown `kid`). */
  jwks?: { keys: JWK[] } | string | URL;
  issuer?: string | string[];
  audience?: string | string[];
  /** Lifetime of issued access tokens: seconds or a jose time span (`"15m"`). Default 15m. */
  ttl?: string | Seconds;
  /** Allowed clock skew. Default 5 s. */
  clockTolerance?: string | Seconds;
  /** Reject tokens whose `iat` is older than this. */
  maxTokenAge?: string | Seconds;
  /** Reject tokens whose `exp - iat` exceeds this. Default 24 h. */
  maxLifetime?: string | Seconds;
  /** Required `typ` header. Default `at+jwt` for tokens of our own issuer. */
  typ?: string | false;
  /** Claims that must be present besides `exp`. */
  requiredClaims?: string[];
  /** Compact tokens longer than this are refused before decoding. Default 8192. */
  maxTokenLength?: number;
  /** Called after a good signature check; `true` refuses the token. */
  isRevoked?: (claims: Record<string, unknown>) => boolean | Promise<boolean>;
  /**
   * Maps verified claims to a principal; the default reads sub, scope/scopes/scp, roles.
   * `context.via` tells a Bearer token (`"jwt"`) from the cookie (`"cookie"`).
   */
  toPrincipal?: (
    claims: Readonly<Record<string, unknown>>,
    context: { via: "jwt" | "cookie" },
  ) => Principal;
  /** Verified-token cache bound. Default 10 000 entries. */
  cacheMax?: number;
}

export interface CookieOptions {
  /** The cookie name. Default `access_token`. */
  name?: string;
  /** `Secure` attribute when gatehouse sets the cookie. Default true. */
  secure?: boolean;
  sameSite?: "Lax" | "Strict" | "None";
  path?: string;
  domain?: string;
}

export interface CsrfOptions {
  /** Default true: cookie-authenticated unsafe requests must pass the check. */
  enabled?: boolean;
  /** Origins allowed besides the request's own (e.g. `https://app.example.com`). */
  allowedOrigins?: string[];
  /** Double-submit instead of / besides origin: the cookie and header that must match. */
  doubleSubmit?: { cookie?: string; header?: string } | boolean;
}
