/**
 * The `jwt` option as one issuer or a list of them. With a list, a token is routed by its
 * (unverified) `iss` to exactly one entry and verified only with that entry's keys,
 * algorithms, audience, `typ` and claim rules, and cached in that entry's cache; an `iss`
 * no entry names is refused, and a token that names one issuer but was signed with another
 * entry's key fails that issuer's signature check. Every entry is validated at construction
 * as a lone `jwt` option is, and then the list as a whole: issuers distinct, at most one
 * entry that signs, an `issuer` on every entry with only foreign keys.
 */
import { AuthError } from "../../errors.js";
import { claimsToPrincipal, type ToPrincipal } from "../../principal/from-claims.js";
import type { Principal } from "../../types.js";
import type { JwtOptions } from "../../options/jwt-options.js";
import { peekIssuer } from "./issuer-peek.js";
import { holdsSigningKey } from "./jwt-config.js";
import { createJwtVerifier, type JwtOutcome, type JwtVerifier } from "./jwt-verifier.js";
import { cacheKeyWithin } from "./token-cache.js";
import { checkTokenShape } from "./token-shape.js";

/** One entry of the `jwt` option, with the verifier built from it. */
export interface IssuerEntry {
  readonly options: JwtOptions;
  readonly verifier: JwtVerifier;
  /** Whether it holds this server's own key (`secret` or `privateKey`). */
  readonly signs: boolean;
}

/** The verifier of the whole `jwt` option, with the entries it routes to. */
export interface JwtIssuers extends JwtVerifier {
  /** The entries, in the order given; one for a lone `jwt` object. */
  readonly entries: readonly IssuerEntry[];
  /** Whether the option was a list (routing by `iss` applies). */
  readonly isList: boolean;
  /**
   * The entry that issues tokens: the one that signs in a list (or `undefined` when none
   * does), the lone entry otherwise. `settings` and `auth.config.jwt` describe it, or the
   * first entry when none signs.
   */
  readonly signing: IssuerEntry | undefined;
  /** The index of the entry that verifies tokens with this `iss` (`undefined`: none), or -1. */
  route(iss: string | undefined): number;
}

function entryError(index: number, error: unknown): unknown {
  if (!(error instanceof TypeError) || !error.message.startsWith("gatehouse: ")) return error;
  const renamed = new TypeError(error.message.replace(/\bjwt\./g, `jwt[${index}].`), {
    cause: error.cause,
  });
  return renamed;
}

function issuersOf(options: JwtOptions, index: number): string[] {
  if (options.issuer === undefined) return [];
  const list: unknown[] = Array.isArray(options.issuer) ? options.issuer : [options.issuer];
  if (list.length === 0 || !list.every((v) => typeof v === "string" && v !== "")) {
    throw new TypeError(
      `gatehouse: jwt[${index}].issuer must be a non-empty string or a non-empty list of them`,
    );
  }
  return list as string[];
}

/** The routing table of a list: issuer → entry, and the one entry (if any) for tokens without `iss`. */
function routingTable(list: readonly JwtOptions[]): {
  byIssuer: Map<string, number>;
  bare: number;
} {
  const byIssuer = new Map<string, number>();
  let bare = -1;
  let signer = -1;
  list.forEach((options, index) => {
    const own = holdsSigningKey(options);
    if (own) {
      if (signer !== -1) {
        throw new TypeError(
          `gatehouse: jwt[${signer}] and jwt[${index}] both hold a signing key (secret or ` +
            "privateKey); at most one entry of a jwt list signs, the others verify foreign tokens",
        );
      }
      signer = index;
    }
    const issuers = issuersOf(options, index);
    if (issuers.length === 0) {
      if (!own) {
        throw new TypeError(
          `gatehouse: jwt[${index}].issuer is required: in a jwt list, tokens are routed to ` +
            "the entry that names their iss, and an entry with only foreign keys (publicKey, " +
            "jwks) must name its issuer",
        );
      }
      bare = index;
    }
    for (const issuer of issuers) {
      const taken = byIssuer.get(issuer);
      if (taken !== undefined) {
        throw new TypeError(
          `gatehouse: jwt[${taken}] and jwt[${index}] both accept issuer ${JSON.stringify(issuer)}; ` +
            "the issuers of a jwt list must be distinct",
        );
      }
      byIssuer.set(issuer, index);
    }
  });
  return { byIssuer, bare };
}

function fail(detail: string): JwtOutcome {
  return { ok: false, error: new AuthError("invalid_token", { detail }) };
}

