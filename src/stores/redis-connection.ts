/**
 * The Redis connection a store or limiter works through: the caller's client (left open on
 * close), or one opened from a URL with settings that make calls fail fast during an
 * outage instead of queueing until the server returns.
 */
import { Redis } from "ioredis";
import type { Cluster, RedisOptions } from "ioredis";

/**
 * A client the Redis store and limiter work through: one server (`Redis`, a primary with
 * or without replicas) or Redis Cluster (`Cluster`).
 */
export type RedisClient = Redis | Cluster;

/** How a Redis store or limiter connects: give `client` or `url` (`client` wins when both are given). */
export interface RedisConnectionOptions<C extends RedisClient = Redis> {
  /**
   * A client you own: the store never quits it. Its own retry settings apply; with ioredis'
   * defaults a call waits through up to 20 reconnect attempts before it rejects. An ioredis
   * `Cluster` works too; the key layout then changes (see docs/stores.md, Redis Cluster).
   */
  client?: C;
  /** A `redis://` URL of one server; the store opens its own client, closed by `close()`. */
  url?: string;
  /**
   * Extra ioredis settings for a client opened from `url`. Default: each call retried once
   * across a reconnect (`maxRetriesPerRequest: 1`), and rejected after 5000 ms
   * (`commandTimeout`).
   */
  redisOptions?: RedisOptions;
}

export interface RedisConnection<C extends RedisClient> {
  client: C;
  /** Quits the client if it was opened here. */
  release: () => Promise<void>;
}

export function openRedis<C extends RedisClient>(
  options: RedisConnectionOptions<C>,
  what: string,
): RedisConnection<C> {
  if (options.client) {
    return { client: options.client, release: () => Promise.resolve() };
  }
  if (typeof options.url !== "string") {
    throw new TypeError(`gatehouse: ${what} needs options.client or options.url`);
  }
  const client = new Redis(options.url, {
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    ...options.redisOptions,
  });
  // Connection errors reach callers as rejected calls; the event only needs a listener.
  client.on("error", () => {});
  // A client opened from a URL is always a single-server `Redis`, whatever C says.
  return { client: client as RedisClient as C, release: () => quit(client) };
}

/** Quits politely when connected, and disconnects at once when not (no wait for an outage). */
export async function quit(client: RedisClient): Promise<void> {
  if (client.status === "end") return;
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      /* fall through to disconnect */
    }
  }
  client.disconnect();
}
