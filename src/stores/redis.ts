/**
 * `gatehouse/stores/redis`: keys in Redis through ioredis. One hash per key
 * (`<prefix>key:<id>`), one sorted set per owner (`<prefix>owner:<ownerId>`) for listing,
 * and every write that changes a key publishes on `<prefix>changes` from inside its Lua
 * script, so a write and its announcement cannot come apart. `subscribe` listens on a
 * duplicated connection that subscribes again on every reconnect, and reports to
 * `onStatus` whether it is subscribed. Writes made around the store announce themselves
 * through {@link publishKeyChange}.
 *
 * On Redis Cluster (an ioredis `Cluster` as `client`) every key of the store carries one
 * hash tag, `{<prefix>}`, so that each script touches a single slot; changes go out by
 * PUBLISH, which the cluster carries to every node, and the feed listens on one node.
 *
 * Also exports {@link redisRateLimiter}, so that per-key limits hold across instances.
 */
import type { Cluster, Redis } from "ioredis";
import type {
  ApiKeyRecord,
  KeyStore,
  KeyStoreChange,
  Page,
  PageRequest,
  TouchEntry,
} from "../types.js";
import { ChangeListeners, encodeChange } from "./change-listeners.js";
import { decodeCursor, encodeCursor, pageLimit } from "./page-cursor.js";
import { decodeRecord, encodeFields, indexMember } from "./redis-codec.js";
import { creditsFromParts } from "../verify/api-key/credits.js";
import {
  openRedis,
  quit,
  type RedisClient,
  type RedisConnectionOptions,
} from "./redis-connection.js";
import { CREATE, DELETE, SPEND_CREDITS, TOUCH, UPDATE, runScript } from "./redis-scripts.js";

export { redisRateLimiter } from "./redis-rate-limiter.js";
export type { RedisRateLimiterOptions } from "./redis-rate-limiter.js";
export type { RedisClient, RedisConnectionOptions } from "./redis-connection.js";

/** Options of {@link redisKeyStore}: a connection (`client` or `url`) plus a key prefix. */
export interface RedisKeyStoreOptions<
  C extends RedisClient = Redis,
> extends RedisConnectionOptions<C> {
  /**
   * Put before every Redis key and the change channel, so that several deployments (or
   * test runs) can share one server. Default `"gatehouse:"`. On a `Cluster`, the keys
   * start with `{<prefix>}` instead, which puts all of them in one slot; the channel stays
   * `<prefix>changes`.
   */
  prefix?: string;
  /**
   * Called with errors of the subscriber connection. Default: none (it reconnects and
   * subscribes again by itself; until then the feed reports `down` and the verifier checks
   * every cached key against the store).
   */
  onError?: (error: Error) => void;
}

/** A full {@link KeyStore} on Redis, with `subscribe` over pub/sub on `<prefix>changes`. */
export interface RedisKeyStore<C extends RedisClient = Redis> extends Required<KeyStore> {
  /** The client the store writes through (yours, or the one it opened). */
  readonly client: C;
  /** Whether the change subscription is in place right now (false before `subscribe`). */
  readonly listening: boolean;
}

/** Keys per TOUCH script call; the calls of one batch go out in one pipeline. */
const TOUCH_CHUNK = 500;

const PROBE_INTERVAL = 5000;
const PROBE_TIMEOUT = 2000;

/**
 * A cluster feed connection gives up on its node after this many failed reconnects, and the
 * feed moves to another node: any node hears every PUBLISH, and a node that is gone for
 * good (failed over, removed) would otherwise keep the feed down.
 */
const NODE_RECONNECTS = 3;
/** How often a feed on a cluster client that knows no node yet looks for one again. */
const NODE_SEARCH_INTERVAL = 500;

const nodeName = (node: Redis) => `${node.options.host ?? ""}:${node.options.port ?? ""}`;

/**
 * The connection the change feed listens on: a twin of a single-server client (it
 * reconnects by itself), or a connection to one node of a cluster, preferably not the node
 * that was just lost; `null` while the cluster client knows no node.
 */
function feedConnection(client: RedisClient, avoid: string | null): Redis | null {
  if (!client.isCluster) return (client as Redis).duplicate({ autoResubscribe: false });
  const nodes = (client as Cluster).nodes("all");
  const others = nodes.filter((node) => nodeName(node) !== avoid);
  const choices = others.length > 0 ? others : nodes;
  const node = choices[Math.floor(Math.random() * choices.length)];
  if (!node) return null;
  return node.duplicate({
    lazyConnect: false,
    autoResubscribe: false,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => (times > NODE_RECONNECTS ? null : Math.min(100 * times, 500)),
  });
}

/**
 * A subscriber connection that dies without a word (a network partition, a host that
 * vanished) never closes by itself, and would miss every change while still counting as
 * up; a PING every few seconds that fails or does not answer in time gives it away.
 */
