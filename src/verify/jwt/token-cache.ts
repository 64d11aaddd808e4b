/**
 * Remembers tokens whose signature and claims were already checked, so that a repeated
 * token costs a SHA-256 of its signature, a map lookup and a string comparison instead of a
 * signature check. Entries are keyed by the digest of the signature segment and hold the
 * signed part (header and payload, which the entry holds parsed anyway), never the
 * signature: a heap dump does not hand out tokens. A hit needs both, so it is exactly the
 * token that verified. Hashing the signature alone, not the whole token, is what keeps the
 * digest cheap: an HS256 signature fits one SHA-256 block, a whole token takes four or more.
 *
 * A token is cached the second time it verifies, not the first: the first time only marks
 * its digest in a table of tokens seen once (see {@link createSeenOnce}). An entry lives as
 * long as `max` newer tokens leave it alone, so it outlives the young generation of the
 * heap, and copying it there and promoting it cost a first-seen HS256 token as much again
 * as its verification (docs/benchmarks.md); a token sent once, the common case of a flood
 * of distinct tokens, now allocates nothing that lasts. A token in use pays one more
 * verification, once per process.
 *
 * Entries never outlive the token's `exp` (nor its `maxTokenAge`), and the bound keeps a
 * flood of distinct tokens from growing memory. An entry also keeps the principals mapped
 * from its claims, so that a repeated token is mapped once, not once per request.
 */
import { sha256 } from "../../crypto/sha256.js";
import { detached } from "./detached.js";
import { LRUCache } from "lru-cache";
import type { Seconds } from "../../types.js";

export interface CachedToken {
  claims: Readonly<Record<string, unknown>>;
  /** When the entry stops being usable, in epoch milliseconds. */
  until: number;
  /** The token up to its last `.`: what was signed. A copy, not a slice of the token. */
  signed: string;
  /** The token's length: with `signed`, the digest of the rest decides a hit. */
  length: number;
  /**
   * The core's answer for these claims (the mapped principal) when they came as a Bearer
   * token, and as the cookie: filled in on first use. Fields of the entry rather than an
   * object of their own, so that caching a token allocates one object less.
   */
  jwt: unknown;
  cookie: unknown;
  /** The verifier's answer for a hit, made on the first hit and handed out on every later one. */
  outcome: unknown;
}

export interface TokenCache {
  /**
   * The entry of `token`, found by its {@link tokenDigest} (computed once by the caller,
   * which may ask several caches with it), or `undefined`.
   */
  get(token: string, digest: string): CachedToken | undefined;
  /**
   * Stores claims until the earlier of `exp` and `iat + maxTokenAge`, if the token verified
   * before (see the module notes); returns the entry, or `undefined` when nothing was stored.
   */
  set(
    token: string,
    claims: Readonly<Record<string, unknown>>,
    maxTokenAge?: Seconds,
    /** The token's {@link tokenDigest}, when the caller already computed it. */
    knownDigest?: string,
  ): CachedToken | undefined;
  /** False for a disabled cache (`max` 0), which stores nothing: no digest is needed. */
  readonly enabled: boolean;
  clear(): void;
  readonly size: number;
}

/**
 * The cache key of a token: the SHA-256 of what follows its last `.` (the signature of a
 * compact JWS), never the token itself.
 */
export function tokenDigest(token: string): string {
  return sha256(token.slice(token.lastIndexOf(".") + 1));
}

/**
 * The key a token is cached under: its {@link tokenDigest} when it is a string within
 * `maxLength`, else `undefined` (no cache holds it). The bound comes before the hash, so
 * that hashing stays cheap.
 */
export function cacheKeyWithin(token: unknown, maxLength: number): string | undefined {
  return typeof token === "string" && token.length <= maxLength ? tokenDigest(token) : undefined;
}

