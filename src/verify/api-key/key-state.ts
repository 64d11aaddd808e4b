/**
 * Whether the key an access token was minted from still stands: the check that makes a
 * token die with its key. The token's signature already proves that the key verified when
 * the token was minted, so no secret is checked here, only the record: present, enabled,
 * not expired, and not disabled after the token was minted.
 *
 * Records are remembered per key id for the same time as verified keys and are dropped by
 * the same signals (a local change, the store's change feed), so a repeated token costs a
 * map lookup and no store read, and a revoked key's tokens stop working exactly when the
 * key itself does. A generation per id keeps a read that was under way when the key
 * changed from caching what it read or answering with it: such a read is made again.
 *
 * While the store's change feed is down or not yet up (a change may go unheard), and while
 * the store is failing under `fail-closed`, a remembered standing is not answered as is: the
 * record is read again (one read per key shared by concurrent requests). A read that fails
 * answers `unavailable` under `fail-closed`; under `serve-cached` the remembered standing
 * answers, as it would in any outage.
 */
import { LRUCache } from "lru-cache";
import type { KeyFacts } from "../../principal/from-key.js";
import { useOf, type KeyUse } from "./key-usage.js";
import type { ApiKeyRecord, KeyStore, Milliseconds } from "../../types.js";
import type { FeedHealth } from "./verify-cache.js";
import { withTimeout } from "./with-timeout.js";

/** What the store says of a key, as far as tokens minted from it care. */
export type KeyStanding =
  | {
      ok: true;
      facts: KeyFacts;
      /** Epoch ms after which the key is expired; `null`: never. */
      expiresAt: number | null;
      /** Epoch ms of the key's last disable; tokens minted before it are refused. */
      disabledAt: number | null;
      /** What each request of a token minted from the key costs the key (see key-usage.ts). */
      use: KeyUse | null;
    }
  | { ok: false; reason: "unknown_key" | "key_disabled" }
  | { ok: false; reason: "unavailable"; cause: unknown };

export interface KeyStates {
  /** The key's standing: synchronous when remembered, a promise when the store is read. */
  standing(keyId: string): KeyStanding | Promise<KeyStanding>;
  /** Forgets a key, now and for reads under way. */
  invalidate(keyId: string): void;
  /** Counts every key as changed for the reads under way, keeping what is remembered. */
  fence(): void;
  /** Forgets every key, now and for reads under way. */
  reset(): void;
  clear(): void;
}

export interface KeyStatesOptions {
  store: KeyStore;
  storeTimeout: Milliseconds;
  /** How long a record is trusted without a store read. */
  ttl: Milliseconds;
  max?: number;
  /** With `fail-closed`, a remembered record is not trusted while store reads fail. */
  failClosed: boolean;
  /** Whether the store's change feed is up; absent: a store without one. */
  feed?: FeedHealth;
}

/** Reads of one key in a row that a change overtook before giving up with `unavailable`. */
const MAX_REREADS = 5;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * Whether two standings say the same: then the one already handed out is kept, so that
 * what callers derived from it (a token's mapped principal) stays valid.
 */
function sameStanding(a: KeyStanding, b: KeyStanding): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason && a.reason !== "unavailable";
  const [x, y] = [a.facts, b.facts];
  return (
    a.expiresAt === b.expiresAt &&
    a.disabledAt === b.disabledAt &&
    JSON.stringify(a.use) === JSON.stringify(b.use) &&
    x.environment === y.environment &&
    JSON.stringify(x.metadata) === JSON.stringify(y.metadata) &&
    x.id === y.id &&
    x.ownerId === y.ownerId &&
    x.ownerType === y.ownerType &&
    x.name === y.name &&
    sameList(x.scopes, y.scopes) &&
    sameList(x.roles, y.roles)
  );
}