/**
 * Builds the verifier of the `jwt` option; throws a `TypeError` naming the entry and the
 * option for any entry that a lone `jwt` would refuse, and for a list that does not route.
 */
export function createJwtIssuers(
  option: JwtOptions | readonly JwtOptions[],
  now: () => number = Date.now,
): JwtIssuers {
  if (!Array.isArray(option)) {
    const single = option as JwtOptions;
    const verifier = createJwtVerifier(single, now);
    const entry: IssuerEntry = { options: single, verifier, signs: holdsSigningKey(single) };
    return { ...verifier, entries: [entry], isList: false, signing: entry, route: () => 0 };
  }
  const list = option as readonly JwtOptions[];
  if (list.length === 0) throw new TypeError("gatehouse: jwt is an empty list");
  const entries: IssuerEntry[] = list.map((options, index) => {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`gatehouse: jwt[${index}] must be an object`);
    }
    try {
      const signs = holdsSigningKey(options);
      // Only the entry that signs mints tokens from our API keys; see VerifierRole.
      return { options, signs, verifier: createJwtVerifier(options, now, { keyTokens: signs }) };
    } catch (error) {
      throw entryError(index, error);
    }
  });
  const { byIssuer, bare } = routingTable(list);
  const signing = entries.find((entry) => entry.signs);
  const verifiers = entries.map((entry) => entry.verifier);
  // The hygiene before routing is the loosest of the entries'; the chosen entry then runs
  // its own, with its own length bound and algorithms, before any key is tried.
  const algorithms = new Set(verifiers.flatMap((v) => [...v.settings.algorithms]));
  const maxTokenLength = Math.max(...verifiers.map((v) => v.settings.maxTokenLength));

  const route = (iss: string | undefined): number =>
    iss === undefined ? bare : (byIssuer.get(iss) ?? -1);

  // Every entry keys a token by the same digest; the list's bound is the loosest entry's.
  const caching = verifiers.some((v) => v.settings.cacheMax > 0);
  const cacheKey = (token: unknown): string | undefined =>
    caching ? cacheKeyWithin(token, maxTokenLength) : undefined;

  function fromCache(token: string, digest: string): JwtOutcome | Promise<JwtOutcome> | undefined {
    // A token is cached only by the entry that verified it, so at most one entry hits.
    for (const verifier of verifiers) {
      const hit = verifier.fromCache(token, digest);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  function verifyNew(token: string, digest?: string): JwtOutcome | Promise<JwtOutcome> {
    const shape = checkTokenShape(token, maxTokenLength, algorithms);
    if (!shape.ok) return fail(shape.detail);
    const peeked = peekIssuer(token);
    if (!peeked.ok) return fail("The token payload is not a JSON object with a string iss.");
    const index = route(peeked.iss);
    const entry = verifiers[index];
    if (entry === undefined) return fail("The token issuer is not accepted.");
    return entry.verifyNew(token, digest);
  }

  return {
    entries,
    isList: true,
    signing,
    route,
    settings: (signing ?? entries[0]!).verifier.settings,
    clearCache: () => verifiers.forEach((v) => v.clearCache()),
    fromCache,
    verifyNew,
    cacheKey,
    verify(token) {
      const digest = cacheKey(token);
      if (digest === undefined) return verifyNew(token);
      return fromCache(token, digest) ?? verifyNew(token, digest);
    },
  };
}

type Mapper<TUser> = (...args: Parameters<ToPrincipal>) => TUser | null;

/**
 * Each entry's `toPrincipal` (the default where it has none), chosen for verified claims by
 * the same routing by `iss` that chose the entry's keys.
 */
export function principalMapper<TUser extends Principal>(jwt: JwtIssuers | null): Mapper<TUser> {
  // Without a custom mapper the user type is Principal itself, so the default's result is TUser.
  const mappers = (jwt?.entries ?? []).map(
    (entry) => (entry.options.toPrincipal ?? claimsToPrincipal) as Mapper<TUser>,
  );
  if (jwt === null || !jwt.isList) return mappers[0] ?? (claimsToPrincipal as Mapper<TUser>);
  return (claims, context) => {
    const iss = typeof claims.iss === "string" ? claims.iss : undefined;
    const mapper = mappers[jwt.route(iss)];
    // Unreachable for claims the verifier accepted; refusing is the safe answer regardless.
    return mapper === undefined ? null : mapper(claims, context);
  };
}
