/**
 * A compact JWT (from the Bearer header or the cookie) → the answer: the signature and
 * claims checked by the JWT verifier, the claims mapped to a principal, and a token minted
 * from an API key (`key_id`) answered only while that key stands, holding at most what the
 * key holds now.
 */
import { AuthError } from "../errors.js";
import { settleWith, type Ready } from "../decide/settle.js";
import type { Reporter } from "../decide/report.js";
import type { ToPrincipal } from "../principal/from-claims.js";
import { keyDerivedPrincipal } from "../principal/from-key.js";
import type { AuthResult, Principal } from "../types.js";
import type { ApiKeys } from "./api-key/api-keys.js";
import type { KeyStanding } from "./api-key/key-state.js";
import { useError } from "./api-key/key-usage.js";
import type { JwtOutcome, JwtVerifier } from "./jwt/jwt-verifier.js";
import type { CachedToken } from "./jwt/token-cache.js";

/** Where the token came from; the cookie's answers are kept apart from the header's. */
export type TokenVia = "jwt" | "cookie";

export interface TokenVerifierParts<TUser extends Principal> {
  /** `null` without the `jwt` option: every token is refused. */
  jwt: JwtVerifier | null;
  /** `null` without the `apiKeys` option: a key-derived token cannot be checked, so it is refused. */
  apiKeys: ApiKeys | null;
  toPrincipal: (...args: Parameters<ToPrincipal>) => TUser | null;
  now: () => number;
  report: Reporter;
}

/**
 * What {@link CachedTokenAnswer} found when the token is not cached: the key it looked under,
 * handed to {@link VerifyToken} for the same token so that a first-seen token is hashed once.
 */
export class TokenMiss {
  constructor(
    readonly token: string,
    /** The token's cache key; `undefined` when no cache would hold it. */
    readonly digest: string | undefined,
  ) {}
}

/**
 * Synchronous for a cached token (see {@link JwtVerifier.verify}); never rejects except with
 * what `toPrincipal` throws. `miss` is what {@link CachedTokenAnswer} answered for this
 * request, if it was asked; it is used only when it is of this very token.
 */
export type VerifyToken<TUser extends Principal> = (
  token: string,
  via: TokenVia,
  miss?: TokenMiss,
) => Ready<AuthResult<TUser>>;

/** The answer for a token accepted before, a {@link TokenMiss} when it is not cached (nothing verified, nothing reported). */
export type CachedTokenAnswer<TUser extends Principal> = (
  token: string,
  via: TokenVia,
) => Ready<AuthResult<TUser>> | TokenMiss;

