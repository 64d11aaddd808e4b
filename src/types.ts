/**
 * The shared vocabulary of gatehouse: who called (Principal), how a request looks to the
 * core (RequestView), where keys live (KeyStore) and what the core answers (AuthResult).
 * Everything here is a type; behaviour lives in the modules named after what they do.
 */
import type { AuthError } from "./errors.js";

/** Durations in the public API say their unit in the type. */
export type Seconds = number;
/** A duration in milliseconds; see {@link Seconds}. */
export type Milliseconds = number;

/** How the credential that decided arrived. */
export type CredentialSource = "jwt" | "apiKey" | "cookie";

/** Who is calling: the product of a verified credential. */
export interface Principal {
  /** The subject: the JWT `sub`, or the owner of the API key. */
  readonly id: string;
  /**
   * What kind of caller: `service` for keys whose owner is a service (and the tokens minted
   * from them) and for foreign client-credentials tokens, `apiKey` for other API keys (and
   * the tokens minted from them), `user` for other tokens.
   */
  readonly type: "user" | "apiKey" | "service";
  /** How the deciding credential arrived: Bearer JWT, API key, or session cookie. */
  readonly via: CredentialSource;
  /** Granted scopes (from the key record, or the token's `scope`/`scopes`/`scp`); checked by scope guards. */
  readonly scopes: readonly string[];
  /** Granted roles (from the key record, or the token's `roles` claim); checked by role guards. */
  readonly roles: readonly string[];
  /** The verified JWT claims, when the credential was a token. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * The API key behind the credential: the key itself, or the key an access token was
   * minted from (its `key_id` claim). Whenever it is set, the principal holds at most what
   * the key holds now, and every rule for keys (such as `keys:write`) applies to it.
   */
  readonly key?: {
    /** The key's public lookup id. */
    readonly id: string;
    /** The key's human-readable name. */
    readonly name: string;
    /** The owner the key was issued to; equals {@link Principal.id}. */
    readonly ownerId: string;
    /**
     * The environment the key was issued for (`test` or `live`, read from the key itself;
     * on a token minted from a key, the key record's), or `null` for a key without one.
     */
    readonly environment?: KeyEnvironment | null;
    /**
     * The key record's `metadata`, deep-frozen (a copy: editing the record later does not
     * change it), or `null`; on a token minted from a key, the key's metadata as it is now.
     */
    readonly metadata?: DeepReadonly<Record<string, unknown>> | null;
  };
}

/** A value and everything it holds, read-only. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * The environment a key was issued for: part of the key (`<prefix>_test_…`), so that people
 * and secret scanners can tell a test key from a live one, and `apiKeys.accept` can refuse
 * test keys where only live ones belong.
 */
export type KeyEnvironment = "test" | "live";

/** What the core answers for a request: a principal, or the error that explains why not. Never thrown. */
export type AuthResult<TUser extends Principal = Principal> =
  | {
      /** `true`: a credential was verified. */
      ok: true;
      /** Who is calling. */
      principal: TUser;
    }
  | {
      /** `false`: no credential, a bad one, or a backing service was unreachable. */
      ok: false;
      /** Why; its `code` and `status` say whether to answer 401, 403, 429 or 503. */
      error: AuthError;
    };

/**
 * The framework-neutral view of a request that the core reads. A web `Request` fits it.
 * `headers.get` returns every value of a header joined with `", "` (as the Fetch `Headers`
 * class does), or `null` when the header is absent; adapters must not drop duplicates.
 */
export interface RequestView {
  /** The HTTP method, e.g. `GET`. */
  method: string;
  /** The request URL: absolute (as on a web `Request`) or path-only; CSRF checks read its origin. */
  url: string;
  /** Header access; see above for how duplicates must be joined. */
  headers: {
    /** Every value of the header `name` (case-insensitive) joined with `", "`, or `null`. */
    get(name: string): string | null;
  };
  /**
   * The client's address as the framework reports it (Express `req.ip`, Koa `ctx.ip`, the
   * peer address on `@hono/node-server`), so it honours the framework's trust-proxy
   * setting; gatehouse itself never reads `X-Forwarded-For`. Failure budgets are kept per
   * credential and address, so that failures from one address do not refuse the same
   * credential from another. Absent when unknown: such callers share one budget.
   */
  readonly ip?: string;
}

