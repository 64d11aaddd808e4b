/**
 * The one file that imports `@node-rs/argon2`. Always the async API: the sync one holds
 * the event loop for the whole hash (several milliseconds at OWASP parameters), while the
 * async one runs on the libuv thread pool.
 */
import { hash, parseOptions, verify } from "@node-rs/argon2";
import type { Algorithm, Options } from "@node-rs/argon2";
import type { SecretHasher } from "../types.js";

/** argon2id cost parameters. Defaults are OWASP's first argon2id recommendation. */
export interface Argon2Params {
  /** Memory per hash, in KiB. Default 19456 (19 MiB). Raising it raises every verify's RAM. */
  memoryCost?: number;
  /** Passes over memory. Default 2. */
  timeCost?: number;
  /** Lanes. Default 1; each lane is a thread from the libuv pool. */
  parallelism?: number;
}

/** OWASP's first argon2id recommendation (19 MiB, 2 passes, 1 lane): the default parameters. */
export const OWASP_ARGON2ID: Readonly<Required<Argon2Params>> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

// `Algorithm` is an ambient const enum, which `isolatedModules` cannot read; 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

function resolve(params: Argon2Params | undefined): Required<Argon2Params> {
  const resolved = { ...OWASP_ARGON2ID, ...params };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`gatehouse: argon2 ${name} must be a positive integer`);
    }
  }
  return resolved;
}

function toOptions(params: Required<Argon2Params>): Options {
  return { ...params, algorithm: ARGON2ID };
}

/** Hashes a secret with argon2id into a PHC string (`$argon2id$v=19$m=…`). */
export function hashSecret(secret: string, params?: Argon2Params): Promise<string> {
  return hash(secret, toOptions(resolve(params)));
}

/**
 * Whether `secret` matches the PHC string `hashed`. The parameters come from the hash
 * itself. Rejects when `hashed` is not an argon2 hash.
 */
export function verifySecret(hashed: string, secret: string): Promise<boolean> {
  return verify(hashed, secret);
}

/** {@link hashSecret} under the name a `verifyUser` hook reads best with. */
export function hashPassword(password: string, params?: Argon2Params): Promise<string> {
  return hashSecret(password, params);
}

/** {@link verifySecret} for user passwords. */
export function verifyPassword(hashed: string, password: string): Promise<boolean> {
  return verifySecret(hashed, password);
}

/** Whether `hashed` was made with other parameters (or another algorithm) than `params`. */
export function argon2NeedsRehash(hashed: string, params?: Argon2Params): boolean {
  const want = resolve(params);
  try {
    const got = parseOptions(hashed);
    return (
      got.algorithm !== ARGON2ID ||
      got.memoryCost !== want.memoryCost ||
      got.timeCost !== want.timeCost ||
      got.parallelism !== want.parallelism
    );
  } catch {
    return true;
  }
}

/**
 * The default {@link SecretHasher}: argon2id, salted, memory-hard. Costly on purpose
 * (milliseconds and 19 MiB per verify at the defaults), which is why the verifier caches
 * good keys and bounds how many verifies run at once.
 */
export function argon2Hasher(params?: Argon2Params): SecretHasher {
  const resolved = resolve(params);
  return {
    id: "argon2id",
    hash: (secret) => hashSecret(secret, resolved),
    verify: (hashed, secret) => verifySecret(hashed, secret),
    needsRehash: (hashed) => argon2NeedsRehash(hashed, resolved),
  };
}
