/**
 * The API-key verification path, one straight line:
 * parse + checksum → cache → failure throttle → (one flight per key) store.get with a
 * timeout → hash verify behind a bounded gate → enabled / expiry → principal → rate limit
 * and usage credits (key-usage.ts) → last-used note. It never throws: every outcome is an {@link AuthResult}.
 *
 * The caller's address, when the adapter knows it, keys both the failure budget and the
 * gate's fair share, so a flood from one address, for one id or for a hundred, spends that
 * address's budget and queue share and not the real key holder's.
 *
 * The secret is verified before `enabled` and `expiresAt` are looked at, so that only the
 * holder of a key learns that it is disabled or expired; anyone else gets `invalid_api_key`.
 *
 * Two rules keep a revoked key from passing once its revocation is known:
 * - No 200 from a stale read. Every good answer remembers the cache epoch at which its
 *   record was read; right before answering, a key changed since then (a local write, an
 *   announcement, a gap in the change feed) is read again, and the answer comes from that
 *   read. The hash verification is not repeated while the stored hash is the same.
 * - No blind cache hit while changes may go unheard. While the store's change feed is down
 *   or not yet up, and while the store is failing under `fail-closed`, a cache hit is
 *   re-read from the store (one read shared by concurrent hits, no hash verification)
 *   instead of answered as is; so is, once, an entry read before the feed came back. A
 *   re-read that fails answers `unavailable` under `fail-closed`; under `serve-cached` the
 *   entry answers, as it would in any outage.
 *
 * A presented key that verified in this process and whose cache entry ran out is confirmed
 * by that same re-read, with no hash verification while the stored hash is the one it
 * verified against: argon2 once per key per process, and one store read per key per
 * `cache.ttl` after that. A key that was never verified here takes the full path.
 */
import { AuthError } from "../../errors.js";
import type { AuthErrorCode } from "../../errors.js";
import type { Reporter } from "../../decide/report.js";
import type {
  ApiKeyRecord,
  AuthResult,
  KeyEnvironment,
  KeyStore,
  Milliseconds,
  SecretHasher,
} from "../../types.js";
import type { FailureThrottle } from "./failure-throttle.js";
import { isGateFull } from "./hash-gate.js";
import type { HashGate } from "./hash-gate.js";
import { useOf, type KeyUsage } from "./key-usage.js";
import type { TouchWriter } from "./touch-writer.js";
import type { FeedHealth, GoodEntry, VerifyCache } from "./verify-cache.js";
import { withTimeout } from "./with-timeout.js";
import { shapedKeyPrincipal, type KeyToPrincipal } from "../../principal/from-key.js";

export interface KeyParts {
  id: string;
  /** What is verified against the stored hash. */
  secret: string;
  /** The environment the key carries; absent or `null` for keys without one. */
  environment?: KeyEnvironment | null;
}

export interface VerifierContext {
  store: KeyStore;
  hasher: SecretHasher;
  parse: (raw: string) => KeyParts | null;
  cache: VerifyCache;
  cacheTtl: Milliseconds;
  /** Bounds this verifier's hash verifications; each entry names its key id and client. */
  gate: HashGate;
  throttle: FailureThrottle;
  /** Counts each admitted use of a key against its rate limit and credits. */
  usage: KeyUsage;
  touch: TouchWriter;
  storeTimeout: Milliseconds;
  /** Refuse cached keys while store reads are failing (`whenStoreDown: "fail-closed"`). */
  failClosed: boolean;
  /** Whether the store's change feed is up; absent: a store without one, cache hits trusted. */
  feed?: FeedHealth;
  rehash: boolean;
  now: () => number;
  /** Where events go; when nobody listens, no event object is built at all. */
  report: Reporter;
  /** `apiKeys.toPrincipal`: shapes each verified key's principal once per cache entry. */
  toPrincipal?: KeyToPrincipal;
  /**
   * Whether keys of this environment (`null`: keys without one) verify here; the refusal
   * comes before any store read. Absent: all do.
   */
  accepts?: (environment: KeyEnvironment | null) => boolean;
}

type Outcome =
  /** `readAt`: the cache epoch just before the record behind `entry` was read. */
  | { kind: "good"; entry: GoodEntry; readAt: number }
  | { kind: "bad"; code: AuthErrorCode; reason: string }
  | { kind: "unavailable"; reason: string; cause: unknown };

/** Longer values are never cached (no key format allows them), so they skip the digest. */
const MAX_CACHED_LENGTH = 256;

