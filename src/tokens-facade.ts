/**
 * Builds the token issuer (`createTokenIssuer`, owned by the tokens work) without letting it
 * decide whether `createAuth` succeeds: a verify-only setup (only `publicKey` or `jwks`) has
 * nothing to sign with, and that must not stop it from verifying. A failure to build is kept
 * and returned by every issuing call instead.
 */
import type { JwtOptions } from "./jwt/jwt-options.js";
import { createTokenIssuer, type TokenIssuer } from "./tokens/token-service.js";

export interface LazyIssuer {
  /** The issuer, or `undefined` when it could not be built. */
  readonly issuer: TokenIssuer | undefined;
  /** Resolves to the issuer; rejects with the reason it could not be built. */
  get(): Promise<TokenIssuer>;
}

export function createLazyIssuer(jwt: JwtOptions | undefined): LazyIssuer {
  let issuer: TokenIssuer | undefined;
  let failure: Error = new TypeError("gatehouse: auth.tokens needs the jwt option of createAuth");
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