function createProbe(connection: Redis, onDead: (error: Error) => void) {
  let timer: ReturnType<typeof setInterval> | null = null;
  let busy = false;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  return {
    start() {
      stop();
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        let late: ReturnType<typeof setTimeout> | undefined;
        Promise.race([
          connection.ping(),
          new Promise<never>((_, reject) => {
            late = setTimeout(
              () => reject(new Error(`the subscriber did not answer in ${PROBE_TIMEOUT} ms`)),
              PROBE_TIMEOUT,
            );
          }),
        ])
          .catch((error: unknown) => {
            if (timer) onDead(error as Error);
          })
          .finally(() => {
            clearTimeout(late);
            busy = false;
          });
      }, PROBE_INTERVAL);
      // The probe must not keep the process alive on its own.
      timer.unref();
    },
    stop,
  };
}

/**
 * Announces a change to every instance listening on the store with this `prefix` (the
 * store's own default is `"gatehouse:"`), in the store's wire format. For writes made
 * around the store: an HSET or DEL on a key's hash by hand or by a script of your own is
 * not announced, so instances keep serving their cached copy for up to `cache.ttl` unless
 * you publish `{ type: "update", id }` (or `"delete"`) after it, or `{ type: "reset",
 * id: "" }` after a FLUSHDB, a restore or a bulk load. Resolves to the number of
 * connections that received it (on a `Cluster`, those of the one node it was sent to; the
 * cluster carries it to subscribers on the other nodes).
 */
export function publishKeyChange(
  client: RedisClient,
  prefix: string,
  change: KeyStoreChange,
): Promise<number> {
  if (typeof prefix !== "string") throw new TypeError("gatehouse: prefix must be a string");
  if (change.type !== "reset" && (typeof change.id !== "string" || change.id === "")) {
    throw new TypeError("gatehouse: an update or delete change needs the key's id");
  }
  return client.publish(`${prefix}changes`, encodeChange(change));
}

/**
 * Creates the store on your `client` (one server, or an ioredis `Cluster`) or on one
 * opened from `url`. Throws a `TypeError` with neither, with a non-string `prefix`, or on a
 * `Cluster` with a `prefix` that is empty or starts with `}` (no hash tag would result).
 */
