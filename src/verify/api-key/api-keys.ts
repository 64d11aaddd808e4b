/**
 * The API-key half of the core. `createAuth` builds one of these from `options.apiKeys`,
 * calls `matches` / `verify` on the request path, and exposes `manager` as `auth.keys`.
 * This file only wires the parts together; each part lives in a module named for it.
 */
import { argon2Hasher } from "../../crypto/argon2.js";
import { createReporter } from "../../decide/report.js";
import type { KeyToPrincipal } from "../../principal/from-key.js";
import type {
  AuthEvent,
  AuthResult,
  KeyEnvironment,
  KeyStore,
  KeyStoreChange,
  Milliseconds,
  SecretHasher,
} from "../../types.js";
import { createFailureThrottle } from "./failure-throttle.js";
import type { FailureThrottleOptions } from "./failure-throttle.js";
import { createHashGate, defaultHashConcurrency } from "./hash-gate.js";
import {
  assertValidPrefix,
  DEFAULT_KEY_PREFIX,
  hashedSecret,
  isKeyEnvironment,
  LEGACY_KEY_PREFIX,
  parseApiKey,
} from "./key-format.js";
import { KEYS_WRITE_SCOPE } from "../../manage/grant-rules.js";
import { createKeyManager } from "../../manage/key-manager.js";
import type { KeyManager } from "../../manage/key-manager-api.js";
import { createKeyVerifier } from "./key-verifier.js";
import type { ClientAddress, KeyParts } from "./key-verifier.js";
import { memoryRateLimiter } from "./rate-limiter.js";
import type { RateLimiter } from "./rate-limiter.js";
import { createTouchWriter } from "./touch-writer.js";
import { VerifyCache } from "./verify-cache.js";
import { withTimeout } from "./with-timeout.js";
import { createKeyStates, type KeyStanding } from "./key-state.js";
import { createKeyUsage, type KeyUse, type UseOutcome } from "./key-usage.js";
import type { VerifyCacheOptions } from "./verify-cache.js";

export type {
  AdminKeyManager,
  AdminKeyUpdate,
  CreateKeyInput,
  CreatedKey,
  CreditsInput,
  KeyManager,
  KeyUpdate,
  RotateOptions,
} from "../../manage/key-manager-api.js";
export type { KeyStatus, ManagedKey } from "../../manage/key-input.js";
export type { KeyToPrincipal } from "../../principal/from-key.js";

