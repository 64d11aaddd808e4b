/**
 * Resolves and validates the verification half of the `jwt` option once, at construction.
 * Everything the request path needs is precomputed here so that `verify` only reads.
 */
import type { Seconds } from "../../types.js";
import { toSeconds } from "../../options/durations.js";
import { checkAlgorithms, resolveKeys, type KeySource } from "./jwt-keys.js";
import type { JwtOptions } from "../../options/jwt-options.js";

export const DEFAULT_MAX_TOKEN_LENGTH = 8192;
export const DEFAULT_CACHE_MAX = 10_000;
export const DEFAULT_MAX_LIFETIME: Seconds = 24 * 3600;
export const DEFAULT_CLOCK_TOLERANCE: Seconds = 5;
/** RFC 9068 §2.1: the media type of JWT access tokens, as gatehouse issues them. */
export const ACCESS_TOKEN_TYP = "at+jwt";

export interface ResolvedJwt {
  algorithms: ReadonlySet<string>;
  keys: KeySource;
  issuer: string | string[] | undefined;
  audience: string | string[] | undefined;
  clockTolerance: Seconds;
  maxTokenAge: Seconds | undefined;
  maxLifetime: Seconds;
  /** The required `typ` header, or `undefined` when any (or none) is accepted. */
  typ: string | undefined;
  /**
   * The claims that must be present, in the order jose checks them (`iss`, `aud`, `iat` when
   * configured, then the required claims last to first, `exp` among them): worked out once,
   * so that a token's check allocates nothing.
   */
  presentClaims: readonly string[];
  maxTokenLength: number;
  cacheMax: number;
  isRevoked: JwtOptions["isRevoked"];
}

function positiveInteger(value: number | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`gatehouse: ${option} must be a non-negative integer`);
  }
  return value;
}

/**
 * The default `typ`: when this server holds the signing key (`secret` or `privateKey`) the
 * tokens it verifies are the ones it issues, which always carry `at+jwt`; requiring it stops
 * an ID token or any other JWT signed with the same key from passing as an access token.
 * With only foreign keys (`publicKey`, `jwks`) issuers differ too much (`JWT`, none), so
 * nothing is required unless configured.
 */
function defaultTyp(options: JwtOptions): string | undefined {
  if (options.typ === false) return undefined;
  if (typeof options.typ === "string") return options.typ;
  return holdsSigningKey(options) ? ACCESS_TOKEN_TYP : undefined;
}

/**
 * Whether the option holds this server's own key (`secret` or `privateKey`), as opposed to
 * only foreign ones (`publicKey`, `jwks`): such an entry can sign, so its tokens are ours.
 */
export function holdsSigningKey(options: JwtOptions): boolean {
  return options.secret !== undefined || options.privateKey !== undefined;
}

/**
 * The accepted audiences, `undefined` when not checked. With only foreign keys an absent
 * audience is refused: an identity provider signs the tokens of every API of a tenant with
 * the same keys, so the signature alone does not say this API was the intended recipient.
 * `false` is the explicit choice to accept them all.
 */
function resolveAudience(options: JwtOptions): string | string[] | undefined {
  const { audience } = options;
  if (audience === false) return undefined;
  if (audience === undefined) {
    if (!holdsSigningKey(options)) {
      throw new TypeError(
        "gatehouse: jwt.audience is required with only foreign keys (jwt.publicKey, jwt.jwks): " +
          "set the audience this API's tokens are minted for, or audience: false to accept " +
          "tokens minted for any API the same keys sign for",
      );
    }
    return undefined;
  }
  const list = Array.isArray(audience) ? audience : [audience];
  if (list.length === 0 || !list.every((value) => typeof value === "string" && value !== "")) {
    throw new TypeError(
      "gatehouse: jwt.audience must be a non-empty string, a non-empty list of them, or false",
    );
  }
  return audience;
}

function presenceOrder(options: JwtOptions, audience: ResolvedJwt["audience"]): string[] {
  const present = ["exp", ...(options.requiredClaims ?? [])];
  if (options.maxTokenAge !== undefined) present.push("iat");
  if (audience !== undefined) present.push("aud");
  if (options.issuer !== undefined) present.push("iss");
  return [...new Set(present.reverse())];
}

export function resolveJwtOptions(options: JwtOptions): ResolvedJwt {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("gatehouse: jwt must be an object");
  }
  const { hmac, list } = checkAlgorithms(options.algorithms);
  const keys = resolveKeys(options, list, hmac);
  const audience = resolveAudience(options);
  if (options.isRevoked !== undefined && typeof options.isRevoked !== "function") {
    throw new TypeError("gatehouse: jwt.isRevoked must be a function");
  }
  const maxTokenLength = positiveInteger(
    options.maxTokenLength,
    "jwt.maxTokenLength",
    DEFAULT_MAX_TOKEN_LENGTH,
  );
  return {
    algorithms: new Set(list),
    keys,
    issuer: options.issuer,
    audience,
    clockTolerance: toSeconds(
      options.clockTolerance,
      "jwt.clockTolerance",
      DEFAULT_CLOCK_TOLERANCE,
    ),
    maxTokenAge:
      options.maxTokenAge === undefined
        ? undefined
        : toSeconds(options.maxTokenAge, "jwt.maxTokenAge", 0),
    maxLifetime: toSeconds(options.maxLifetime, "jwt.maxLifetime", DEFAULT_MAX_LIFETIME),
    typ: defaultTyp(options),
    presentClaims: presenceOrder(options, audience),
    maxTokenLength,
    cacheMax: positiveInteger(options.cacheMax, "jwt.cacheMax", DEFAULT_CACHE_MAX),
    isRevoked: options.isRevoked,
  };
}
