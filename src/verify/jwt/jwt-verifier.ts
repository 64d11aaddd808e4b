/**
 * The one place that decides what a token must pass and in which order. Cheap shape and
 * header checks first (token-shape.ts), then the cache, then the signature — one swappable
 * step (jwt-signature.ts), tried with each configured key that fits the algorithm and `kid`
 * — then the claims exactly as jose's `jwtVerify` checks them (typ, required claims, iss,
 * aud, nbf, exp, iat age, with the clock tolerance), then the claims jose does not enforce
 * (a finite `exp`, a maximum lifetime, `key_id`), then the revocation hook — which is
 * consulted on cache hits too. The claims are parsed only once the signature holds.
 */
import { errors, type JWTHeaderParameters, type JWTPayload } from "jose";
import { AuthError } from "../../errors.js";
import { fromJoseError, KeySetUnavailable } from "./jose-errors.js";
import { resolveJwtOptions, type ResolvedJwt } from "./jwt-config.js";
import { keyFitsAlgorithm, type VerificationKey } from "./jwt-keys.js";
import {
  nodeSignatureStep,
  type SignatureStep,
  type SignedParts,
  type VerifyKey,
} from "./jwt-signature.js";
import type { JwtOptions } from "../../options/jwt-options.js";
import {
  cacheKeyWithin,
  createTokenCache,
  type CachedToken,
  type TokenCache,
} from "./token-cache.js";
import { checkTokenShape, decodeJsonObject } from "./token-shape.js";

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
   * Synchronous when no step has to wait: a cached token, a refused one, or a new token
   * whose signature `node:crypto` checks with a static key; a promise when the revocation
   * hook (asked on every request), a JWKS or jose's fallback is involved. Never throws or
   * rejects.
   */
  verify(token: string): JwtOutcome | Promise<JwtOutcome>;
  /**
   * The key this verifier caches `token` under (its `tokenDigest`), or `undefined` when it
   * would not cache it (the cache is off, or the token is not a string within the length
   * bound): a caller that asks {@link fromCache} first hands a miss's digest to
   * {@link verifyNew}, so that a token seen for the first time is hashed once.
   */
  cacheKey(token: unknown): string | undefined;
  /**
   * The answer for a token this verifier accepted before, found by its digest (see
   * `tokenDigest`, computed once by a caller that asks several verifiers), or `undefined`
   * when it is not cached. The revocation hook still runs.
   */
  fromCache(token: string, digest: string): JwtOutcome | Promise<JwtOutcome> | undefined;
  /**
   * {@link verify} without the cache lookup: shape, signature, claims, then the cache, and
   * synchronous on the same terms. `digest` is the token's `tokenDigest` when the caller
   * computed it for its own lookup, so that storing the token does not hash it a second time.
   */
  verifyNew(token: string, digest?: string): JwtOutcome | Promise<JwtOutcome>;
  /** Drops every cached verification (e.g. after a key rotation or revocation sweep). */
  clearCache(): void;
  readonly settings: ResolvedJwt;
}

function fail(detail: string): JwtOutcome {
  return { ok: false, error: new AuthError("invalid_token", { detail }) };
}

/**
 * The static keys that may verify each allowed algorithm, computed once: those that fit it
 * and whose JWK `alg`, if declared, is that algorithm.
 */
function keysByAlgorithm(
  keys: readonly VerificationKey[],
  algorithms: ReadonlySet<string>,
): Map<string, VerificationKey[]> {
  const table = new Map<string, VerificationKey[]>();
  for (const alg of algorithms) {
    table.set(
      alg,
      keys.filter(
        (entry) =>
          keyFitsAlgorithm(entry.key, alg) && (entry.alg === undefined || entry.alg === alg),
      ),
    );
  }
  return table;
}

/** A `kid` names its keys when any carries it; otherwise only the keys without a kid. */
function candidateKeys(fitting: VerificationKey[], kid: unknown): VerificationKey[] {
  if (typeof kid !== "string") return fitting;
  const named = fitting.filter((entry) => entry.kid === kid);
  return named.length > 0 ? named : fitting.filter((entry) => entry.kid === undefined);
}

/** jose's `typ` comparison: case-insensitive, `application/` implied without a slash. */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes("/") ? lower : `application/${lower}`;
}

const claimFailed = (
  message: string,
  claims: JWTPayload,
  claim: string,
  reason: string,
): errors.JWTClaimValidationFailed =>
  new errors.JWTClaimValidationFailed(message, claims, claim, reason);

/** Whether `value` is the configured string or one of the configured list. */
function isAccepted(accepted: string | readonly string[], value: unknown): boolean {
  return typeof accepted === "string" ? value === accepted : accepted.includes(value as string);
}

/** A NumericDate claim as jose reads it: absent (unless required) or a number. */
function numericDate(claims: JWTPayload, claim: string, required: boolean): number | undefined {
  const value = (claims as Record<string, unknown>)[claim];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "number") {
    throw claimFailed(`"${claim}" claim must be a number`, claims, claim, "invalid");
  }
  return value;
}

