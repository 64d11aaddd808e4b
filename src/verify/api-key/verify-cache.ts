/**
 * What the verifier remembers between requests: keys that verified (so a hit skips the
 * store and argon2) and keys that failed (so a repeated bad key costs nothing). Entries are
 * keyed by a SHA-256 of the full presented key behind a random secret made per process (see
 * {@link VerifyCache.digest}): the cache never holds a plaintext key, and its keys are
 * useless outside this process.
 *
 * Every entry remembers its key id, so that a change to a key (local, or announced by the
 * store) drops all of that key's entries at once. An epoch per id stops a verification that
 * was already running when the key changed from caching its now-stale answer, and tells it
 * to read the key again before it answers. When the store's feed comes back after a gap, or
 * announces that any key may have changed, every entry is marked for one re-read before it
 * answers again, and the epoch of every id moves at once.
 *
 * A third, larger and longer-lived memory outlives the verified entries: which presented
 * key (by digest) verified against which stored hash. When a verified entry's `ttl` runs
 * out, the key is confirmed with one store read instead of a second hash verification, as
 * long as the stored hash is still the one it verified against: argon2 once per key per
 * process, not once per key per `ttl`. It holds the stored hash, never the secret.
 */
import { randomBytes } from "node:crypto";
import { sha256 } from "../../crypto/sha256.js";
import { LRUCache } from "lru-cache";
import type { AuthErrorCode } from "../../errors.js";
import type { AuthResult, Milliseconds, Principal } from "../../types.js";
import type { KeyUse } from "./key-usage.js";

/**
 * Whether the store's change feed can be relied on to drop a cached key when it changes:
 * `false` while the feed is down or has not reported yet, and then caches re-read the store
 * on every hit instead of answering from memory. Owned by whoever subscribes to the store.
 */
export interface FeedHealth {
  readonly trusted: boolean;
}

export interface GoodEntry {
  keyId: string;
  principal: Principal;
  /** `{ ok: true, principal }`, frozen, made once: the answer every hit hands out. */
  result: AuthResult;
  expiresAt: number | null;
  /** What a use of the key costs (a rate limit, credits), or `null` when it costs nothing. */
  use: KeyUse | null;
  /**
   * The stored hash the secret was verified against: a record read later with the same
   * hash needs no second hash verification to answer for the same secret. Absent: the
   * entry cannot be re-checked without one.
   */
  hash?: string;
  /**
   * The {@link VerifyCache.epoch} just before the record behind the entry was read. An
   * entry read before the last {@link VerifyCache.recheckAll} must be read again before it
   * answers. Absent: as old as the cache.
   */
  readAt?: number;
  /**
   * When a use of this entry next needs noting for the last-used write: what the touch
   * writer answered the last time it was told, `-Infinity` before that.
   */
  touchDue: number;
}

export interface BadEntry {
  keyId: string;
  code: AuthErrorCode;
}

/**
 * A verified entry as the cache holds it: trusted from `from` until `until`, on the
 * verifier's clock (see {@link VerifyCache}).
 */
interface GoodSlot {
  entry: GoodEntry;
  from: number;
  until: number;
}

/** A presented key that verified against `hash`: enough to confirm it with a store read. */
export interface KnownEntry {
  keyId: string;
  hash: string;
}

export interface VerifyCacheOptions {
  /** How long a verified key is trusted without a store read, in ms. Default 30 000. */
  ttl?: Milliseconds;
  /** How many verified keys are remembered. Default 10 000. */
  max?: number;
  /** How long a failed key is remembered, in ms. Default 5 000; 0 turns it off. */
  negativeTtl?: Milliseconds;
  /** How many failed keys are remembered. Default 10 000. */
  negativeMax?: number;
  /**
   * How long a key that verified is remembered after its entry's `ttl` ran out, so that it
   * is confirmed with a store read instead of a second hash verification, in ms. Default
   * 3 600 000 (an hour).
   */
  revalidateTtl?: Milliseconds;
  /**
   * How many such keys are remembered. Default 4 × `max`: an entry is two short strings,
   * and keys used less often than every `ttl` still skip argon2.
   */
  revalidateMax?: number;
}

