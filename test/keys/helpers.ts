/** Shared set-up for the API-key tests: cheap argon2, a counting hasher, a settable clock. */
import { argon2Hasher } from "../../src/crypto/argon2.js";
import { createApiKeys } from "../../src/verify/api-key/api-keys.js";
import type { ApiKeyOptions, ApiKeys } from "../../src/verify/api-key/api-keys.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthEvent, KeyStore, SecretHasher } from "../../src/types.js";

/** argon2id at the lowest cost that still exercises the real library; tests are not about cost. */
export const cheapArgon2 = (): SecretHasher => argon2Hasher({ memoryCost: 256, timeCost: 1 });

export interface CountingHasher extends SecretHasher {
  verifies: number;
  hashes: number;
}

export function countingHasher(inner: SecretHasher = cheapArgon2()): CountingHasher {
  const counter: CountingHasher = {
    id: inner.id,
    verifies: 0,
    hashes: 0,
    hash(secret) {
      counter.hashes++;
      return inner.hash(secret);
    },
    verify(hash, secret) {
      counter.verifies++;
      return inner.verify(hash, secret);
    },
    ...(inner.needsRehash ? { needsRehash: (hash: string) => inner.needsRehash!(hash) } : {}),
  };
  return counter;
}

export interface Clock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function clock(start = Date.UTC(2026, 0, 1)): Clock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => void (t += ms),
    set: (ms) => void (t = ms),
  };
}

export interface Setup {
  keys: ApiKeys;
  store: KeyStore;
  hasher: CountingHasher;
  events: AuthEvent[];
  clock: Clock;
}

export function setup(options: Partial<ApiKeyOptions> = {}): Setup {
  const store = options.store ?? memoryKeyStore();
  const hasher = countingHasher(options.hasher ?? cheapArgon2());
  const events: AuthEvent[] = [];
  const time = clock();
  const keys = createApiKeys(
    { now: time.now, ...options, store, hasher },
    { onEvent: (event) => events.push(event) },
  );
  return { keys, store, hasher, events, clock: time };
}
