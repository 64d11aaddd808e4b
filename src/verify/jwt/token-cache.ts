/**
 * Remembers tokens whose signature and claims were already checked, so that a repeated
 * token costs a SHA-256 and a map lookup instead of a signature check. Keys are digests,
 * never tokens, so a heap dump does not hand out credentials; entries never outlive the
 * token's `exp` (nor its `maxTokenAge`), and the bound keeps a flood of distinct tokens
 * from growing memory. An entry also keeps the principals mapped from its claims, so that a
 * repeated token is mapped once, not once per request.
 */
import { sha256 } from "../../crypto/sha256.js";
import { LRUCache } from "lru-cache";
import type { Seconds } from "../../types.js";

export interface CachedToken {
  claims: Readonly<Record<string, unknown>>;
  /** When the entry stops being usable, in epoch milliseconds. */
  until: number;
  /**
   * The core's answer for these claims per way of arrival (the mapped principal), filled in
   * on first use.
   */
  results: { jwt?: unknown; cookie?: unknown };
}

export interface TokenCache {
  /**
   * The entry of a token by its {@link tokenDigest} (computed once by the caller, which may
   * ask several caches with it), or `undefined`.
   */
  getByDigest(digest: string): CachedToken | undefined;
  /**
   * Stores claims until the earlier of `exp` and `iat + maxTokenAge`; returns the entry, or
   * `undefined` when nothing was stored.
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

/** The cache key of a token: its SHA-256, never the token itself. */
export function tokenDigest(token: string): string {
  return sha256(token);
}
const digest = tokenDigest;

/** A disabled cache (`max` 0) stores nothing. */
export function createTokenCache(max: number, now: () => number = Date.now): TokenCache {
  const lru =
    max > 0
      ? new LRUCache<string, CachedToken>({ max, ttlAutopurge: false, ttlResolution: 0 })
      : null;
  function getByDigest(key: string): CachedToken | undefined {
    if (lru === null) return undefined;
    const entry = lru.get(key);
    if (entry === undefined) return undefined;
    // The LRU's own TTL runs on a monotonic clock; the token's exp runs on the wall clock.
    // Check both so a wall-clock jump cannot extend a token past its exp.
    if (entry.until <= now()) {
      lru.delete(key);
      return undefined;
    }
    return entry;
  }
  return {
    getByDigest,
    enabled: lru !== null,
    set(token, claims, maxTokenAge, knownDigest) {
      if (lru === null) return undefined;
      const exp = claims.exp;
      if (typeof exp !== "number" || !Number.isFinite(exp)) return undefined;
      let until = exp * 1000;
      const iat = claims.iat;
      if (maxTokenAge !== undefined && typeof iat === "number") {
        until = Math.min(until, (iat + maxTokenAge) * 1000);
      }
      const ttl = Math.floor(until - now());
      if (ttl <= 0) return undefined;
      const entry: CachedToken = { claims, until, results: {} };
      lru.set(knownDigest ?? digest(token), entry, { ttl });
      return entry;
    },
    clear() {
      lru?.clear();
    },
    get size() {
      return lru?.size ?? 0;
    },
  };
}
