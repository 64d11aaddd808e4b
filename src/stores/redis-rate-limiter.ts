/**
 * A per-key rate limiter shared by every instance through Redis: a fixed-window counter
 * per key, counted and expired atomically in one Lua script on the server's clock. It
 * plugs into `apiKeys` as the {@link RateLimiter} that the verifier asks.
 */
import type { RateLimiter } from "../verify/api-key/rate-limiter.js";
import { openRedis, type RedisClient, type RedisConnectionOptions } from "./redis-connection.js";
import { RATE_LIMIT, runScript } from "./redis-scripts.js";

/** Options of {@link redisRateLimiter}: a connection (`client` or `url`) plus a key prefix. */
export interface RedisRateLimiterOptions extends RedisConnectionOptions<RedisClient> {
  /**
   * Put before every counter key. Default `"gatehouse:"`; counters are
   * `<prefix>rate:<id>:<window start>`, and on a `Cluster` `<prefix>rate:{<id>}:<window
   * start>`, so that each key's counters share a slot and different keys spread over the
   * masters (a prefix that holds a `{…}` of its own puts every counter in that one slot).
   */
  prefix?: string;
}

export interface RedisRateLimiter extends RateLimiter {
  /** Quits the client if the limiter opened it. */
  close(): Promise<void>;
}

/**
 * Counts on the Redis server, so N instances share one budget per key. Like the memory
 * limiter, a key may burst up to twice its limit across a window boundary. When Redis does
 * not answer, `consume` rejects and the verifier answers `unavailable`.
 */
export function redisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const prefix = options.prefix ?? "gatehouse:";
  const { client, release } = openRedis(options, "redisRateLimiter");
  // The script makes the window's key from this one, so on a cluster both must hash alike.
  const counterOf = client.isCluster
    ? (keyId: string) => `${prefix}rate:{${keyId}}`
    : (keyId: string) => `${prefix}rate:${keyId}`;
  return {
    async consume(keyId, limit) {
      const [count, left] = (await runScript(
        client,
        RATE_LIMIT,
        [counterOf(keyId)],
        [limit.limit, Math.max(1, Math.trunc(limit.window))],
      )) as [number, number];
      return count <= limit.limit ? { ok: true } : { ok: false, retryAfter: left };
    },
    close: release,
  };
}