/** The `apiKeys` option of `createAuth`: where keys live and how they are verified. */
export interface ApiKeyOptions {
  /**
   * Where keys live. Verification needs only `get`; the key manager also needs `create`,
   * `update`, `delete` and `listByOwner`, and says so when one is missing. With `touch`,
   * last use is recorded; with `subscribe`, changes made by other instances drop cached
   * keys here at once.
   */
  store: KeyStore;
  /** The request header(s) that carry a key, case-insensitive. Default `"x-api-key"`. */
  header?: string | string[];
  /**
   * The prefix of issued keys: 1–16 of `[a-z0-9]`, starting with a letter. Default
   * `"gatehouse"`. Only keys with this prefix (or one of {@link ApiKeyOptions.previousPrefixes}) verify.
   * Pick one unique to your service so that secret scanners can tell your keys from others'.
   */
  prefix?: string;
  /**
   * Prefixes of keys issued before a change of {@link ApiKeyOptions.prefix}: they still verify, and new
   * keys get `prefix`. Default `["gh"]` when `prefix` is not set (the default prefix of
   * earlier releases, so that their keys keep working), `[]` otherwise.
   */
  previousPrefixes?: string[];
  /**
   * The environment new keys are issued for, written into the key
   * (`<prefix>_test_…` / `<prefix>_live_…`), recorded on the record and shown on
   * `principal.key.environment`. Default none: keys without an environment segment. A key
   * may name its own with `auth.keys.create({ environment })`.
   */
  environment?: KeyEnvironment;
  /**
   * The environments whose keys verify here; `"none"` stands for keys without one. Default:
   * all. Others are refused with `invalid_api_key` (and a detail naming the environment)
   * before any store read, e.g. `accept: ["live"]` in production so that a test key is
   * never taken for a live one. The environment is bound to the key's hash, so relabelling
   * a key does not get it past this.
   */
  accept?: ReadonlyArray<KeyEnvironment | "none">;
  /**
   * Shapes the principal of a verified key: receives the record (without its hash) and the
   * principal gatehouse made of it, e.g. to add a tenant id from `metadata`. Whatever it
   * returns keeps the key's `id`, `via`, `type` and `key`, and its scopes and roles are cut
   * to the key's, so a mapper can add to a principal but never widen a key. It runs once
   * per verification the cache keeps (not per request); throwing answers `unavailable`
   * (503), as `jwt.toPrincipal` does. Tokens minted from a key are shaped by
   * `jwt.toPrincipal` instead.
   */
  toPrincipal?: KeyToPrincipal;
  /**
   * Route `Authorization: Bearer <value>` to this verifier when the value has this
   * deployment's key format (prefix and checksum), instead of the JWT verifier. Default
   * `false`. Legacy formats from {@link parseKey} never route from Bearer.
   */
  acceptBearer?: boolean;
  /**
   * Also accept a legacy key format: return the lookup id and the secret, or `null`. Tried
   * only when the value is not in gatehouse's own format; values over 256 characters are
   * refused before it runs. See `parseColonKey` for `username:key`. Security: legacy
   * secrets are often short; keep the argon2id hasher for them.
   */
  parseKey?: (raw: string) => KeyParts | null;
  /**
   * How secrets are hashed and checked. Default {@link argon2Hasher} with OWASP parameters.
   * A hash this hasher reports as `needsRehash` is replaced after its next good verify.
   */
  hasher?: SecretHasher;
  /**
   * The verified-key cache. `ttl` (ms, default 30 000) is how long a key is trusted without
   * a store read; a change made elsewhere that the store does not announce through
   * `subscribe` takes up to this long to reach this process. `max` default 10 000 keys.
   * `negativeTtl` (ms, default 5 000; 0 off) and `negativeMax` (default 10 000) bound the
   * cache of failed keys. `revalidateTtl` (ms, default 3 600 000) and `revalidateMax`
   * (default 4 × `max`) bound the memory of keys that verified, so that one whose entry ran
   * out is confirmed with a store read instead of a second hash verification.
   */
  cache?: VerifyCacheOptions;
  /**
   * Store reads on the request path slower than this, in ms, answer `unavailable`.
   * Default 500: a healthy store answers a key read in a few milliseconds, and a hung one
   * should cost each uncached request half a second, not seconds. Keep it well under your
   * clients' own timeouts. It also bounds each step of
   * `auth.close()` (the feed, the last-used flush, the store's own close).
   */
  storeTimeout?: Milliseconds;
  /**
   * What a key already in the cache gets while this process cannot confirm it: while it sees
   * its store failing (from a store read that threw or timed out, until the next one that
   * succeeds), and while the store's change feed is down (`subscribe` reported it lost, or
   * has not reported it up yet) and the store read that re-checks the cached key fails.
   * `"serve-cached"` (default) keeps answering from the cache for at most `cache.ttl`, so a
   * store outage does not take every caller down; `"fail-closed"` answers `unavailable` for
   * cached keys too, so a key revoked during the outage cannot be used at all. Keys that are
   * not cached answer `unavailable` either way: an outage never lets a new key in. While
   * only the feed is down and the store answers, both re-read cached keys on every use and
   * answer from what the store says (docs/scaling.md).
   */
  whenStoreDown?: "serve-cached" | "fail-closed";
  /**
   * The scope an API-key-authenticated caller needs to create, change or delete keys, through
   * `auth.keys` with an actor and through the key routes alike. Default `"keys:write"`.
   * Token- and cookie-authenticated callers do not need it. Security: without it, one leaked
   * key could mint, re-scope or revoke all of its owner's other keys.
   */
  writeScope?: string;
  /**
   * Store calls of the key manager (create, list, update, rotate, delete) slower than this,
   * in ms, throw `AuthError("unavailable")`. Default 3000: these are rare admin calls,
   * where a slow database should not fail a write that would have succeeded, but a hung
   * one should not hold a key route for long.
   */
  managerTimeout?: Milliseconds;
  /**
   * How many keys one owner may hold (disabled and expired ones count: they stay stored).
   * Default 100. Creating one more is refused (the key routes answer 409), so one account
   * cannot fill the store or buy itself a pool of ids to flood the verifier with.
   */
  maxKeysPerOwner?: number;
  /** Last-used writes: at most one per key per interval, in ms. Default 60 000. */
  touchInterval?: Milliseconds;
  /**
   * This auth's hash verifications at once (`max`, default the libuv pool size, but no more
   * than one fewer than the process's CPUs, at least 1) and waiting
   * (`queue`, default 64); past the queue, `unavailable` at once. The queue is shared by
   * client address, then key id, served in turn; when full, a newcomer holding fewer
   * entries displaces the newest entry of the biggest holder, and that id's failure budget
   * is charged. With argon2id, every argon2 computation in the process also passes one
   * process-wide gate of the same default size (`configureArgon2Gate`), so `max` above that
   * only queues there.
   */
  hashConcurrency?: {
    /** Hash verifications at once. Default `min(UV_THREADPOOL_SIZE or 4, CPUs − 1)`, at least 1. */
    max?: number;
    /** Verifications allowed to wait. Default 64. */
    queue?: number;
  };
  /**
   * Failed verifications (wrong secret, unknown id, refused by the full queue) allowed per
   * key id and client address (`max`, default 20 per `window` of 60 000 ms), and per key id
   * from all addresses (`maxPerId`, default 10 × `max`, past which the id is refused to
   * everyone for the rest of the window). Callers without an address share one per-address
   * budget. `false` turns it off; cached keys are unaffected.
   */
  failureThrottle?: FailureThrottleOptions | false;
  /**
   * Counts requests of keys that have a `rateLimit`. Default an in-memory fixed window per
   * process; pass a shared one so that all instances share each key's budget.
   */
  rateLimiter?: RateLimiter;
  /** Upgrade hashes the hasher reports as outdated after a good verify. Default `true`. */
  rehash?: boolean;
  /**
   * The clock, in ms since the epoch, for keys' expiry and the cache's `ttl` alike. Default
   * `Date.now`. For tests.
   */
  now?: () => number;
}

