/**
 * The one place that calls jose's `jwtVerify`. The order is the point: cheap shape and header
 * checks first, then the cache, then the signature (trying each configured key that fits the
 * algorithm and `kid`), then the claims jose does not enforce (a finite `exp`, a maximum
 * lifetime), then the revocation hook — which is consulted on cache hits too.
 */
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import { errors } from "jose";
import { AuthError } from "../../errors.js";
import { fromJoseError, KeySetUnavailable } from "./jose-errors.js";
import { resolveJwtOptions, type ResolvedJwt } from "./jwt-config.js";
import { keyFitsAlgorithm, type VerificationKey } from "./jwt-keys.js";
import type { JwtOptions } from "../../options/jwt-options.js";
import { createTokenCache, type CachedToken, type TokenCache } from "./token-cache.js";
import { checkTokenShape } from "./token-shape.js";

export type JwtOutcome =
  | {
      ok: true;
      claims: Readonly<Record<string, unknown>>;
      cached: boolean;
      /** The cache entry that holds these claims, when they were (or now are) cached. */
      entry?: CachedToken;
    }
  | { ok: false; error: AuthError };

export interface JwtVerifier {
  /**
   * Synchronous for a token verified before (a cache hit) when no `isRevoked` hook is set,
   * a promise otherwise: the hook is asked on every request, and a new token needs its
   * signature checked. Never throws or rejects.
   */
  verify(token: string): JwtOutcome | Promise<JwtOutcome>;
  /**
   * The answer for a token this verifier accepted before, found by its digest (see
   * `tokenDigest`), or `undefined` when it is not cached. The revocation hook still runs.
   */
  fromCache(digest: string): JwtOutcome | Promise<JwtOutcome> | undefined;
  /** {@link verify} without the cache lookup: shape, signature, claims, then the cache. */
  verifyNew(token: string): Promise<JwtOutcome>;
  /** Drops every cached verification (e.g. after a key rotation or revocation sweep). */
  clearCache(): void;
  readonly settings: ResolvedJwt;
}

function fail(detail: string): JwtOutcome {
  return { ok: false, error: new AuthError("invalid_token", { detail }) };
}

function candidateKeys(keys: VerificationKey[], alg: string, kid: unknown): VerificationKey[] {
  const fitting = keys.filter(
    (entry) => keyFitsAlgorithm(entry.key, alg) && (entry.alg === undefined || entry.alg === alg),
  );
  if (typeof kid !== "string") return fitting;
  const named = fitting.filter((entry) => entry.kid === kid);
  return named.length > 0 ? named : fitting.filter((entry) => entry.kid === undefined);
}

/** Claims jose leaves alone: `exp: 1e309` parses to Infinity, which jose treats as forever. */
function checkTimeClaims(
  claims: JWTPayload,
  settings: ResolvedJwt,
  nowSeconds: number,
): string | null {
  const { exp, iat, nbf } = claims;
  if (typeof exp !== "number" || !Number.isFinite(exp))
    return "The token exp claim is not a finite number.";
  if (iat !== undefined && (typeof iat !== "number" || !Number.isFinite(iat))) {
    return "The token iat claim is not a finite number.";
  }
  if (nbf !== undefined && (typeof nbf !== "number" || !Number.isFinite(nbf))) {
    return "The token nbf claim is not a finite number.";
  }
  const start = typeof iat === "number" ? Math.min(iat, nowSeconds) : nowSeconds;
  if (exp - start > settings.maxLifetime + settings.clockTolerance) {
    return "The token lifetime exceeds the accepted maximum.";
  }
  return null;
}

/** How a verifier built for one entry of a `jwt` list differs from a lone `jwt` option. */
export interface VerifierRole {
  /**
   * Whether a `key_id` claim may mark a token as minted from one of our API keys. Default
   * `true`. `false` refuses such tokens: a foreign issuer's `key_id` names nothing of ours,
   * and honouring it would let that issuer speak for one of our keys.
   */
  keyTokens?: boolean;
}