/**
 * The claim checks of jose's `jwtVerify`, in its order and with its error classes (so that
 * fromJoseError answers them as before): `typ`, presence of the required claims, `iss`,
 * `aud`, `nbf`, `exp`, then the `iat` age. Throws on the first failure.
 */
function checkJoseClaims(
  header: Record<string, unknown>,
  claims: JWTPayload,
  settings: ResolvedJwt,
  nowSeconds: number,
): void {
  const { typ, issuer, audience, maxTokenAge, clockTolerance } = settings;
  if (
    typ !== undefined &&
    (typeof header.typ !== "string" || normalizeTyp(header.typ) !== normalizeTyp(typ))
  ) {
    throw claimFailed('unexpected "typ" JWT header value', claims, "typ", "check_failed");
  }
  for (const claim of settings.presentClaims) {
    if (!Object.hasOwn(claims, claim)) {
      throw claimFailed(`missing required "${claim}" claim`, claims, claim, "missing");
    }
  }
  if (issuer !== undefined && !isAccepted(issuer, claims.iss)) {
    throw claimFailed('unexpected "iss" claim value', claims, "iss", "check_failed");
  }
  if (audience !== undefined) {
    const aud: unknown = claims.aud;
    const matches = Array.isArray(aud)
      ? aud.some((value) => isAccepted(audience, value))
      : isAccepted(audience, aud);
    if (!matches) throw claimFailed('unexpected "aud" claim value', claims, "aud", "check_failed");
  }
  const iat = numericDate(claims, "iat", maxTokenAge !== undefined);
  const nbf = numericDate(claims, "nbf", false);
  if (nbf !== undefined && nbf > nowSeconds + clockTolerance) {
    throw claimFailed('"nbf" claim timestamp check failed', claims, "nbf", "check_failed");
  }
  const exp = numericDate(claims, "exp", false);
  if (exp !== undefined && exp <= nowSeconds - clockTolerance) {
    throw new errors.JWTExpired(
      '"exp" claim timestamp check failed',
      claims,
      "exp",
      "check_failed",
    );
  }
  if (maxTokenAge !== undefined) {
    const age = nowSeconds - iat!;
    if (age - clockTolerance > maxTokenAge) {
      throw new errors.JWTExpired(
        '"iat" claim timestamp check failed (too far in the past)',
        claims,
        "iat",
        "check_failed",
      );
    }
    if (age < -clockTolerance) {
      throw claimFailed(
        '"iat" claim timestamp check failed (it should be in the past)',
        claims,
        "iat",
        "check_failed",
      );
    }
  }
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
  /**
   * The signature step. Default: `node:crypto` where it covers the key and algorithm, jose
   * otherwise (`nodeSignatureStep`). Every other check runs here whichever step is given,
   * so a test can hold two verifiers that differ only in how a signature is checked.
   */
  signature?: SignatureStep;
}