function standingOf(record: ApiKeyRecord | null, keyId: string): KeyStanding {
  if (!record || record.id !== keyId) return { ok: false, reason: "unknown_key" };
  if (!record.enabled) return { ok: false, reason: "key_disabled" };
  return {
    ok: true,
    facts: Object.freeze({
      id: record.id,
      ownerId: record.ownerId,
      ownerType: record.ownerType,
      name: record.name,
      scopes: Object.freeze([...record.scopes]) as string[],
      roles: Object.freeze([...record.roles]) as string[],
      environment: record.environment ?? null,
      metadata: record.metadata ?? null,
    }),
    expiresAt: record.expiresAt ? record.expiresAt.getTime() : null,
    disabledAt: record.disabledAt ? record.disabledAt.getTime() : null,
    use: useOf(record),
  };
}

export function createKeyStates(options: KeyStatesOptions): KeyStates {
  const { store, storeTimeout, failClosed } = options;
  const feed = options.feed ?? { trusted: true };
  const remembered = new LRUCache<string, KeyStanding>({
    max: options.max ?? 10_000,
    ttl: options.ttl,
    ttlResolution: 0,
  });
  // Stamps from one counter: a read that began at stamp n must not stand if its key (or
  // every key, at `resetAt`) changed at a later stamp.
  let stamp = 0;
  let resetAt = -1;
  const changedAt = new Map<string, number>();
  const inflight = new Map<string, Promise<KeyStanding>>();
  let storeFailing = false;

  const changedSince = (keyId: string, startedAt: number): boolean =>
    resetAt > startedAt || (changedAt.get(keyId) ?? -1) > startedAt;

  async function read(keyId: string): Promise<KeyStanding> {
    for (let reads = 0; reads < MAX_REREADS; reads++) {
      const startedAt = stamp;
      let standing: KeyStanding;
      try {
        standing = standingOf(await withTimeout(store.get(keyId), storeTimeout), keyId);
        storeFailing = false;
      } catch (cause) {
        storeFailing = true;
        return { ok: false, reason: "unavailable", cause };
      }
      if (changedSince(keyId, startedAt)) continue;
      const known = remembered.peek(keyId);
      const kept = known !== undefined && sameStanding(known, standing) ? known : standing;
      remembered.set(keyId, kept);
      return kept;
    }
    return { ok: false, reason: "unavailable", cause: new Error("the key kept changing") };
  }

  function flight(keyId: string): Promise<KeyStanding> {
    let pending = inflight.get(keyId);
    if (pending === undefined) {
      const started: Promise<KeyStanding> = read(keyId).finally(() => {
        if (inflight.get(keyId) === started) inflight.delete(keyId);
      });
      inflight.set(keyId, (pending = started));
    }
    return pending;
  }

  function fence(): void {
    resetAt = ++stamp;
  }

  return {
    standing(keyId) {
      const known = remembered.get(keyId);
      if (known === undefined) return flight(keyId);
      if (feed.trusted && !(failClosed && storeFailing)) return known;
      if (!failClosed && storeFailing) {
        // Serve-cached in an outage: no request waits for a store known to be failing; one
        // read per key keeps asking, and replaces the standing once the store answers.
        void flight(keyId).catch(() => undefined);
        return known;
      }
      const pending = flight(keyId);
      if (failClosed) return pending;
      return pending.then((standing) =>
        !standing.ok && standing.reason === "unavailable" && remembered.peek(keyId) === known
          ? known
          : standing,
      );
    },
    invalidate(keyId) {
      remembered.delete(keyId);
      inflight.delete(keyId);
      changedAt.set(keyId, ++stamp);
      // The stamps only need to outlive the reads under way; keep the map bounded, and let
      // the reads under way when it is emptied count as overtaken.
      if (changedAt.size > 100_000) {
        changedAt.clear();
        fence();
      }
    },
    fence,
    reset() {
      fence();
      remembered.clear();
      inflight.clear();
    },
    clear() {
      remembered.clear();
      inflight.clear();
    },
  };
}