/**
 * Which digests were marked, with no allocation per mark: a direct-mapped table of at least
 * `max` slots, the slot picked by the digest's first three bytes and holding a tag made of
 * the next four (its lowest bit always set, so 31 bits of the digest). Two digests that share a slot
 * push each other out, and two that also share a tag pass for each other: either only
 * changes when a token is cached (one verification more, or one less), never whether it
 * is accepted, which its full verification decides either way.
 */
function createSeenOnce(max: number) {
  let size = 1;
  while (size < max) size *= 2;
  const mask = size - 1;
  const tags = new Int32Array(size);
  const slotOf = (digest: string): number =>
    (digest.charCodeAt(0) | (digest.charCodeAt(1) << 8) | (digest.charCodeAt(2) << 16)) & mask;
  // Never 0, the empty slot's tag.
  const tagOf = (digest: string): number =>
    digest.charCodeAt(3) |
    (digest.charCodeAt(4) << 8) |
    (digest.charCodeAt(5) << 16) |
    (digest.charCodeAt(6) << 24) |
    1;
  return {
    /** Marks `digest`; true when it was marked already (and the mark is taken off). */
    markOrTake(digest: string): boolean {
      const slot = slotOf(digest);
      const tag = tagOf(digest);
      if (tags[slot] === tag) {
        tags[slot] = 0;
        return true;
      }
      tags[slot] = tag;
      return false;
    },
    clear(): void {
      tags.fill(0);
    },
  };
}

/** A disabled cache (`max` 0) stores nothing. */
export function createTokenCache(max: number, now: () => number = Date.now): TokenCache {
  const lru = max > 0 ? new LRUCache<string, CachedToken>({ max }) : null;
  // Tokens that verified once; an expired one cannot verify again, so marks need no expiry.
  const seenOnce = max > 0 ? createSeenOnce(max) : null;
  return {
    get(token, key) {
      if (lru === null) return undefined;
      const entry = lru.get(key);
      if (entry === undefined) return undefined;
      // The digest matched what follows the token's last dot. Of the same length as the
      // token that verified, with its signed part and a dot after it, the token has no
      // other dot there (the part after the last one would be shorter than the signature
      // the digest was taken of): it is that token.
      const { signed } = entry;
      if (
        token.length !== entry.length ||
        token.charCodeAt(signed.length) !== 46 ||
        // slice and ===, not startsWith: on a token sliced from its header, startsWith
        // measured three times slower (it reads the sliced string character by character).
        token.slice(0, signed.length) !== signed
      ) {
        return undefined;
      }
      // On the wall clock, as the signature path checks exp: a monotonic deadline as well
      // would only send the token to be verified again, and to be accepted by that clock.
      if (entry.until <= now()) {
        lru.delete(key);
        return undefined;
      }
      return entry;
    },
    enabled: lru !== null,
    set(token, claims, maxTokenAge, knownDigest) {
      if (lru === null || seenOnce === null) return undefined;
      const exp = claims.exp;
      if (typeof exp !== "number" || !Number.isFinite(exp)) return undefined;
      let until = exp * 1000;
      const iat = claims.iat;
      if (maxTokenAge !== undefined && typeof iat === "number") {
        until = Math.min(until, (iat + maxTokenAge) * 1000);
      }
      if (until <= now()) return undefined;
      const dot = token.lastIndexOf(".");
      if (dot < 0) return undefined;
      const digest = knownDigest ?? tokenDigest(token);
      if (!seenOnce.markOrTake(digest)) return undefined;
      const entry: CachedToken = {
        claims,
        until,
        signed: detached(token.slice(0, dot)),
        length: token.length,
        jwt: undefined,
        cookie: undefined,
        // Present from the start, as the two above: every entry keeps the one shape.
        outcome: undefined,
      };
      // No TTL in the LRU: the hit checks `until`, and an entry past it is dropped then or
      // pushed out by newer ones, within the same bound.
      lru.set(digest, entry);
      return entry;
    },
    clear() {
      lru?.clear();
      seenOnce?.clear();
    },
    get size() {
      return lru?.size ?? 0;
    },
  };
}