/** Who ended a key: see {@link ApiKeyRecord.disabledBy}. */
export type KeyEndedBy = "owner" | "admin" | "rotation";

/** Who an API key belongs to. Keys of a `service` owner authenticate as `type: "service"`. */
export type OwnerType = "user" | "org" | "service";

/** A per-key request budget: at most `limit` requests in every `window`. */
export interface KeyRateLimit {
  /** Requests allowed per window; a positive integer. */
  limit: number;
  /** The window length, in ms; a positive integer. */
  window: Milliseconds;
}

/** How a metered key's credits come back: see {@link KeyCredits.refill}. */
export interface KeyCreditRefill {
  /** What `remaining` is raised to at each refill (never lowered); a positive integer. */
  amount: number;
  /** How often, in ms; a positive integer. */
  interval: Milliseconds;
}

/**
 * A metered key's usage credits: each authenticated request made with the key, or with a
 * token minted from it, spends one, atomically in the store (so every instance draws on
 * the same count). A key with none left answers `usage_exceeded` (429) until a refill or a
 * top-up.
 */
export interface KeyCredits {
  /** Requests left; a non-negative integer. */
  remaining: number;
  /**
   * Every `interval` after `refilledAt`, `remaining` is raised to `amount` (a top-up above
   * it is kept). Refills are applied by the next spend, so a stored record may show the
   * count from before one fell due. `null` or absent: no refills.
   */
  refill?: KeyCreditRefill | null;
  /**
   * When the last refill was due (or when the credits were set): the next is due one
   * `interval` later. The key manager sets it; `null` or absent without a refill.
   */
  refilledAt?: Date | null;
}

/**
 * What {@link KeyStore.spendCredits} answers: `ok` with the credits after the spend, not
 * `ok` with the credits as they are when too few were left (nothing was spent), or `null`
 * when there is no such key or it is not metered.
 */
export type CreditSpend = {
  /** Whether the credits were spent. */
  ok: boolean;
  /** The key's credits after the spend (or, when not `ok`, as they are). */
  credits: KeyCredits;
} | null;

/** A stored API key. The plaintext secret is never part of it, only its hash. */
export interface ApiKeyRecord {
  /** The public lookup id embedded in the key. */
  id: string;
  /** Who the key belongs to; becomes the principal's `id`. */
  ownerId: string;
  /** The kind of owner; `service` makes the principal `type: "service"`. */
  ownerType: OwnerType;
  /** A human-readable label, at most 200 characters. */
  name: string;
  /** The key prefix it was issued with (e.g. `gatehouse`), for display and secret scanners. */
  prefix: string;
  /**
   * The environment the key was issued for (`test` or `live`), or `null`/absent for a key
   * without one. The key string carries it too, and it is bound to the hash, so a store
   * that does not keep this field still verifies the key for its own environment only.
   */
  environment?: KeyEnvironment | null;
  /** The encoded hash of the secret, as a {@link SecretHasher} produced it. */
  hash: string;
  /** Scopes granted to callers of this key (single tokens, no spaces). */
  scopes: string[];
  /** Roles granted to callers of this key (single tokens, no spaces). */
  roles: string[];
  /** A disabled key fails with `key_disabled` until re-enabled. */
  enabled: boolean;
  /**
   * Who ended the key, when it was disabled or superseded: `owner` (its owner, who may
   * enable it again), `admin` (only an admin may enable it again) or `rotation` (a newer
   * key replaced it; it can never be enabled again, nor its end moved). `null` or absent
   * for a key nobody ended.
   */
  disabledBy?: KeyEndedBy | null;
  /**
   * When the key was last disabled. Access tokens minted from the key before this instant
   * stay refused even after the key is enabled again.
   */
  disabledAt?: Date | null;
  /** When the key was created. */
  createdAt: Date;
  /** After this instant the key fails with `key_expired`; `null` or absent: never expires. */
  expiresAt?: Date | null;
  /**
   * When the key last authenticated, written behind in batches (at most once per key per
   * `touchInterval`), so it can lag; only kept when the store implements `touch`.
   */
  lastUsedAt?: Date | null;
  /**
   * Free-form data of your own (a plain object). gatehouse does not interpret it; a
   * verified key's principal carries a deep-frozen copy as `principal.key.metadata`.
   */
  metadata?: Record<string, unknown> | null;
  /** A per-key request budget; `null` or absent: the key is never counted. */
  rateLimit?: KeyRateLimit | null;
  /**
   * Usage credits; `null` or absent: the key is not metered and its requests cost no
   * store write.
   */
  credits?: KeyCredits | null;
  /**
   * The key a rotation replaced this one with. A rotation moves a metered key's credits to
   * its replacement, and the old key, while its overlap lasts, spends the replacement's.
   */
  replacedBy?: string | null;
}

