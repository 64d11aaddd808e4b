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
 * changed from caching what it read.
 */
import { LRUCache } from "lru-cache";
import type { KeyFacts } from "../principal.js";
import type { ApiKeyRecord, KeyStore, Milliseconds } from "../types.js";
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
    }
  | { ok: false; reason: "unknown_key" | "key_disabled" }
  | { ok: false; reason: "unavailable"; cause: unknown };

export interface KeyStates {
  /** The key's standing: synchronous when remembered, a promise when the store is read. */
  standing(keyId: string): KeyStanding | Promise<KeyStanding>;
  /** Forgets a key, now and for reads under way. */
  invalidate(keyId: string): void;
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
    }),
    expiresAt: record.expiresAt ? record.expiresAt.getTime() : null,
    disabledAt: record.disabledAt ? record.disabledAt.getTime() : null,
  };
}

export function createKeyStates(options: KeyStatesOptions): KeyStates {
  const { store, storeTimeout, failClosed } = options;
  const remembered = new LRUCache<string, KeyStanding>({
    max: options.max ?? 10_000,
    ttl: options.ttl,
    ttlResolution: 0,
  });
  const generations = new Map<string, number>();
  const inflight = new Map<string, Promise<KeyStanding>>();
  let storeFailing = false;

  async function read(keyId: string): Promise<KeyStanding> {
    const generation = generations.get(keyId) ?? 0;
    let standing: KeyStanding;
    try {
      standing = standingOf(await withTimeout(store.get(keyId), storeTimeout), keyId);
      storeFailing = false;
    } catch (cause) {
      storeFailing = true;
      return { ok: false, reason: "unavailable", cause };
    }
    if ((generations.get(keyId) ?? 0) === generation) remembered.set(keyId, standing);
    return standing;
  }

  return {
    standing(keyId) {
      if (!(failClosed && storeFailing)) {
        const known = remembered.get(keyId);
        if (known !== undefined) return known;
      }
      let flight = inflight.get(keyId);
      if (flight === undefined) {
        const started: Promise<KeyStanding> = read(keyId).finally(() => {
          if (inflight.get(keyId) === started) inflight.delete(keyId);
        });
        inflight.set(keyId, (flight = started));
      }
      return flight;
    },
    invalidate(keyId) {
      remembered.delete(keyId);
      inflight.delete(keyId);
      generations.set(keyId, (generations.get(keyId) ?? 0) + 1);
      // The generations only need to outlive the reads under way; keep the map bounded.
      if (generations.size > 100_000) generations.clear();
    },
    clear() {
      remembered.clear();
      inflight.clear();
    },
  };
}