function bound(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`gatehouse: apiKeys.${name} must be a positive integer`);
  }
  return value;
}

export class VerifyCache {
  // 128 random bits, as base64url so that the prefix is a short plain string for the
  // one-shot hash: with a key of our format it fits two SHA-256 blocks, where 256 bits as
  // hex took three.
  readonly #prefix = randomBytes(16).toString("base64url");
  readonly #good: LRUCache<string, GoodSlot>;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #bad: LRUCache<string, BadEntry> | null;
  readonly #byId = new Map<string, Set<string>>();
  readonly #known: LRUCache<string, KnownEntry>;
  // Apart from #byId: a known entry outlives the good entry of the same digest, whose
  // removal would otherwise take the digest out of the one index.
  readonly #knownById = new Map<string, Set<string>>();
  readonly #epochs: LRUCache<string, number>;
  #epoch = 0;
  #resetAt = -1;
  #trustedFrom = -1;

  /**
   * `now` is the verifier's clock, the one a key's `expiresAt` is checked against: a hit
   * reads it once for both, and for the last-use note.
   */
  constructor(options: VerifyCacheOptions = {}, now: () => number = Date.now) {
    const forgetIn =
      (index: Map<string, Set<string>>) =>
      (value: { keyId: string }, digest: string, reason: string): void => {
        // An overwrite keeps the digest cached; only a real removal leaves the index.
        if (reason === "set") return;
        const digests = index.get(value.keyId);
        digests?.delete(digest);
        if (digests?.size === 0) index.delete(value.keyId);
      };
    const forget = forgetIn(this.#byId);
    const max = options.max ?? 10_000;
    this.#ttl = options.ttl ?? 30_000;
    this.#now = now;
    // No TTL in this LRU: a hit checks the slot's window against the clock reading it
    // already made (an LRU TTL reads a clock of its own on every get). An entry past its
    // window is dropped then, or pushed out by newer ones within the same bound.
    this.#good = new LRUCache<string, GoodSlot>({
      max,
      dispose: (slot, digest, reason) => forget(slot.entry, digest, reason),
    });
    const negativeTtl = options.negativeTtl ?? 5_000;
    this.#bad =
      negativeTtl > 0
        ? new LRUCache<string, BadEntry>({
            max: options.negativeMax ?? 10_000,
            ttl: negativeTtl,
            // ttlResolution 0 everywhere: no 1 ms "now" timer re-armed under load.
            ttlResolution: 0,
            dispose: forget,
          })
        : null;
    this.#known = new LRUCache<string, KnownEntry>({
      max: bound(options.revalidateMax, max * 4, "cache.revalidateMax"),
      ttl: bound(options.revalidateTtl, 3_600_000, "cache.revalidateTtl"),
      ttlResolution: 0,
      dispose: forgetIn(this.#knownById),
    });
    // Long enough to outlive any verification in flight (store timeout plus a queued hash).
    this.#epochs = new LRUCache({ max: 100_000, ttl: 5 * 60_000, ttlResolution: 0 });
  }

  /**
   * A keyed SHA-256 of the key: SHA-256(per-process secret ‖ key), not HMAC. The digest is
   * a cache key that never leaves the process and is never checked by anyone, so the
   * length extension that rules out secret-prefix MACs for authentication does not apply;
   * what is needed is that it reveals nothing about the key without the secret, which a
   * fixed-length 128-bit prefix gives. Node 20 has a one-shot hash but no one-shot HMAC,
   * and `createHmac` per request was measured as the largest part of an API-key cache
   * hit (docs/benchmarks.md).
   */
  digest(raw: string): string {
    return sha256(this.#prefix + raw);
  }

  /** An opaque marker to pass back to {@link setGood}/{@link setBad}. */
  epoch(): number {
    return this.#epoch;
  }

  /**
   * The verified entry of `digest` while its window lasts, `now` being a reading of the
   * verifier's clock. The window is `ttl` of that clock from when the entry was stored;
   * a clock that reads earlier than that moment was stepped back, and the entry is not
   * trusted either: a step back can lengthen a window by less than one `ttl`, never more.
   */
  getGood(digest: string, now: number = this.#now()): GoodEntry | undefined {
    const slot = this.#good.get(digest);
    if (slot === undefined) return undefined;
    if (now < slot.until && now >= slot.from) return slot.entry;
    this.#good.delete(digest);
    return undefined;
  }

  getBad(digest: string): BadEntry | undefined {
    return this.#bad?.get(digest);
  }

  /** The key and stored hash `digest` last verified against, if still remembered. */
  getKnown(digest: string): KnownEntry | undefined {
    return this.#known.get(digest);
  }

  setGood(digest: string, entry: GoodEntry, startedAt: number, ttl?: Milliseconds): void {
    if (this.changedSince(entry.keyId, startedAt)) return;
    this.#bad?.delete(digest);
    const from = this.#now();
    this.#good.set(digest, { entry, from, until: from + (ttl ?? this.#ttl) });
    this.#index(this.#byId, entry.keyId, digest);
    if (entry.hash !== undefined) {
      this.#known.set(digest, { keyId: entry.keyId, hash: entry.hash });
      this.#index(this.#knownById, entry.keyId, digest);
    }
  }

  setBad(digest: string, entry: BadEntry, startedAt: number): void {
    // A refused key (gone, disabled, expired) earns a full verification before it is let in.
    this.#known.delete(digest);
    if (!this.#bad || this.changedSince(entry.keyId, startedAt)) return;
    this.#good.delete(digest);
    this.#bad.set(digest, entry);
    this.#index(this.#byId, entry.keyId, digest);
  }

  delete(digest: string): void {
    this.#good.delete(digest);
    this.#bad?.delete(digest);
  }

  /** Drops everything known about key `keyId`, now and for verifications under way. */
  invalidate(keyId: string): void {
    this.#epochs.set(keyId, ++this.#epoch);
    for (const digest of this.#byId.get(keyId) ?? []) this.delete(digest);
    this.#byId.delete(keyId);
    for (const digest of this.#knownById.get(keyId) ?? []) this.#known.delete(digest);
    this.#knownById.delete(keyId);
  }

  /**
   * Whether key `keyId` may have changed since {@link epoch} returned `startedAt`: a
   * verification that read the key before that must read it again before it answers.
   */
  changedSince(keyId: string, startedAt: number): boolean {
    return this.#resetAt > startedAt || (this.#epochs.get(keyId) ?? -1) > startedAt;
  }

  /**
   * Counts every key as changed for the verifications under way, keeping the entries: for
   * the moment the change feed is lost, when a change may already have gone unheard.
   */
  fence(): void {
    this.#resetAt = ++this.#epoch;
  }

  /**
   * Makes every entry read before now {@link stale}, and every verification under way read
   * again: for when the feed is back after a gap, or announced that any key may have
   * changed. Entries are kept rather than dropped so that each key in use costs one store
   * read to confirm, not a second hash verification all at once.
   */
  recheckAll(): void {
    this.fence();
    this.#trustedFrom = this.#resetAt;
  }

  /** Whether `entry` was read before the last {@link recheckAll} and must be read again. */
  stale(entry: GoodEntry): boolean {
    return (entry.readAt ?? -1) < this.#trustedFrom;
  }

  clear(): void {
    this.#good.clear();
    this.#bad?.clear();
    this.#byId.clear();
    this.#known.clear();
    this.#knownById.clear();
  }

  get size(): number {
    return this.#good.size + (this.#bad?.size ?? 0);
  }

  #index(index: Map<string, Set<string>>, keyId: string, digest: string): void {
    let digests = index.get(keyId);
    if (!digests) index.set(keyId, (digests = new Set()));
    digests.add(digest);
  }
}
