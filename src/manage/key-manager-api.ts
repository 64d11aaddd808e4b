/**
 * The shapes of the key manager (`auth.keys`): what goes in, what comes out. The behaviour
 * lives in key-manager.ts.
 */
import type {
  KeyCreditRefill,
  KeyEnvironment,
  KeyRateLimit,
  Milliseconds,
  OwnerType,
  Page,
  PageRequest,
  Principal,
} from "../types.js";
import type { ManagedKey } from "./key-input.js";

/** What {@link KeyManager.create} takes. Unknown fields are refused with a `TypeError`. */
export interface CreateKeyInput {
  /** Who the key belongs to; required. Becomes the principal's `id`. */
  ownerId: string;
  /** Default `"user"`. A `"service"` owner makes principals of `type: "service"`. */
  ownerType?: OwnerType;
  /** A human-readable label; required, non-empty, at most 200 characters. */
  name: string;
  /** Default `[]`. With an actor, at most the actor's own scopes. */
  scopes?: string[];
  /** Default `[]`. With an actor, at most the actor's own roles. */
  roles?: string[];
  /** Default `null` (never expires). Must lie in the future. */
  expiresAt?: Date | null;
  /**
   * Default `null`. A plain object of your own (structured-cloneable), stored as is and
   * handed, deep-frozen, to handlers as `principal.key.metadata`.
   */
  metadata?: Record<string, unknown> | null;
  /** Default `null` (unlimited). */
  rateLimit?: KeyRateLimit | null;
  /**
   * The environment the key is for (`test` or `live`, written into the key), or `null` for
   * none. Default `apiKeys.environment`. It cannot be changed later: it is part of the key.
   */
  environment?: KeyEnvironment | null;
  /**
   * Default `null` (not metered). Usage credits: each request with the key, or with a
   * token minted from it, spends one; at zero the key answers `usage_exceeded` (429) until
   * a refill (`refill.amount` every `refill.interval` ms, counted from now) or a top-up.
   * Needs a store with `spendCredits` (every store gatehouse ships has it).
   */
  credits?: CreditsInput | null;
}

/** Usage credits as a caller sets them; the refill schedule starts when they are set. */
export interface CreditsInput {
  /** Requests left; an integer ≥ 0. */
  remaining: number;
  /** Raise `remaining` to `amount` every `interval` ms; `null` or absent: never. */
  refill?: KeyCreditRefill | null;
}

/** What an owner may change on their own key (the key routes' `PATCH`). */
export interface KeyUpdate {
  /** A new label; non-empty, at most 200 characters. */
  name?: string;
  /**
   * `false` stops the key at once (`key_disabled`), and the tokens minted from it for good;
   * `true` turns it back on, except a key an administrator disabled (only the admin path
   * may), a key a rotation replaced (never), or when the actor has a key behind it (never).
   */
  enabled?: boolean;
  /** Replaces the scopes. With an actor, at most the actor's own scopes. */
  scopes?: string[];
  /** A future date, or `null` for no expiry. To stop a key now, disable it. */
  expiresAt?: Date | null;
}

/** What an administrator may change on any key. */
export interface AdminKeyUpdate extends KeyUpdate {
  /** Replaces the roles. With an actor, at most the actor's own roles. */
  roles?: string[];
  /** Replaces the metadata (a plain object), or `null` to clear it. */
  metadata?: Record<string, unknown> | null;
  /** A new per-key budget, or `null` to make the key unlimited. */
  rateLimit?: KeyRateLimit | null;
  /**
   * New usage credits (replacing the count and the refill, whose schedule starts now), or
   * `null` to stop metering the key. To add to the count instead, use `topUp`.
   */
  credits?: CreditsInput | null;
}

/** Options of `rotate`: how long the old key overlaps with the new one. */
export interface RotateOptions {
  /**
   * How long the old key keeps working, in ms. Default 0: the old key is disabled at once.
   * Either way the old key is marked `disabledBy: "rotation"`: it can never be enabled
   * again nor its end moved, and rotating it again is refused.
   * Above 0 its `expiresAt` moves to now + overlap (never later than it already was), and
   * it answers `key_expired` after that; it stays listed, marked `status: "expired"`.
   */
  overlap?: Milliseconds;
}