export function createTokenVerifier<TUser extends Principal>(
  parts: TokenVerifierParts<TUser>,
): VerifyToken<TUser> & { readonly cached: CachedTokenAnswer<TUser> } {
  const { jwt, apiKeys, toPrincipal, now, report } = parts;

  function mapClaims(claims: Readonly<Record<string, unknown>>, via: TokenVia): AuthResult<TUser> {
    const principal = toPrincipal(claims, { via });
    if (principal === null) {
      return report.failed(
        via,
        new AuthError("invalid_token", { detail: "The token has no subject (sub)." }),
      );
    }
    return Object.freeze({ ok: true as const, principal });
  }

  /**
   * The answer is kept in the token's cache entry, so a repeated token is mapped once and
   * its later requests allocate nothing here.
   */
  function admitToken(
    claims: Readonly<Record<string, unknown>>,
    entry: CachedToken | undefined,
    via: TokenVia,
  ): Ready<AuthResult<TUser>> {
    const keyId = claims.key_id;
    if (keyId !== undefined) return admitKeyToken(claims, entry, via, keyId);
    let result = entry?.[via] as AuthResult<TUser> | undefined;
    if (result === undefined) {
      const mapped = mapClaims(claims, via);
      if (!mapped.ok) return mapped;
      result = mapped;
      if (entry !== undefined) entry[via] = result;
    }
    if (report.listening && result.ok) {
      report.emit({ type: "authenticated", source: via, principalId: result.principal.id });
    }
    return result;
  }

  const keyGone = (via: TokenVia): AuthResult<TUser> =>
    report.failed(
      via,
      new AuthError("invalid_token", {
        detail: "The API key this token was minted from is no longer valid.",
      }),
    );

  // Per standing object, so that a changed key (a new standing) maps its tokens anew.
  const keyTokenResults = new WeakMap<object, WeakMap<CachedToken, AuthResult<TUser>>>();

  function announced(result: AuthResult<TUser>, via: TokenVia, keyId: string): AuthResult<TUser> {
    if (report.listening && result.ok) {
      report.emit({ type: "authenticated", source: via, principalId: result.principal.id, keyId });
    }
    return result;
  }

  function admitKeyToken(
    claims: Readonly<Record<string, unknown>>,
    entry: CachedToken | undefined,
    via: TokenVia,
    keyId: unknown,
  ): Ready<AuthResult<TUser>> {
    if (typeof keyId !== "string" || keyId === "" || apiKeys === null) return keyGone(via);
    const settle = (standing: KeyStanding): Ready<AuthResult<TUser>> => {
      if (!standing.ok) {
        if (standing.reason !== "unavailable") return keyGone(via);
        return report.failed(
          via,
          new AuthError("unavailable", { retryAfter: 1, cause: standing.cause }),
        );
      }
      const at = now();
      const iat = typeof claims.iat === "number" ? claims.iat * 1000 : -Infinity;
      if (
        (standing.expiresAt !== null && standing.expiresAt <= at) ||
        (standing.disabledAt !== null && iat <= standing.disabledAt) ||
        claims.sub !== standing.facts.ownerId
      ) {
        return keyGone(via);
      }
      let perToken = keyTokenResults.get(standing);
      let result = entry === undefined ? undefined : perToken?.get(entry);
      if (result === undefined) {
        const mapped = mapClaims(claims, via);
        if (!mapped.ok) return mapped;
        result = Object.freeze({
          ok: true as const,
          principal: keyDerivedPrincipal(mapped.principal, standing.facts),
        });
        if (entry !== undefined) {
          if (perToken === undefined) keyTokenResults.set(standing, (perToken = new WeakMap()));
          perToken.set(entry, result);
        }
      }
      const admitted = result;
      // A token spends what its key would: its rate limit and its credits hold here too.
      if (standing.use === null) return announced(admitted, via, keyId);
      return settleWith(apiKeys.use(standing.use), (used) => {
        if (used.ok) return announced(admitted, via, keyId);
        return report.failed(via, useError(used));
      });
    };
    return settleWith(apiKeys.standing(keyId), settle);
  }

  // One per way of arrival, made once: no closure per request.
  const answerFor = {
    jwt: (outcome: JwtOutcome) => answerOutcome(outcome, "jwt"),
    cookie: (outcome: JwtOutcome) => answerOutcome(outcome, "cookie"),
  };
  function answerOutcome(outcome: JwtOutcome, via: TokenVia): Ready<AuthResult<TUser>> {
    return outcome.ok
      ? admitToken(outcome.claims, outcome.entry, via)
      : report.failed(via, outcome.error);
  }

  const verify = (token: string, via: TokenVia, miss?: TokenMiss): Ready<AuthResult<TUser>> => {
    if (jwt === null) {
      return report.failed(
        via,
        new AuthError("invalid_token", { detail: "Bearer tokens are not accepted here." }),
      );
    }
    // The fast path looked this very token up in this same turn: verify it without a second
    // hash and lookup.
    const outcome =
      miss !== undefined && miss.token === token
        ? jwt.verifyNew(token, miss.digest)
        : jwt.verify(token);
    return settleWith(outcome, answerFor[via]);
  };
  const cached = (token: string, via: TokenVia): Ready<AuthResult<TUser>> | TokenMiss => {
    const digest = jwt?.cacheKey(token);
    const hit = digest === undefined ? undefined : jwt!.fromCache(token, digest);
    return hit === undefined ? new TokenMiss(token, digest) : settleWith(hit, answerFor[via]);
  };
  return Object.assign(verify, { cached });
}
