/**
 * A per-key rate limiter shared by every instance through Redis: a fixed-window counter
 * per key, counted and expired atomically in one Lua script on the server's clock. It
 * plugs into `apiKeys` as the {@link RateLimiter} that the verifier asks.
 */
import type { RateLimiter } from "../verify/api-key/rate-limiter.js";
import { openRedis, type RedisConnectionOptions } from "./redis-connection.js";
import { RATE_LIMIT, runScript } from "./redis-scripts.js";

/** Options of {@link redisRateLimiter}: a connection (`client` or `url`) plus a key prefix. */
export interface RedisRateLimiterOptions extends RedisConnectionOptions {
  /** Put before every counter key. Default `"gatehouse:"`; counters are `<prefix>rate:<id>:<window start>`. */
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
  return {
    async consume(keyId, limit) {
      const [count, left] = (await runScript(
        client,
        RATE_LIMIT,
        [`${prefix}rate:${keyId}`],
        [limit.limit, Math.max(1, Math.trunc(limit.window))],
      )) as [number, number];
      return count <= limit.limit ? { ok: true } : { ok: false, retryAfter: left };
    },
    close: release,
  };
}