export function createJwtVerifier(
  options: JwtOptions,
  now: () => number = Date.now,
  role: VerifierRole = {},
): JwtVerifier {
  const settings = resolveJwtOptions(options);
  const keyTokens = role.keyTokens ?? true;
  const cache: TokenCache = createTokenCache(settings.cacheMax, now);
  const baseOptions: JWTVerifyOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: settings.clockTolerance,
    maxTokenAge: settings.maxTokenAge,
    typ: settings.typ,
    requiredClaims: settings.requiredClaims,
  };

  const remote: JWTVerifyGetKey | undefined =
    settings.keys.kind === "remote"
      ? (() => {
          const getKey = settings.keys.getKey;
          return async (header, token) => {
            try {
              return await getKey(header, token);
            } catch (error) {
              if (
                error instanceof errors.JWKSNoMatchingKey ||
                error instanceof errors.JWKSMultipleMatchingKeys ||
                error instanceof errors.JOSENotSupported
              ) {
                throw error;
              }
              throw new KeySetUnavailable("JWKS fetch failed", { cause: error });
            }
          };
        })()
      : undefined;

  async function checkSignatureAndClaims(
    token: string,
    alg: string,
    kid: unknown,
  ): Promise<JwtOutcome> {
    const verifyOptions: JWTVerifyOptions = {
      ...baseOptions,
      algorithms: [alg],
      currentDate: new Date(now()),
    };
    if (remote !== undefined) {
      const { payload } = await jwtVerify(token, remote, verifyOptions);
      return { ok: true, claims: payload, cached: false };
    }
    const keys = settings.keys.kind === "static" ? candidateKeys(settings.keys.keys, alg, kid) : [];
    if (keys.length === 0) return fail("No verification key matches the token.");
    let lastError: unknown;
    for (const { key } of keys) {
      try {
        const { payload } = await jwtVerify(token, key, verifyOptions);
        return { ok: true, claims: payload, cached: false };
      } catch (error) {
        // Only a bad signature means "maybe the next key"; any other failure came after a
        // good signature or from the token itself, and is the answer.
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  async function revoked(claims: Readonly<Record<string, unknown>>): Promise<JwtOutcome | null> {
    if (settings.isRevoked === undefined) return null;
    let isRevoked: boolean;
    try {
      isRevoked = await settings.isRevoked(claims);
    } catch (cause) {
      return {
        ok: false,
        error: new AuthError("unavailable", { detail: "The revocation check failed.", cause }),
      };
    }
    return isRevoked === true ? fail("The token has been revoked.") : null;
  }

  function answerHit(hit: CachedToken): JwtOutcome | Promise<JwtOutcome> {
    const outcome: JwtOutcome = { ok: true, claims: hit.claims, cached: true, entry: hit };
    if (settings.isRevoked === undefined) return outcome;
    return revoked(hit.claims).then((refused) => refused ?? outcome);
  }

  return {
    settings,
    clearCache: () => cache.clear(),
    verify(token) {
      // Only strings that passed every check of verifyNew are ever cached, so an exact hit
      // may skip the shape check; the length bound comes first so hashing stays cheap.
      if (typeof token === "string" && token.length <= settings.maxTokenLength) {
        const hit = cache.get(token);
        if (hit !== undefined) return answerHit(hit);
      }
      return verifyNew(token);
    },
    fromCache(digest) {
      const hit = cache.getByDigest(digest);
      return hit === undefined ? undefined : answerHit(hit);
    },
    verifyNew,
  };

  async function verifyNew(token: string): Promise<JwtOutcome> {
    const shape = checkTokenShape(token, settings.maxTokenLength, settings.algorithms);
    if (!shape.ok) return fail(shape.detail);

    let outcome: JwtOutcome;
    try {
      outcome = await checkSignatureAndClaims(token, String(shape.header.alg), shape.header.kid);
    } catch (error) {
      return { ok: false, error: fromJoseError(error) };
    }
    if (!outcome.ok) return outcome;
    const problem = checkTimeClaims(outcome.claims, settings, Math.floor(now() / 1000));
    if (problem !== null) return fail(problem);
    // Before the cache, so that a refused token is never answered from it.
    if (!keyTokens && outcome.claims.key_id !== undefined) {
      return fail("The key_id claim is reserved for tokens this server mints.");
    }
    const claims = Object.freeze({ ...outcome.claims });
    const refused = await revoked(claims);
    if (refused !== null) return refused;
    const entry = cache.set(token, claims, settings.maxTokenAge);
    return { ok: true, claims, cached: false, entry };
  }
}