export function createJwtVerifier(
  options: JwtOptions,
  now: () => number = Date.now,
  role: VerifierRole = {},
): JwtVerifier {
  const settings = resolveJwtOptions(options);
  const keyTokens = role.keyTokens ?? true;
  const signatureStep = role.signature ?? nodeSignatureStep;
  const cache: TokenCache = createTokenCache(settings.cacheMax, now);
  const source = settings.keys;
  const staticKeys =
    source.kind === "static" ? keysByAlgorithm(source.keys, settings.algorithms) : undefined;
  // The keys alone, per algorithm, for the common token without a kid: no array per token.
  const staticKeyObjects = new Map(
    [...(staticKeys ?? [])].map(([alg, entries]) => [alg, entries.map((entry) => entry.key)]),
  );

  const resolveRemote =
    source.kind === "remote"
      ? async (header: Record<string, unknown>, segments: readonly string[]) => {
          try {
            return await source.getKey(header as unknown as JWTHeaderParameters, {
              protected: segments[0],
              payload: segments[1]!,
              signature: segments[2]!,
            });
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
        }
      : undefined;

  /** The keys to try, in order: the fitting static keys, or the JWKS's one answer. */
  function keysFor(
    header: Record<string, unknown>,
    alg: string,
    segments: readonly string[],
  ): readonly VerifyKey[] | Promise<readonly VerifyKey[]> {
    if (resolveRemote !== undefined) return resolveRemote(header, segments).then((key) => [key]);
    if (header.kid === undefined) return staticKeyObjects.get(alg) ?? [];
    const fitting = staticKeys?.get(alg) ?? [];
    return candidateKeys(fitting, header.kid).map((entry) => entry.key);
  }

  /**
   * True when some key verifies; synchronous while every step answers synchronously. A
   * false verdict means "maybe the next key"; a throw (jose's refusal of a key) is the answer.
   */
  function signatureHolds(
    keys: readonly VerifyKey[],
    alg: string,
    parts: SignedParts,
    from = 0,
  ): boolean | Promise<boolean> {
    for (let i = from; i < keys.length; i++) {
      const valid = signatureStep(alg, keys[i]!, parts);
      if (valid === true) return true;
      if (valid !== false) {
        return valid.then((holds) => holds || signatureHolds(keys, alg, parts, i + 1));
      }
    }
    return false;
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

  const cacheKey = (token: unknown): string | undefined =>
    cache.enabled ? cacheKeyWithin(token, settings.maxTokenLength) : undefined;

  /** One outcome per entry, made on its first hit: a hit allocates nothing. */
  function answerHit(hit: CachedToken): JwtOutcome | Promise<JwtOutcome> {
    const outcome = (hit.outcome ??= Object.freeze({
      ok: true,
      claims: hit.claims,
      cached: true,
      entry: hit,
    })) as JwtOutcome;
    if (settings.isRevoked === undefined) return outcome;
    return revoked(hit.claims).then((refused) => refused ?? outcome);
  }

  return {
    settings,
    clearCache: () => cache.clear(),
    cacheKey,
    verify(token) {
      // Only strings that passed every check of verifyNew are ever cached, so an exact hit
      // may skip the shape check.
      const digest = cacheKey(token);
      if (digest === undefined) return verifyNew(token);
      const hit = cache.get(token, digest);
      return hit === undefined ? verifyNew(token, digest) : answerHit(hit);
    },
    fromCache(token, digest) {
      const hit = cache.get(token, digest);
      return hit === undefined ? undefined : answerHit(hit);
    },
    verifyNew,
  };

  function refusal(error: unknown): JwtOutcome {
    return { ok: false, error: fromJoseError(error) };
  }

  /**
   * Shape, keys, signature, claims, our own rules, revocation, cache — in that order, and
   * without a promise unless a key resolver, a jose fallback or the revocation hook needs
   * one. Throws jose's errors (or a TypeError) for the refusals fromJoseError answers.
   */
  function firstSeen(token: string, digest: string | undefined): JwtOutcome | Promise<JwtOutcome> {
    const shape = checkTokenShape(token, settings.maxTokenLength, settings.algorithms);
    if (!shape.ok) return fail(shape.detail);
    const { header, segments } = shape;
    const alg = header.alg as string;
    const withKeys = (keys: readonly VerifyKey[]): JwtOutcome | Promise<JwtOutcome> => {
      if (keys.length === 0) return fail("No verification key matches the token.");
      const parts: SignedParts = {
        token,
        signingInput: token.slice(0, segments[0].length + 1 + segments[1].length),
        signature: segments[2],
      };
      const holds = signatureHolds(keys, alg, parts);
      if (holds === true) return afterSignature(token, header, segments[1], digest);
      if (holds === false) throw new errors.JWSSignatureVerificationFailed();
      return holds.then((valid) => {
        if (!valid) throw new errors.JWSSignatureVerificationFailed();
        return afterSignature(token, header, segments[1], digest);
      });
    };
    const keys = keysFor(header, alg, segments);
    return keys instanceof Promise ? keys.then(withKeys) : withKeys(keys);
  }

  function afterSignature(
    token: string,
    header: Record<string, unknown>,
    payload: string,
    digest: string | undefined,
  ): JwtOutcome | Promise<JwtOutcome> {
    // Parsed only now: an unsigned payload never reaches JSON.parse.
    const claims: JWTPayload | null = decodeJsonObject(payload);
    if (claims === null) {
      throw new errors.JWTInvalid("JWT Claims Set must be a top-level JSON object");
    }
    const nowSeconds = Math.floor(now() / 1000);
    checkJoseClaims(header, claims, settings, nowSeconds);
    const problem = checkTimeClaims(claims, settings, nowSeconds);
    if (problem !== null) return fail(problem);
    // Before the cache, so that a refused token is never answered from it.
    if (!keyTokens && claims.key_id !== undefined) {
      return fail("The key_id claim is reserved for tokens this server mints.");
    }
    // The parsed object is this verifier's own (no one else holds it): freeze it, no copy.
    const frozen = Object.freeze(claims);
    if (settings.isRevoked === undefined) return store(token, frozen, digest);
    return revoked(frozen).then((refused) => refused ?? store(token, frozen, digest));
  }

  function store(
    token: string,
    claims: Readonly<Record<string, unknown>>,
    digest: string | undefined,
  ): JwtOutcome {
    const entry = cache.set(token, claims, settings.maxTokenAge, digest);
    return { ok: true, claims, cached: false, entry };
  }

  // No promise for an answer that is ready: on a flood of distinct tokens the promises and
  // their reactions were a share of every first-seen token's cost (docs/benchmarks.md).
  function verifyNew(token: string, digest?: string): JwtOutcome | Promise<JwtOutcome> {
    try {
      const outcome = firstSeen(token, digest);
      return outcome instanceof Promise ? outcome.catch(refusal) : outcome;
    } catch (error) {
      return refusal(error);
    }
  }
}
