/**
 * gatehouse's argon2id: parameters, the process-wide gate, hashing and verifying, rehash
 * checks. Every computation runs off the event loop, on a low-priority thread of
 * argon2-threads.ts (the only other file that touches `@node-rs/argon2`): several
 * milliseconds of CPU at OWASP parameters must not hold the loop, nor compete with it.
 *
 * Every hash and verify here passes one process-wide gate, whatever asked for it (key
 * verification, key creation, a rehash, an application's password check): the CPUs are the
 * process's, so a bound per caller would not bound them. The gate queues fairly by
 * subject and client (see `createHashGate`), so a flood of one kind of work, such as
 * creating hundreds of keys at once, cannot push the others out.
 */
import { parseOptions } from "@node-rs/argon2";
import type { Algorithm, Options } from "@node-rs/argon2";
import { AuthError } from "../errors.js";
import { onArgon2Thread } from "./argon2-threads.js";
import { createHashGate, defaultHashConcurrency, isGateFull } from "../verify/api-key/hash-gate.js";
import type { HashGate, HashSubject } from "../verify/api-key/hash-gate.js";
import type { SecretHasher } from "../types.js";

export type { HashSubject } from "../verify/api-key/hash-gate.js";

/** argon2id cost parameters. Defaults are OWASP's first argon2id recommendation. */
export interface Argon2Params {
  /** Memory per hash, in KiB. Default 19456 (19 MiB). Raising it raises every verify's RAM. */
  memoryCost?: number;
  /** Passes over memory. Default 2. */
  timeCost?: number;
  /** Lanes (argon2's p). Default 1. */
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

/** Settings of the process-wide argon2 gate; see {@link configureArgon2Gate}. */
export interface Argon2GateOptions {
  /** argon2 computations at once. Default `min(UV_THREADPOOL_SIZE or 4, CPUs − 1)`, at least 1. */
  max?: number;
  /** Computations allowed to wait for a slot. Default 64. */
  queue?: number;
}

let gate: HashGate | undefined;

/**
 * Sizes the process-wide gate that every argon2 hash and verify in this process passes:
 * at most `max` run at once, each on a low-priority thread of its own, `queue` more wait,
 * and past that a call rejects at once with `AuthError("unavailable")`. Calls already
 * admitted finish under the old sizes. The default `max` follows `UV_THREADPOOL_SIZE` (the
 * bound operators already set for hashing threads) up to one fewer than the CPUs the process
 * may use (`os.availableParallelism()`, which honours CPU affinity), so that argon2 never
 * takes every core from the event loop; a server that wants more passes `max`.
 */
export function configureArgon2Gate(options: Argon2GateOptions = {}): void {
  const max = options.max ?? defaultHashConcurrency();
  const queue = options.queue ?? 64;
  if (!Number.isInteger(max) || max < 1 || !Number.isInteger(queue) || queue < 0) {
    throw new TypeError("gatehouse: the argon2 gate needs an integer max >= 1 and queue >= 0");
  }
  gate = createHashGate(max, queue);
}

async function gated<T>(work: () => Promise<T>, subject: HashSubject): Promise<T> {
  // Created on first use: the pool size is read once the application has had its say.
  gate ??= createHashGate(defaultHashConcurrency(), 64);
  try {
    return await gate.run(work, subject);
  } catch (error) {
    // An AuthError, so that key creation and a verifyUser hook answer 503, not 500.
    if (!isGateFull(error)) throw error;
    throw new AuthError("unavailable", {
      detail: "Too many password or key hashes are waiting; try again shortly.",
      cause: error,
    });
  }
}

const PASSWORD: HashSubject = Object.freeze({ id: "password" });
const SECRET: HashSubject = Object.freeze({ id: "secret" });

/**
 * Hashes a secret with argon2id into a PHC string (`$argon2id$v=19$m=…`). `subject` says
 * whose work it is to the process-wide argon2 gate, which shares its queue fairly across
 * subjects and clients. Rejects with `AuthError("unavailable")` when that queue is full.
 */
export function hashSecret(
  secret: string,
  params?: Argon2Params,
  subject: HashSubject = SECRET,
): Promise<string> {
  const options = toOptions(resolve(params));
  return gated(() => onArgon2Thread({ op: "hash", secret, options }), subject);
}

/**
 * Whether `secret` matches the PHC string `hashed`. The parameters come from the hash
 * itself. Rejects when `hashed` is not an argon2 hash, and with `AuthError("unavailable")`
 * when the argon2 gate's queue is full (see {@link hashSecret} for `subject`).
 */
export function verifySecret(
  hashed: string,
  secret: string,
  subject: HashSubject = SECRET,
): Promise<boolean> {
  return gated(() => onArgon2Thread({ op: "verify", hashed, secret }), subject);
}

/**
 * {@link hashSecret} under the name a `verifyUser` hook reads best with. All password work
 * shares one subject of the argon2 gate unless `subject` names the user and client.
 */
export function hashPassword(
  password: string,
  params?: Argon2Params,
  subject: HashSubject = PASSWORD,
): Promise<string> {
  return hashSecret(password, params, subject);
}

/**
 * {@link verifySecret} for user passwords. Pass `{ id: username, client: ip }` as `subject`
 * when the hook knows them, so that one address's failed logins queue behind their own.
 */
export function verifyPassword(
  hashed: string,
  password: string,
  subject: HashSubject = PASSWORD,
): Promise<boolean> {
  return verifySecret(hashed, password, subject);
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

// Key verifications reach the argon2 gate already bounded, and shared fairly by key id and
// client, by the verifier's own gate (`apiKeys.hashConcurrency`); here they only need a
// share apart from key creation and passwords.
const KEY_HASH: HashSubject = Object.freeze({ id: "api-key:hash" });
const KEY_VERIFY: HashSubject = Object.freeze({ id: "api-key:verify" });

/**
 * The default {@link SecretHasher}: argon2id, salted, memory-hard. Costly on purpose
 * (milliseconds and 19 MiB per verify at the defaults), which is why the verifier caches
 * good keys and bounds how many verifies run at once. Its hashes (key creation, rehashing)
 * and verifies both pass the process-wide argon2 gate ({@link configureArgon2Gate}).
 */
export function argon2Hasher(params?: Argon2Params): SecretHasher {
  const resolved = resolve(params);
  return {
    id: "argon2id",
    hash: (secret) => hashSecret(secret, resolved, KEY_HASH),
    verify: (hashed, secret) => verifySecret(hashed, secret, KEY_VERIFY),
    needsRehash: (hashed) => argon2NeedsRehash(hashed, resolved),
  };
}