/** The API-key part of the core: header names, routing, verification and the key manager. */
export interface ApiKeys {
  /** The header names that carry a key, lower-case. */
  readonly headers: readonly string[];
  /** Whether `Authorization: Bearer` values in our key format go to {@link verify}. */
  readonly acceptBearer: boolean;
  /** Cheap, no I/O: whether `raw` has this deployment's key format (prefix and checksum). */
  matches(raw: string): boolean;
  /** Never throws: resolves to a principal or an AuthError result. */
  verify(raw: string, client?: string): Promise<AuthResult>;
  /**
   * {@link verify} without the promise when the cache decides: the answer itself for a known
   * key or a known failure, a promise when the store or the hasher must be asked. Never
   * throws or rejects.
   */
  check(raw: string, client?: ClientAddress): AuthResult | Promise<AuthResult>;
  /**
   * Whether the key a token was minted from still stands (see `key-state.ts`): synchronous
   * when remembered, dropped with the key's other cache entries on any change.
   */
  standing(keyId: string): KeyStanding | Promise<KeyStanding>;
  /**
   * Counts one use of a key against its rate limit and credits: for the requests of a
   * token minted from it (a key's own requests are counted by {@link check}).
   */
  use(use: KeyUse): UseOutcome | Promise<UseOutcome>;
  /** The key manager, exposed as `auth.keys`. */
  readonly manager: KeyManager;
  /** Drops everything cached about a key id in this process. */
  invalidate(keyId: string): void;
  /** Flushes pending last-used writes, stops listening to the store and closes it. */
  close(): Promise<void>;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const MAX_LEGACY_LENGTH = 256;

function positive(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) {
    throw new TypeError(`gatehouse: apiKeys.${name} must be a positive number`);
  }
  return resolved;
}

function count(value: number | undefined, fallback: number, name: string, min: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < min) {
    throw new TypeError(`gatehouse: apiKeys.${name} must be an integer of at least ${min}`);
  }
  return resolved;
}

function acceptedEnvironments(
  accept: ApiKeyOptions["accept"],
): ((environment: KeyEnvironment | null) => boolean) | undefined {
  if (accept === undefined) return undefined;
  if (
    !Array.isArray(accept) ||
    accept.length === 0 ||
    accept.some((entry) => entry !== "none" && !isKeyEnvironment(entry))
  ) {
    throw new TypeError(
      'gatehouse: apiKeys.accept must be a non-empty list of "test", "live" and "none"',
    );
  }
  const allowed = new Set<string>(accept);
  return (environment) => allowed.has(environment ?? "none");
}