/**
 * Reads of one key in a row that a change overtook before an answer is given up as
 * `unavailable`: a key rewritten this often is better retried than answered from a guess.
 */
const MAX_REREADS = 5;

/** A re-read found another stored hash: the secret must be verified against it. */
const REHASH = "rehash";
type Reread = Outcome | typeof REHASH;

/** The caller's address, or an object whose `ip` is read only when it is needed. */
export type ClientAddress = string | { readonly ip?: string | undefined };

export interface KeyVerifier {
  /**
   * Never throws or rejects. Synchronous when the cache decides (a known key without a rate
   * limit, a known failure, a malformed value); a promise otherwise. `client` is the
   * caller's address as the framework reports it (`RequestView.ip`); without it, failures
   * count against a budget shared by every caller whose address is unknown. It may be given
   * as the request view, whose `ip` is read only when the store must be asked: a cache hit
   * never pays for it.
   */
  verify(raw: unknown, client?: ClientAddress): AuthResult | Promise<AuthResult>;
  /** Forgets a key: cache entries, and verifications in flight that later requests would join. */
  invalidate(keyId: string): void;
}

export function createKeyVerifier(ctx: VerifierContext): KeyVerifier {
  const inflight = new Map<string, { keyId: string; outcome: Promise<Outcome> }>();
  const rereads = new Map<string, { keyId: string; outcome: Promise<Reread> }>();
  // Whether the last store read failed; with failClosed, cache hits then go to the store.
  let storeFailing = false;
  const feed = ctx.feed ?? { trusted: true };

  const { report } = ctx;

  /** The environment of the key behind an entry: its principal's, which gatehouse set. */
  const environmentOf = (entry: GoodEntry): KeyEnvironment | null =>
    entry.principal.key?.environment ?? null;

  function fail(
    code: AuthErrorCode,
    reason: string,
    keyId?: string,
    retryAfter?: number,
    detail?: string,
  ): AuthResult {
    if (report.listening) {
      report.emit({ type: "failed", source: "apiKey", code, reason, ...(keyId ? { keyId } : {}) });
    }
    return {
      ok: false,
      error: new AuthError(code, {
        ...(retryAfter === undefined ? {} : { retryAfter }),
        ...(detail === undefined ? {} : { detail }),
      }),
    };
  }

  function unavailable(reason: string, cause: unknown, keyId?: string): AuthResult {
    if (report.listening) {
      report.emit({ type: "unavailable", source: "apiKey", reason, ...(keyId ? { keyId } : {}) });
    }
    return { ok: false, error: new AuthError("unavailable", { retryAfter: 1, cause }) };
  }

  function rehash(id: string, secret: string): void {
    const update = ctx.store.update?.bind(ctx.store);
    if (!update) return;
    // Best effort and off the request path: a failed upgrade is retried on the next miss.
    void ctx.hasher
      .hash(secret)
      .then((hash) => update(id, { hash }))
      .catch(() => undefined);
  }

  async function read(keyId: string): Promise<ApiKeyRecord | null> {
    try {
      const record = await withTimeout(ctx.store.get(keyId), ctx.storeTimeout);
      storeFailing = false;
      return record;
    } catch (cause) {
      storeFailing = true;
      throw cause;
    }
  }

  /**
   * What `record`, read at epoch `readAt`, answers for a secret already verified against
   * `hash`; cached unless the key changed since `readAt`.
   */
  function judge(
    record: ApiKeyRecord | null,
    keyId: string,
    digest: string,
    hash: string | undefined,
    readAt: number,
    environment: KeyEnvironment | null,
  ): Reread {
    if (!record || record.id !== keyId) {
      ctx.cache.setBad(digest, { keyId, code: "invalid_api_key" }, readAt);
      return { kind: "bad", code: "invalid_api_key", reason: "unknown_key" };
    }
    if (hash === undefined || record.hash !== hash) return REHASH;
    const now = ctx.now();
    const expiresAt = record.expiresAt ? record.expiresAt.getTime() : null;
    const code: AuthErrorCode | null = !record.enabled
      ? "key_disabled"
      : expiresAt !== null && expiresAt <= now
        ? "key_expired"
        : null;
    if (code) {
      ctx.cache.setBad(digest, { keyId: record.id, code }, readAt);
      return { kind: "bad", code, reason: code };
    }
    let principal;
    try {
      principal = shapedKeyPrincipal(record, environment, ctx.toPrincipal);
    } catch (cause) {
      // As for jwt.toPrincipal: a mapper that fails is an outage, never a refusal or a 500.
      return { kind: "unavailable", reason: "to_principal_error", cause };
    }
    const entry: GoodEntry = {
      keyId: record.id,
      principal,
      result: Object.freeze({ ok: true, principal }),
      expiresAt,
      use: useOf(record),
      hash: record.hash,
      readAt,
      touchDue: -Infinity,
    };
    const ttl = expiresAt === null ? ctx.cacheTtl : Math.min(ctx.cacheTtl, expiresAt - now);
    ctx.cache.setGood(digest, entry, readAt, ttl);
    return { kind: "good", entry, readAt };
  }

  async function lookUp(
    parts: KeyParts,
    digest: string,
    client: string | undefined,
  ): Promise<Outcome> {
    const started = ctx.cache.epoch();
    let record: ApiKeyRecord | null;
    try {
      record = await read(parts.id);
    } catch (cause) {
      return { kind: "unavailable", reason: "store_error", cause };
    }
    if (!record || record.id !== parts.id) {
      ctx.cache.setBad(digest, { keyId: parts.id, code: "invalid_api_key" }, started);
      return { kind: "bad", code: "invalid_api_key", reason: "unknown_key" };
    }
    let matched: boolean;
    try {
      const { hash } = record;
      matched = await ctx.gate.run(() => ctx.hasher.verify(hash, parts.secret), {
        id: parts.id,
        client,
      });
    } catch (cause) {
      const reason = isGateFull(cause) ? "verify_queue_full" : "hasher_error";
      return { kind: "unavailable", reason, cause };
    }
    if (!matched) {
      ctx.cache.setBad(digest, { keyId: parts.id, code: "invalid_api_key" }, started);
      return { kind: "bad", code: "invalid_api_key", reason: "wrong_secret" };
    }
    if (ctx.rehash && ctx.hasher.needsRehash?.(record.hash)) rehash(record.id, parts.secret);
    // The record's own hash was just verified, so judge never asks for another one here.
    return judge(
      record,
      parts.id,
      digest,
      record.hash,
      started,
      parts.environment ?? null,
    ) as Outcome;
  }

  /**
   * Reads the key until one read completes with no change to the key meanwhile, and judges
   * that record for a secret verified against `hash`. One flight per digest: every hit of
   * the key waiting on the store shares it.
   */
  function reread(
    keyId: string,
    digest: string,
    hash: string | undefined,
    environment: KeyEnvironment | null,
  ): Promise<Reread> {
    let flight = rereads.get(digest);
    if (!flight) {
      const started: { keyId: string; outcome: Promise<Reread> } = {
        keyId,
        outcome: readSettled(keyId, digest, hash, environment).finally(() => {
          if (rereads.get(digest) === started) rereads.delete(digest);
        }),
      };
      rereads.set(digest, (flight = started));
    }
    return flight.outcome;
  }

  async function readSettled(
    keyId: string,
    digest: string,
    hash: string | undefined,
    environment: KeyEnvironment | null,
  ): Promise<Reread> {
    for (let reads = 0; reads < MAX_REREADS; reads++) {
      const readAt = ctx.cache.epoch();
      let record: ApiKeyRecord | null;
      try {
        record = await read(keyId);
      } catch (cause) {
        return { kind: "unavailable", reason: "store_error", cause };
      }
      if (!ctx.cache.changedSince(keyId, readAt)) {
        return judge(record, keyId, digest, hash, readAt, environment);
      }
    }
    return { kind: "unavailable", reason: "key_changing", cause: undefined };
  }

  /** The answer for an outcome that is not good. */
  function refusal(outcome: Exclude<Outcome, { kind: "good" }>, keyId: string): AuthResult {
    return outcome.kind === "bad"
      ? fail(outcome.code, outcome.reason, keyId)
      : unavailable(outcome.reason, outcome.cause, keyId);
  }

  /**
   * The last step before a 200: the record behind `entry` was read at epoch `readAt`; if
   * the key changed since, it is read again and the answer comes from that read. Synchronous
   * when nothing changed. `retried`: this is already the second hash verification, so a
   * stored hash that moved once more answers `unavailable` instead of a third.
   */
  function confirm(
    entry: GoodEntry,
    readAt: number,
    digest: string,
    raw: string,
    client: ClientAddress | undefined,
    retried: boolean,
  ): AuthResult | Promise<AuthResult> {
    if (!ctx.cache.changedSince(entry.keyId, readAt)) return admitted(entry, ctx.now());
    return confirmAgain(entry, digest, raw, client, retried);
  }

  async function confirmAgain(
    entry: GoodEntry,
    digest: string,
    raw: string,
    client: ClientAddress | undefined,
    retried: boolean,
  ): Promise<AuthResult> {
    let current = entry;
    for (let reads = 0; reads < MAX_REREADS; reads++) {
      const outcome = await reread(current.keyId, digest, current.hash, environmentOf(current));
      if (outcome === REHASH) {
        if (retried) return unavailable("key_changing", undefined, current.keyId);
        return verifyAgain(raw, digest, client);
      }
      if (outcome.kind !== "good") return refusal(outcome, current.keyId);
      current = outcome.entry;
      if (!ctx.cache.changedSince(current.keyId, outcome.readAt)) {
        return admitted(current, ctx.now());
      }
    }
    return unavailable("key_changing", undefined, current.keyId);
  }

  /** A full verification (store read and hash), for a key whose stored hash moved. */
  function verifyAgain(
    raw: string,
    digest: string,
    client: ClientAddress | undefined,
  ): Promise<AuthResult> | AuthResult {
    const parts = ctx.parse(raw);
    if (!parts) return fail("invalid_api_key", "malformed");
    return verifyNew(parts, digest, raw, client, true);
  }

  async function admit(
    entry: GoodEntry,
    readAt: number,
    digest: string,
    raw: string,
    client: ClientAddress | undefined,
    retried: boolean,
  ): Promise<AuthResult> {
    if (entry.use) {
      const used = await ctx.usage.use(entry.use);
      if (!used.ok) {
        return "cause" in used
          ? unavailable(used.reason, used.cause, entry.keyId)
          : fail(used.code, used.reason, entry.keyId, used.retryAfter, used.detail);
      }
    }
    return confirm(entry, readAt, digest, raw, client, retried);
  }

  function admitted(entry: GoodEntry, now: number): AuthResult {
    // The writer decides when a use is written; until the time it named, it would say no.
    if (now >= entry.touchDue) entry.touchDue = ctx.touch.note(entry.keyId, now);
    if (report.listening) {
      report.emit({
        type: "authenticated",
        source: "apiKey",
        principalId: entry.principal.id,
        keyId: entry.keyId,
      });
    }
    return entry.result;
  }

  /**
   * A cache hit that may not be answered as is (see the module notes): re-read from the
   * store, and answered from what it says now.
   */
  async function recheck(
    entry: GoodEntry,
    digest: string,
    raw: string,
    client: ClientAddress | undefined,
  ): Promise<AuthResult> {
    const readAt = ctx.cache.epoch();
    if (!ctx.failClosed && storeFailing) {
      // Serve-cached in an outage: a request need not wait for a store known to be
      // failing. One re-read per key keeps asking, and drops the entry if the key fell.
      void reread(entry.keyId, digest, entry.hash, environmentOf(entry))
        .then((outcome) => {
          if (outcome === REHASH && ctx.cache.getGood(digest) === entry) ctx.cache.delete(digest);
        })
        .catch(() => undefined);
      return admit(entry, readAt, digest, raw, client, false);
    }
    const outcome = await reread(entry.keyId, digest, entry.hash, environmentOf(entry));
    if (outcome === REHASH) return verifyAgain(raw, digest, client);
    if (outcome.kind === "good") {
      return admit(outcome.entry, outcome.readAt, digest, raw, client, false);
    }
    // Serve-cached: a store that cannot be read leaves the entry standing, unless a change
    // to the key dropped it meanwhile.
    if (outcome.kind === "unavailable" && !ctx.failClosed && ctx.cache.getGood(digest) === entry) {
      return admit(entry, readAt, digest, raw, client, false);
    }
    return refusal(outcome, entry.keyId);
  }

  /**
   * A key whose entry ran out but which verified against `hash` before: one store read
   * decides, and only a stored hash that moved costs a hash verification. The failure
   * throttle is not asked: it guards the hasher, and only the holder of the secret can
   * present this digest.
   */
  async function revalidate(
    keyId: string,
    hash: string,
    digest: string,
    raw: string,
    client: ClientAddress | undefined,
  ): Promise<AuthResult> {
    const parts = ctx.parse(raw);
    if (!parts) return fail("invalid_api_key", "malformed");
    const outcome = await reread(keyId, digest, hash, parts.environment ?? null);
    if (outcome === REHASH) return verifyNew(parts, digest, raw, client, false);
    if (outcome.kind === "good") {
      return admit(outcome.entry, outcome.readAt, digest, raw, client, false);
    }
    return refusal(outcome, keyId);
  }

  /**
   * Synchronous when the cache decides (a known key without a rate limit, or a known
   * failure), a promise when the store, the hasher or a rate limiter must be asked. A value
   * the cache knows skips the parse: only values that parsed were ever cached.
   */
  function check(
    raw: unknown,
    client: ClientAddress | undefined,
  ): AuthResult | Promise<AuthResult> {
    if (typeof raw !== "string") return fail("invalid_api_key", "malformed");
    const digest = raw.length <= MAX_CACHED_LENGTH ? ctx.cache.digest(raw) : null;
    if (digest !== null) {
      const now = ctx.now();
      const good = ctx.cache.getGood(digest, now);
      if (good) {
        if (good.expiresAt === null || good.expiresAt > now) {
          // Fail closed: while the store is failing, a cached key is checked against the
          // store (one read; `unavailable` if the store is still down).
          if (!feed.trusted || (ctx.failClosed && storeFailing) || ctx.cache.stale(good)) {
            return recheck(good, digest, raw, client);
          }
          return good.use === null
            ? admitted(good, now)
            : admit(good, ctx.cache.epoch(), digest, raw, client, false);
        }
        ctx.cache.delete(digest);
      }
      const bad = ctx.cache.getBad(digest);
      if (bad) return fail(bad.code, "cached_failure", bad.keyId);
      const known = ctx.cache.getKnown(digest);
      if (known) return revalidate(known.keyId, known.hash, digest, raw, client);
    }
    const parts = ctx.parse(raw);
    if (!parts) return fail("invalid_api_key", "malformed");
    // Before the store: a refused environment costs a parse, never a read or a hash.
    const environment = parts.environment ?? null;
    if (ctx.accepts && !ctx.accepts(environment)) {
      return fail(
        "invalid_api_key",
        "environment_refused",
        parts.id,
        undefined,
        environment === null
          ? "API keys without an environment are not accepted here."
          : `API keys for the ${environment} environment are not accepted here.`,
      );
    }
    return verifyNew(parts, digest ?? ctx.cache.digest(raw), raw, client, false);
  }

  async function verifyNew(
    parts: KeyParts,
    digest: string,
    raw: string,
    caller: ClientAddress | undefined,
    retried: boolean,
  ): Promise<AuthResult> {
    const address = typeof caller === "object" ? caller.ip : caller;
    // Frameworks report an unknown address as "" as well as undefined.
    const client = address === "" ? undefined : address;
    // Joining a verification already under way costs nothing, so only a new one is throttled.
    let flight = inflight.get(digest);
    if (!flight) {
      const blocked = ctx.throttle.blockedFor(parts.id, ctx.now(), client);
      if (blocked > 0) {
        return fail("rate_limited", "too_many_failures", parts.id, Math.ceil(blocked / 1000));
      }
      // Wrong secrets and unknown ids count as failures, and so does a refusal by the full
      // hash queue: otherwise a flood that keeps the queue full would never spend its
      // budget and could hold the queue for the whole window. A disabled or expired key
      // presented with its right secret does not count.
      let failed = false;
      ctx.throttle.start(parts.id, ctx.now(), client);
      const started: { keyId: string; outcome: Promise<Outcome> } = {
        keyId: parts.id,
        outcome: lookUp(parts, digest, client)
          .then((outcome) => {
            failed =
              outcome.kind === "bad"
                ? outcome.code === "invalid_api_key"
                : outcome.kind === "unavailable" && outcome.reason === "verify_queue_full";
            return outcome;
          })
          .finally(() => {
            ctx.throttle.finish(parts.id, ctx.now(), failed, client);
            if (inflight.get(digest) === started) inflight.delete(digest);
          }),
      };
      flight = started;
      inflight.set(digest, flight);
    }
    const outcome = await flight.outcome;
    if (outcome.kind === "good") {
      return admit(outcome.entry, outcome.readAt, digest, raw, caller, retried);
    }
    return refusal(outcome, parts.id);
  }

  return {
    verify(raw, client) {
      try {
        const result = check(raw, client);
        return result instanceof Promise
          ? result.catch((cause: unknown) => unavailable("internal_error", cause))
          : result;
      } catch (cause) {
        return unavailable("internal_error", cause);
      }
    },
    invalidate(keyId) {
      ctx.cache.invalidate(keyId);
      for (const [digest, flight] of inflight) {
        if (flight.keyId === keyId) inflight.delete(digest);
      }
      for (const [digest, flight] of rereads) {
        if (flight.keyId === keyId) rereads.delete(digest);
      }
    },
  };
}
