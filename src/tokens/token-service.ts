/**
 * SEAM (owned by the tokens work, issue 5): issuing access tokens. `createAuth` builds one
 * from `options.jwt` and exposes it as `auth.tokens` together with the core's verifier.
 * The body below is a placeholder to be replaced.
 */
import type { Seconds } from "../types.js";
import type { JwtOptions } from "../jwt/jwt-options.js";

export interface IssueInput {
  sub: string;
  scopes?: string[];
  roles?: string[];
  /** Overrides `jwt.ttl` for this token. */
  ttl?: string | Seconds;
  /** Extra claims (never overriding the registered ones). */
  claims?: Record<string, unknown>;
  clientId?: string;
  keyId?: string;
}

export interface IssuedToken {
  token: string;
  expiresIn: Seconds;
  expiresAt: Date;
  /** Space-delimited scopes carried by the token. */
  scope: string;
}

export interface TokenIssuer {
  /** Signs an access token (`typ: at+jwt`) and resolves to the compact JWT. */
  issue(input: IssueInput): Promise<string>;
  /** The same, with the lifetime facts the token endpoint answers with. */
  issueDetailed(input: IssueInput): Promise<IssuedToken>;
  /** The public keys (asymmetric setups); empty for HMAC. */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
  readonly ttl: Seconds;
}

/** Builds the issuer from the `jwt` option. Placeholder until the tokens work lands. */
export function createTokenIssuer(_jwt: JwtOptions): TokenIssuer {
  throw new TypeError("gatehouse: token issuing is not built yet (placeholder)");
}