function headerNames(header: string | string[] | undefined): string[] {
  const names = (Array.isArray(header) ? header : [header ?? "x-api-key"]).map((h) =>
    typeof h === "string" ? h.toLowerCase() : "",
  );
  if (names.length === 0 || names.some((h) => !HEADER_NAME.test(h))) {
    throw new TypeError("gatehouse: apiKeys.header must be one or more HTTP header names");
  }
  return [...new Set(names)];
}

/**
 * Validates `options` (a `TypeError` names the bad one) and wires store, hasher, caches,
 * throttle, rate limiter and last-used writer. `createAuth` calls it for its `apiKeys`
 * option; `context.onEvent` receives the key events.
 */
export function createApiKeys(
  options: ApiKeyOptions,
  context: { onEvent?: (event: AuthEvent) => void },
): ApiKeys {
  const { store } = options;
  if (typeof store?.get !== "function") {
    throw new TypeError("gatehouse: apiKeys.store must be a KeyStore with a get(id) method");
  }
  const prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  function whenStoreDown(value: unknown): "serve-cached" | "fail-closed" {
    if (value === undefined || value === "serve-cached" || value === "fail-closed") {
      return value ?? "serve-cached";
    }
    throw new TypeError('gatehouse: apiKeys.whenStoreDown must be "serve-cached" or "fail-closed"');
  }
  assertValidPrefix(prefix);
  const previous =
    options.previousPrefixes ?? (options.prefix === undefined ? [LEGACY_KEY_PREFIX] : []);
  if (!Array.isArray(previous)) {
    throw new TypeError("gatehouse: apiKeys.previousPrefixes must be an array of prefixes");
  }
  for (const old of previous) assertValidPrefix(old, "apiKeys.previousPrefixes");
  const prefixes: readonly string[] = [...new Set([prefix, ...previous])];
  const environment = options.environment ?? null;
  if (environment !== null && !isKeyEnvironment(environment)) {
    throw new TypeError('gatehouse: apiKeys.environment must be "test" or "live"');
  }
  const accepts = acceptedEnvironments(options.accept);
  const { toPrincipal } = options;
  if (toPrincipal !== undefined && typeof toPrincipal !== "function") {
    throw new TypeError("gatehouse: apiKeys.toPrincipal must be a function");
  }
  const report = createReporter(context.onEvent);
  const headers = headerNames(options.header);
  const hasher = options.hasher ?? argon2Hasher();
  const now = options.now ?? Date.now;
  const storeTimeout = positive(options.storeTimeout, 500, "storeTimeout");
  const cacheTtl = positive(options.cache?.ttl, 30_000, "cache.ttl");
  const { parseKey } = options;
  if (parseKey !== undefined && typeof parseKey !== "function") {
    throw new TypeError("gatehouse: apiKeys.parseKey must be a function");
  }

  function parse(raw: string): KeyParts | null {
    const ours = parseApiKey(raw, { prefix: prefixes });
    if (ours) return { id: ours.id, secret: hashedSecret(ours), environment: ours.environment };
    if (!parseKey || raw.length > MAX_LEGACY_LENGTH) return null;
    let parts: KeyParts | null;
    try {
      parts = parseKey(raw);
    } catch {
      // A buggy legacy parser refuses the key; it never crashes the request.
      return null;
    }
    const { id, secret } = parts ?? {};
    return typeof id === "string" && id !== "" && typeof secret === "string" && secret !== ""
      ? { id, secret }
      : null;
  }

  // Last-used writes are best effort; a store that keeps failing them is worth one warning.
  let warnedTouch = false;
  const onTouchError = (error: unknown): void => {
    if (warnedTouch) return;
    warnedTouch = true;
    process.emitWarning(`gatehouse: writing API-key last use failed: ${String(error)}`, {
      code: "GATEHOUSE_TOUCH_FAILED",
    });
  };

  const cache = new VerifyCache({ ...options.cache, ttl: cacheTtl }, now);
  const touch = createTouchWriter(
    store,
    positive(options.touchInterval, 60_000, "touchInterval"),
    onTouchError,
  );
  const failClosed = whenStoreDown(options.whenStoreDown) === "fail-closed";
  // Set by the subscription below; a store without `subscribe` only has the cache TTL.
  const feed = { trusted: typeof store.subscribe !== "function" };
  const states = createKeyStates({
    store,
    storeTimeout,
    ttl: cacheTtl,
    ...(options.cache?.max === undefined ? {} : { max: options.cache.max }),
    failClosed,
    feed,
  });
  const usage = createKeyUsage({
    rateLimiter: options.rateLimiter ?? memoryRateLimiter(),
    store,
    storeTimeout,
    now,
  });
  const verifier = createKeyVerifier({
    store,
    hasher,
    parse,
    cache,
    cacheTtl,
    gate: createHashGate(
      count(options.hashConcurrency?.max, defaultHashConcurrency(), "hashConcurrency.max", 1),
      count(options.hashConcurrency?.queue, 64, "hashConcurrency.queue", 0),
    ),
    throttle: createFailureThrottle(options.failureThrottle ?? {}),
    usage,
    touch,
    storeTimeout,
    failClosed,
    feed,
    rehash: options.rehash ?? true,
    now,
    report,
    ...(toPrincipal === undefined ? {} : { toPrincipal }),
    ...(accepts === undefined ? {} : { accepts }),
  });
  // One signal drops a key everywhere: its verified entries and its tokens' standing.
  function invalidate(keyId: string): void {
    verifier.invalidate(keyId);
    states.invalidate(keyId);
  }
  const writeScope = options.writeScope ?? KEYS_WRITE_SCOPE;
  if (typeof writeScope !== "string" || writeScope === "" || /\s/.test(writeScope)) {
    throw new TypeError("gatehouse: apiKeys.writeScope must be one non-empty scope");
  }
  const manager = createKeyManager({
    store,
    hasher,
    prefix,
    environment,
    report,
    writeScope,
    storeTimeout: positive(options.managerTimeout, 3000, "managerTimeout"),
    maxKeysPerOwner: count(options.maxKeysPerOwner, 100, "maxKeysPerOwner", 1),
    now,
    invalidate,
  });

  // Changes made by other instances reach us through the store, when it can tell. A change
  // made while its feed is down is never announced, so until the feed says it is up, cache
  // hits are read again from the store; once it is up, whatever was cached before may
  // predate an unheard change: verified keys are read once more before they answer (a
  // store read, not a hash verification for every key in use at once), standings dropped.
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  let reported = false;
  function trust(): void {
    if (feed.trusted) return;
    cache.recheckAll();
    states.reset();
    feed.trusted = true;
  }
  const onChange = (change: KeyStoreChange): void => {
    if (closed) return;
    if (change.type === "reset") {
      cache.recheckAll();
      states.reset();
    } else invalidate(change.id);
  };
  const onStatus = (status: "up" | "down"): void => {
    if (closed) return;
    reported = true;
    if (status === "up") return trust();
    feed.trusted = false;
    cache.fence();
    states.fence();
  };
  const subscribed = Promise.resolve()
    .then(() => store.subscribe?.(onChange, onStatus))
    .then(
      (off) => {
        if (closed) off?.();
        else unsubscribe = off;
        // A store that never speaks of its feed has one it cannot lose (the memory store).
        if (!reported && !closed) trust();
      },
      (error: unknown) => {
        if (closed || reported) return;
        process.emitWarning(
          `gatehouse: the key store's subscribe failed (${String(error)}); cached keys are read again from the store on every use`,
          { code: "GATEHOUSE_STORE_SUBSCRIBE" },
        );
      },
    )
    // An unsubscribe that throws while closing must not surface as an unhandled rejection.
    .catch(() => undefined);

  return {
    headers,
    acceptBearer: options.acceptBearer ?? false,
    matches: (raw) => parseApiKey(raw, { prefix: prefixes }) !== null,
    verify: (raw, client) => Promise.resolve(verifier.verify(raw, client)),
    check: (raw, client) => verifier.verify(raw, client),
    standing: (keyId) => states.standing(keyId),
    use: (use) => usage.use(use),
    manager,
    invalidate,
    async close() {
      if (closed) return;
      closed = true;
      // A hung store must not hang shutdown: each step gets `storeTimeout`, then close goes
      // on (a last-used write lost that way is only a stale "last used" time).
      const bounded = async (step: string, work: Promise<unknown> | undefined) => {
        try {
          await withTimeout(Promise.resolve(work), storeTimeout);
        } catch (error) {
          process.emitWarning(`gatehouse: ${step} did not finish on close: ${String(error)}`, {
            code: "GATEHOUSE_CLOSE_TIMEOUT",
          });
        }
      };
      await bounded("subscribing to the key store", subscribed);
      unsubscribe?.();
      await bounded("writing last-used times", touch.close());
      cache.clear();
      states.clear();
      await bounded("closing the key store", store.close?.());
    },
  };
}