/** A newly issued key: the one time the plaintext is available. */
export interface CreatedKey {
  /** The plaintext key: shown once, never stored. */
  key: string;
  /** The stored record as the manager shows it (no hash). */
  record: ManagedKey;
}

/**
 * `auth.keys.admin`: acts on any owner's key by id alone. Security: expose it only to
 * administrators. Store failures reject with an `unavailable` `AuthError`.
 */
export interface AdminKeyManager {
  /** The key with this id, or `null`. */
  get(id: string): Promise<ManagedKey | null>;
  /** One page of the owner's keys, oldest first. */
  list(ownerId: string, page?: PageRequest): Promise<Page<ManagedKey>>;
  /**
   * Applies the patch and returns the new key, or `null` when there is no such id. The key
   * leaves this process's verify cache at once.
   */
  update(id: string, patch: AdminKeyUpdate, actor?: Principal): Promise<ManagedKey | null>;
  /** Deletes the key; resolves `true` when one was deleted. It stops working at once, and so do the tokens minted from it. */
  delete(id: string, actor?: Principal): Promise<boolean>;
  /**
   * Issues a new key with the old one's owner, name, grants, expiry, metadata, rate limit
   * and usage credits, and retires the old one per {@link RotateOptions.overlap}; `null`
   * when there is no such id. The credits move to the new key (the old one keeps none), and
   * while the overlap lasts the old key spends the new key's.
   */
  rotate(id: string, options?: RotateOptions, actor?: Principal): Promise<CreatedKey | null>;
  /**
   * Adds `amount` usage credits to a metered key in one atomic step (spends under way are
   * not lost), after any refill that fell due; resolves the key, or `null` when there is no
   * such id. A key that is not metered is a `KeyConflictError`: set `credits` with
   * `update` first.
   */
  topUp(id: string, amount: number, actor?: Principal): Promise<ManagedKey | null>;
}

/** `auth.keys`. Methods taking an `actor` refuse to grant more than the actor holds. */
export interface KeyManager {
  /**
   * The scope an API-key-authenticated caller needs to change keys (`apiKeys.writeScope`,
   * default `"keys:write"`): `create`, `update` and `rotate` check it on an `actor`
   * authenticated by an API key, and the key routes read it from here for every write
   * (delete included), so the manager and the routes can never disagree.
   */
  readonly writeScope: string;
  /**
   * Issues a key: generates the secret, stores only its hash, and returns the plaintext
   * once. Needs a store with `create`. Every method that changes a key reports it to
   * `onEvent` as a `key_changed` event once the store has taken the change.
   */
  create(input: CreateKeyInput, actor?: Principal): Promise<CreatedKey>;
  /** One page of the owner's keys, oldest first. Needs a store with `listByOwner`. */
  list(ownerId: string, page?: PageRequest): Promise<Page<ManagedKey>>;
  /** The owner's key with this id; `null` when missing or another owner's (indistinguishable). */
  get(ownerId: string, id: string): Promise<ManagedKey | null>;
  /**
   * Applies an owner's patch ({@link KeyUpdate} fields only); `null` when missing or another
   * owner's. The key leaves this process's verify cache at once.
   */
  update(
    ownerId: string,
    id: string,
    patch: KeyUpdate,
    actor?: Principal,
  ): Promise<ManagedKey | null>;
  /**
   * Deletes the owner's key; `false` when missing or another owner's. It stops working at
   * once, and so do the tokens minted from it.
   */
  delete(ownerId: string, id: string, actor?: Principal): Promise<boolean>;
  /**
   * Replaces the owner's key with a new one of the same settings and retires the old one
   * per {@link RotateOptions.overlap}; `null` when missing or another owner's.
   */
  rotate(
    ownerId: string,
    id: string,
    options?: RotateOptions,
    actor?: Principal,
  ): Promise<CreatedKey | null>;
  /** Acts on any owner's key by id alone: for administrators and the CLI. */
  readonly admin: AdminKeyManager;
}
