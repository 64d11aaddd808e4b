/**
 * `auth.tokens`: the token issuer, built without letting it decide whether `createAuth`
 * succeeds. A verify-only setup (only `publicKey` or `jwks`) has nothing to sign with, and
 * that must not stop it from verifying: a failure to build is kept and returned by every
 * issuing call instead. With a list of issuers, the one entry that holds a signing key
 * issues; the others' keys are foreign and never sign nor appear in the JWKS.
 */
import type { AuthConfig, AuthTokens } from "../options/auth-options.js";
import type { JwtOptions } from "../options/jwt-options.js";
import { holdsSigningKey } from "../verify/jwt/jwt-config.js";
import type { AuthResult, Principal } from "../types.js";
import { createTokenIssuer, type TokenIssuer } from "./token-service.js";

export interface LazyIssuer {
  /** The issuer, or `undefined` when it could not be built. */
  readonly issuer: TokenIssuer | undefined;
  /** Resolves to the issuer; rejects with the reason it could not be built. */
  get(): Promise<TokenIssuer>;
}

export function createLazyIssuer(
  option: JwtOptions | readonly JwtOptions[] | undefined,
): LazyIssuer {
  let issuer: TokenIssuer | undefined;
  let failure: Error = new TypeError("gatehouse: auth.tokens needs the jwt option of createAuth");
  let jwt = option as JwtOptions | undefined;
  if (Array.isArray(option)) {
    jwt = (option as readonly JwtOptions[]).find(holdsSigningKey);
    failure = new TypeError(
      "gatehouse: auth.tokens needs an entry of the jwt list that holds a signing key (secret or privateKey)",
    );
  }
  if (jwt !== undefined) {
    try {
      issuer = createTokenIssuer(jwt);
    } catch (error) {
      failure = error instanceof Error ? error : new TypeError(String(error));
    }
  }
  return {
    issuer,
    get: () => (issuer === undefined ? Promise.reject(failure) : Promise.resolve(issuer)),
  };
}

/** The issuing calls of `lazy`, beside `verify` (the core's own verifier for a Bearer token). */
export function createAuthTokens<TUser extends Principal>(
  lazy: LazyIssuer,
  config: AuthConfig,
  verify: (token: string) => Promise<AuthResult<TUser>>,
): AuthTokens<TUser> {
  return {
    issue: (input) => lazy.get().then((i) => i.issue(input)),
    issueDetailed: (input) => lazy.get().then((i) => i.issueDetailed(input)),
    jwks: () => lazy.get().then((i) => i.jwks()),
    ttl: lazy.issuer?.ttl ?? config.jwt.ttl,
    alg: lazy.issuer?.alg ?? config.jwt.algorithms[0] ?? "",
    verify,
  };
}