/** The fields of a record that an update may change. */
export type ApiKeyPatch = Partial<Omit<ApiKeyRecord, "id" | "createdAt">>;

/** A record as shown to people and over HTTP: everything except the hash. */
export type PublicApiKeyRecord = Omit<ApiKeyRecord, "hash">;

/** Which page of a listing to return. */
export interface PageRequest {
  /** At most this many records; stores cap it (default 50, max 500). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  cursor?: string | null;
}

/** One page of a listing. */
export interface Page<T> {
  /** The records of this page, oldest first. */
  items: T[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  next: string | null;
}

/** One last-used write of a {@link KeyStore.touch} batch. */
export interface TouchEntry {
  /** The key id. */
  id: string;
  /** When the key was last used. */
  lastUsedAt: Date;
}

/**
 * A change announced to {@link KeyStore.subscribe} listeners, so instances drop cached copies:
 * one key updated or deleted, or `reset` when keys changed in a way no single id describes
 * (a `TRUNCATE`, a bulk load): listeners then drop everything they cached. `id` is `""` on
 * a reset, so that a listener written before resets existed (`drop(change.id)`) still
 * type-checks and merely misses the reset.
 */
export type KeyStoreChange =
  | {
      /** Whether the key was updated or deleted. */
      type: "update" | "delete";
      /** The id of the changed key. */
      id: string;
    }
  | {
      /** Any key may have changed. */
      type: "reset";
      /** Always `""`. */
      id: "";
    };

/**
 * Where API keys live. Only `get` is needed to verify keys; the key manager and key routes
 * need the write methods. Every method rejects when the backing service is unreachable;
 * the verifier turns that into `unavailable`.
 *
 * Ordering: `listByOwner` returns records oldest first (createdAt, then id).
 */
export interface KeyStore {
  /** The record with this id, or `null` when there is none. The only method verification needs. */
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Rejects if a record with the same id exists. */
  create?(record: ApiKeyRecord): Promise<void>;
  /** Applies the patch and returns the new record, or `null` when there is no such id. */
  update?(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null>;
  /** Resolves `true` when a record was deleted. */
  delete?(id: string): Promise<boolean>;
  /** One page of the owner's keys, oldest first (createdAt, then id). */
  listByOwner?(ownerId: string, page?: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Batched last-used writes; ids that no longer exist are ignored. */
  touch?(batch: TouchEntry[]): Promise<void>;
  /**
   * Spends `cost` credits of a metered key in one atomic step (a negative `cost` adds them:
   * a top-up), after applying the refills that fell due by `now` (see
   * {@link KeyCredits.refill}). Refused, spending nothing, when fewer than `cost` are left.
   * It must not announce a change to `subscribe` listeners: spending is not a change of the
   * key, and announcing it would evict every instance's cache on every request. Needed only
   * for keys with `credits`; such a key's requests answer `unavailable` without it.
   */
  spendCredits?(id: string, cost: number, now: Date): Promise<CreditSpend>;
  /**
   * Cross-instance invalidation: calls `onChange` when any instance updates or deletes a
   * key, or with a `reset` when any key may have changed. Returns the unsubscribe function.
   *
   * A store whose feed can be lost (it listens over a connection) also reports the feed's
   * health to `onStatus`: `up` while changes are heard, `down` while they may be missed
   * (changes made then are not replayed). It reports once before the returned promise
   * settles (or before `subscribe` returns, when it is synchronous), saying whether the
   * feed is in place at that point, and then on every change: `down` as soon as
   * announcements may be missed, `up` once they are heard again. While the feed is down or
   * not yet reported, the verifier reads cached keys from the store on every use, and once
   * it is up it reads each key it cached before once more. A store that never calls
   * `onStatus` is taken to have a feed that cannot be lost (one process, like the memory
   * store): its announcements are trusted once `subscribe` has settled, and a change it
   * fails to announce reaches the cache only after `cache.ttl`.
   */
  subscribe?(
    onChange: (change: KeyStoreChange) => void,
    onStatus?: (status: "up" | "down") => void,
  ): Promise<() => void> | (() => void);
  /** Releases connections and listeners; called once by `auth.close()` after pending last-used writes. */
  close?(): Promise<void>;
}

/** Turns a secret into a storable hash and checks a secret against one. */
export interface SecretHasher {
  /** A short name stored nowhere; used in errors and events. */
  readonly id: string;
  /** Hashes a secret into a self-describing string to store as {@link ApiKeyRecord.hash}. */
  hash(secret: string): Promise<string>;
  /** Whether `secret` matches `hash`. Should compare in constant time. */
  verify(hash: string, secret: string): Promise<boolean>;
  /** Whether a hash was made with other parameters than this hasher's current ones. */
  needsRehash?(hash: string): boolean;
}

/** Who made a key change: the caller the key manager was handed as `actor`. */
export interface KeyChangeActor {
  /** The actor's principal id. */
  readonly id: string;
  /** How the actor authenticated. */
  readonly via: CredentialSource;
  /** The API key behind the actor (the key itself or the key its token was minted from). */
  readonly keyId?: string;
}

/** One changed field of a key: its value before (absent on creation) and after. */
export interface KeyFieldChange {
  /** The value before the change; absent when the key was created. */
  readonly from?: unknown;
  /** The value after the change. */
  readonly to: unknown;
}

/** What a {@link AuthEvent} of type `key_changed` says was done to the key. */
export type KeyChangeAction =
  "created" | "updated" | "rotated" | "disabled" | "enabled" | "deleted";

/** What `onEvent` receives. */
export type AuthEvent =
  | {
      /** A credential was verified. */
      type: "authenticated";
      /** How the credential arrived. */
      source: CredentialSource;
      /** The principal's `id`. */
      principalId: string;
      /** The API key's id, when the credential was a key. */
      keyId?: string;
    }
  | {
      /** A credential was missing or rejected. */
      type: "failed";
      /** How the credential arrived; `none` when there was none. */
      source: CredentialSource | "none";
      /** The error code the caller is answered with. */
      code: AuthError["code"];
      /** A finer machine-readable cause, e.g. `unknown_key`, `wrong_secret`, `malformed`. */
      reason: string;
      /** The API key's id, when one could be read. Never the secret. */
      keyId?: string;
    }
  | {
      /** A backing service (store, hasher, rate limiter) failed; the caller got 503. */
      type: "unavailable";
      /** How the credential arrived. */
      source: CredentialSource;
      /** What failed, e.g. `store_error`, `verify_queue_full`, `rate_limiter_error`. */
      reason: string;
      /** The API key's id, when one could be read. */
      keyId?: string;
    }
  | {
      /**
       * The key manager changed a key (through `auth.keys`, the key routes or the CLI alike),
       * after the store accepted the change. Never carries the key or its hash.
       */
      type: "key_changed";
      /**
       * `disabled` / `enabled` when the change turned the key off / on, `rotated` for the
       * key a rotation retired (its replacement gets a `created` event of its own).
       */
      action: KeyChangeAction;
      /** The changed key's id. */
      keyId: string;
      /** The key's owner. */
      ownerId: string;
      /** Who asked, or `null` when the manager was called without an actor (an admin task). */
      actor: KeyChangeActor | null;
      /**
       * The fields that changed, by name. Dates are ISO strings; `metadata` is shown by its
       * field names only (it is yours, and may hold what does not belong in a log). `{}` on
       * deletion.
       */
      changes: Readonly<Record<string, KeyFieldChange>>;
      /** On `rotated`: the id of the key that replaced this one. */
      replacedBy?: string;
      /** On `created` by a rotation: the id of the key this one replaces. */
      replaces?: string;
    }
  | {
      /** The token endpoint issued an access token. Never carries the token or the key. */
      type: "token_issued";
      /** The grant it answered. */
      grant: "refresh_token" | "client_credentials" | "password";
      /** The token's subject. */
      sub: string;
      /** The token's `client_id`. */
      clientId: string;
      /** The API key the token was minted from (refresh_token and client_credentials). */
      keyId?: string;
    };
