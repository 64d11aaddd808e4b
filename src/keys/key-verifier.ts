/**
 * The API-key verification path, one straight line:
 * parse + checksum → cache → failure throttle → (one flight per key) store.get with a
 * timeout → hash verify behind a bounded gate → enabled / expiry → principal → rate limit
 * → last-used note. It never throws: every outcome is an {@link AuthResult}.
 *
 * The caller's address, when the adapter knows it, keys both the failure budget and the
 * gate's fair share, so a flood from one address, for one id or for a hundred, spends that
 * address's budget and queue share and not the real key holder's.
 *
 * The secret is verified before `enabled` and `expiresAt` are looked at, so that only the
 * holder of a key learns that it is disabled or expired; anyone else gets `invalid_api_key`.
 */
import { AuthError } from "../errors.js";
import type { AuthErrorCode } from "../errors.js";
import type {
  ApiKeyRecord,
  AuthEvent,
  AuthResult,
  KeyStore,
  Milliseconds,
  SecretHasher,
} from "../types.js";
import type { FailureThrottle } from "./failure-throttle.js";
import { isGateFull } from "./hash-gate.js";
import type { HashGate } from "./hash-gate.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { TouchWriter } from "./touch-writer.js";
import type { GoodEntry, VerifyCache } from "./verify-cache.js";
import { withTimeout } from "./with-timeout.js";
import { keyPrincipal } from "../principal.js";

export interface KeyParts {
  id: string;
  secret: string;
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
  rateLimiter: RateLimiter;
  touch: TouchWriter;
  storeTimeout: Milliseconds;
  /** Refuse cached keys while store reads are failing (`whenStoreDown: "fail-closed"`). */
  failClosed: boolean;
  rehash: boolean;
  now: () => number;
  /** Absent when nobody listens: then no event object is built at all. */
  onEvent?: (event: AuthEvent) => void;
}

type Outcome =
  | { kind: "good"; entry: GoodEntry }
  | { kind: "bad"; code: AuthErrorCode; reason: string }
  | { kind: "unavailable"; reason: string; cause: unknown };

/** Longer values are never cached (no key format allows them), so they skip the digest. */
const MAX_CACHED_LENGTH = 256;

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
  // Whether the last store read failed; with failClosed, cache hits then go to the store.
  let storeFailing = false;

  const listener = ctx.onEvent;
  function emit(event: AuthEvent): void {
    // An event listener that throws must not turn a decision into a crash.
    try {
      listener?.(event);
    } catch {
      /* ignored on purpose */
    }
  }

  function fail(
    code: AuthErrorCode,
    reason: string,
    keyId?: string,
    retryAfter?: number,
  ): AuthResult {
    if (listener) {
      emit({ type: "failed", source: "apiKey", code, reason, ...(keyId ? { keyId } : {}) });
    }
    return {
      ok: false,
      error: new AuthError(code, retryAfter === undefined ? {} : { retryAfter }),
    };
  }

  function unavailable(reason: string, cause: unknown, keyId?: string): AuthResult {
    if (listener) {
      emit({ type: "unavailable", source: "apiKey", reason, ...(keyId ? { keyId } : {}) });
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

  async function lookUp(
    parts: KeyParts,
    digest: string,
    client: string | undefined,
  ): Promise<Outcome> {
    const started = ctx.cache.epoch();
    let record: ApiKeyRecord | null;
    try {
      record = await withTimeout(ctx.store.get(parts.id), ctx.storeTimeout);
      storeFailing = false;
    } catch (cause) {
      storeFailing = true;
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
    const now = ctx.now();
    const expiresAt = record.expiresAt ? record.expiresAt.getTime() : null;
    const code: AuthErrorCode | null = !record.enabled
      ? "key_disabled"
      : expiresAt !== null && expiresAt <= now
        ? "key_expired"
        : null;
    if (code) {
      ctx.cache.setBad(digest, { keyId: record.id, code }, started);
      return { kind: "bad", code, reason: code };
    }
    const principal = keyPrincipal(record);
    const entry: GoodEntry = {
      keyId: record.id,
      principal,
      result: Object.freeze({ ok: true, principal }),
      expiresAt,
      rateLimit: record.rateLimit ?? null,
    };
    const ttl = expiresAt === null ? ctx.cacheTtl : Math.min(ctx.cacheTtl, expiresAt - now);
    ctx.cache.setGood(digest, entry, started, ttl);
    return { kind: "good", entry };
  }

  async function admit(entry: GoodEntry): Promise<AuthResult> {
    const now = ctx.now();
    if (entry.rateLimit) {
      let decision;
      try {
        decision = await ctx.rateLimiter.consume(entry.keyId, entry.rateLimit, now);
      } catch (cause) {
        return unavailable("rate_limiter_error", cause, entry.keyId);
      }
      if (!decision.ok) {
        const seconds = Math.max(1, Math.ceil(decision.retryAfter / 1000));
        return fail("rate_limited", "rate_limited", entry.keyId, seconds);
      }
    }
    return admitted(entry, now);
  }

  function admitted(entry: GoodEntry, now: number): AuthResult {
    ctx.touch.note(entry.keyId, now);
    if (listener) {
      emit({
        type: "authenticated",
        source: "apiKey",
        principalId: entry.principal.id,
        keyId: entry.keyId,
      });
    }
    return entry.result;
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
      // Fail closed: while the store is failing, a cached key is checked against the store
      // like a new one (one read; `unavailable` if the store is still down).
      const good = ctx.failClosed && storeFailing ? undefined : ctx.cache.getGood(digest);
      if (good) {
        const now = ctx.now();
        if (good.expiresAt === null || good.expiresAt > now) {
          return good.rateLimit === null ? admitted(good, now) : admit(good);
        }
        ctx.cache.delete(digest);
      }
      const bad = ctx.cache.getBad(digest);
      if (bad) return fail(bad.code, "cached_failure", bad.keyId);
    }
    const parts = ctx.parse(raw);
    if (!parts) return fail("invalid_api_key", "malformed");
    const address = typeof client === "object" ? client.ip : client;
    // Frameworks report an unknown address as "" as well as undefined.
    return verifyNew(parts, digest ?? ctx.cache.digest(raw), address === "" ? undefined : address);
  }

  async function verifyNew(
    parts: KeyParts,
    digest: string,
    client: string | undefined,
  ): Promise<AuthResult> {
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
    if (outcome.kind === "good") return admit(outcome.entry);
    if (outcome.kind === "bad") return fail(outcome.code, outcome.reason, parts.id);
    return unavailable(outcome.reason, outcome.cause, parts.id);
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
    },
  };
}