export function redisKeyStore<C extends RedisClient = Redis>(
  options: RedisKeyStoreOptions<C>,
): RedisKeyStore<C> {
  const prefix = options.prefix ?? "gatehouse:";
  if (typeof prefix !== "string") throw new TypeError("gatehouse: options.prefix must be a string");
  const { client, release } = openRedis(options, "redisKeyStore");
  // A script may only touch keys of one slot on a cluster, and a record's writes reach its
  // owner's index (create, delete, a change of owner); one tag over the whole store keeps
  // every such pair together. The single-server layout stays as it always was.
  if (client.isCluster && (prefix === "" || prefix.startsWith("}"))) {
    // `{}…` is no hash tag at all: Redis would hash each whole key to a slot of its own.
    throw new TypeError(
      "gatehouse: on Redis Cluster, options.prefix is the keys' hash tag and must not be empty or start with '}'",
    );
  }
  const base = client.isCluster ? `{${prefix}}` : prefix;
  const keyOf = (id: string) => `${base}key:${id}`;
  const ownerPrefix = `${base}owner:`;
  const channel = `${prefix}changes`;
  const listeners = new ChangeListeners();
  let subscriber: Redis | null = null;
  let listening = false;
  let firstAttempt: Promise<void> | null = null;
  let searching: ReturnType<typeof setTimeout> | null = null;
  let closed: Promise<void> | null = null;

  /**
   * SUBSCRIBEs on every (re)connect of the dedicated connection, so that a store created
   * while Redis was down starts hearing changes once it is back. Resolves after the first
   * attempt either way, with the feed's status reported by then: `down` from the moment
   * the connection closes until a SUBSCRIBE succeeds again, since nothing published in
   * between is replayed.
   */
  function openSubscriber(): Promise<void> {
    firstAttempt ??= new Promise<void>((settle) => listen(null, settle));
    return firstAttempt;
  }

  /**
   * Opens the feed connection and subscribes on it; `settle` hears when its first attempt
   * is over. On a cluster, a connection that ends (its node stayed unreachable) is
   * replaced by one to another node.
   */
  function listen(avoid: string | null, settle: () => void): void {
    if (closed) return settle();
    const connection = feedConnection(client, avoid);
    if (!connection) {
      listeners.report("down");
      settle();
      searching = setTimeout(() => listen(null, () => {}), NODE_SEARCH_INTERVAL);
      searching.unref();
      return;
    }
    subscriber = connection;
    let pending: Promise<void> | null = null;
    // The first call is queued until the connection is ready; "ready" then joins it.
    const attempt = () =>
      (pending ??= connection
        .subscribe(channel)
        .then(
          () => {
            if (closed || connection.status !== "ready") return;
            listening = true;
            listeners.report("up");
            probe.start();
          },
          (error: Error) => {
            if (!closed) listeners.report("down");
            options.onError?.(error);
          },
        )
        .finally(() => {
          pending = null;
        }));
    const probe = createProbe(connection, (error) => {
      options.onError?.(error);
      // A connection that stopped answering is dropped; ioredis then reconnects it.
      connection.disconnect(true);
    });
    connection.on("error", (error: Error) => options.onError?.(error));
    connection.on("close", () => {
      listening = false;
      probe.stop();
      if (!closed) listeners.report("down");
    });
    connection.on("ready", () => void attempt());
    connection.on("message", (from: string, message: string) => {
      if (from === channel) listeners.deliver(message);
    });
    if (client.isCluster) {
      connection.once("end", () => {
        if (closed || subscriber !== connection) return;
        listening = false;
        probe.stop();
        listeners.report("down");
        listen(nodeName(connection), () => {});
      });
    }
    void attempt().then(settle);
  }

  const announce = (change: KeyStoreChange) => [ownerPrefix, channel, encodeChange(change)];

  return {
    client,
    get listening() {
      return listening;
    },

    async get(id) {
      return decodeRecord(await client.hgetall(keyOf(id)));
    },

    async create(record) {
      const member = indexMember(record.createdAt.getTime(), record.id);
      const { set } = encodeFields(record);
      const created = await runScript(
        client,
        CREATE,
        [keyOf(record.id), ownerPrefix + record.ownerId],
        [member, ...set],
      );
      if (created !== 1) throw new Error(`a key with id ${record.id} exists already`);
    },

    async update(id, patch) {
      const {
        id: _id,
        createdAt: _createdAt,
        ...changes
      } = patch as typeof patch & {
        id?: unknown;
        createdAt?: unknown;
      };
      const { set, remove } = encodeFields(changes);
      const reply = await runScript(
        client,
        UPDATE,
        [keyOf(id)],
        [...announce({ type: "update", id }), set.length / 2, ...set, ...remove],
      );
      return Array.isArray(reply) ? decodeRecord(reply as string[]) : null;
    },

    async delete(id) {
      const reply = await runScript(client, DELETE, [keyOf(id)], announce({ type: "delete", id }));
      return reply === 1;
    },

    async listByOwner(ownerId, page?: PageRequest): Promise<Page<ApiKeyRecord>> {
      const limit = pageLimit(page);
      const after = decodeCursor(page?.cursor);
      const min = after ? `(${indexMember(after.createdAt, after.id)}` : "-";
      const members = await client.zrangebylex(
        ownerPrefix + ownerId,
        min,
        "+",
        "LIMIT",
        0,
        limit + 1,
      );
      const ids = members.slice(0, limit).map((m) => m.slice(m.indexOf(":") + 1));
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hgetall(keyOf(id));
      const replies = ids.length > 0 ? ((await pipeline.exec()) ?? []) : [];
      const items: ApiKeyRecord[] = [];
      for (const [error, hash] of replies) {
        if (error) throw error;
        const record = decodeRecord(hash as Record<string, string>);
        // A key deleted between the two round trips is simply not listed.
        if (record) items.push(record);
      }
      const lastId = ids.at(-1);
      const lastMember = members[limit - 1];
      const next =
        members.length > limit && lastId !== undefined && lastMember !== undefined
          ? encodeCursor({ createdAt: Number(lastMember.slice(0, 15)), id: lastId })
          : null;
      return { items, next };
    },

    async spendCredits(id, cost, now) {
      const reply = (await runScript(client, SPEND_CREDITS, [keyOf(id)], [now.getTime(), cost])) as
        [number, string, string | null, string | null, string | null] | null;
      if (!Array.isArray(reply)) return null;
      const credits = creditsFromParts(reply.slice(1));
      return credits === null ? null : { ok: reply[0] === 1, credits };
    },

    async touch(batch: TouchEntry[]) {
      if (batch.length === 0) return;
      const pipeline = client.pipeline();
      for (let start = 0; start < batch.length; start += TOUCH_CHUNK) {
        const chunk = batch.slice(start, start + TOUCH_CHUNK);
        pipeline.eval(
          TOUCH,
          chunk.length,
          ...chunk.map((entry) => keyOf(entry.id)),
          ...chunk.map((entry) => entry.lastUsedAt.getTime()),
        );
      }
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    },

    async subscribe(onChange, onStatus) {
      const unsubscribe = listeners.add(onChange, onStatus);
      await openSubscriber();
      return unsubscribe;
    },

    close() {
      closed ??= (async () => {
        listeners.clear();
        listening = false;
        if (searching) clearTimeout(searching);
        if (subscriber) await quit(subscriber);
        await release();
      })();
      return closed;
    },
  };
}
