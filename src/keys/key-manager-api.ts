/**
 * The shapes of the key manager (`auth.keys`): what goes in, what comes out. The behaviour
 * lives in key-manager.ts.
 */
import type {
  KeyRateLimit,
  Milliseconds,
  OwnerType,
  Page,
  PageRequest,
  Principal,
} from "../types.js";
import type { ManagedKey } from "./key-input.js";

export interface CreateKeyInput {
  ownerId: string;
  /** Default `"user"`. A `"service"` owner makes principals of `type: "service"`. */
  ownerType?: OwnerType;
  name: string;
  /** Default `[]`. With an actor, at most the actor's own scopes. */
  scopes?: string[];
  /** Default `[]`. With an actor, at most the actor's own roles. */
  roles?: string[];
  /** Default `null` (never expires). Must lie in the future. */
  expiresAt?: Date | null;
  metadata?: Record<string, unknown> | null;
  /** Default `null` (unlimited). */
  rateLimit?: KeyRateLimit | null;
}

/** What an owner may change on their own key (the key routes' `PATCH`). */
export interface KeyUpdate {
  name?: string;
  enabled?: boolean;
  scopes?: string[];
  /** A future date, or `null` for no expiry. To stop a key now, disable it. */
  expiresAt?: Date | null;
}

/** What an administrator may change on any key. */
export interface AdminKeyUpdate extends KeyUpdate {
  roles?: string[];
  metadata?: Record<string, unknown> | null;
  rateLimit?: KeyRateLimit | null;
}

export interface RotateOptions {
  /**
   * How long the old key keeps working, in ms. Default 0: the old key is disabled at once.
   * Above 0 its `expiresAt` moves to now + overlap (never later than it already was), and
   * it answers `key_expired` after that; it stays listed, marked `status: "expired"`.
   */
  overlap?: Milliseconds;
}

export interface CreatedKey {
  /** The plaintext key: shown once, never stored. */
  key: string;
  record: ManagedKey;
}

export interface AdminKeyManager {
  get(id: string): Promise<ManagedKey | null>;
  list(ownerId: string, page?: PageRequest): Promise<Page<ManagedKey>>;
  update(id: string, patch: AdminKeyUpdate, actor?: Principal): Promise<ManagedKey | null>;
  delete(id: string): Promise<boolean>;
  rotate(id: string, options?: RotateOptions, actor?: Principal): Promise<CreatedKey | null>;
}

/** `auth.keys`. Methods taking an `actor` refuse to grant more than the actor holds. */
export interface KeyManager {
  create(input: CreateKeyInput, actor?: Principal): Promise<CreatedKey>;
  list(ownerId: string, page?: PageRequest): Promise<Page<ManagedKey>>;
  get(ownerId: string, id: string): Promise<ManagedKey | null>;
  update(
    ownerId: string,
    id: string,
    patch: KeyUpdate,
    actor?: Principal,
  ): Promise<ManagedKey | null>;
  delete(ownerId: string, id: string): Promise<boolean>;
  rotate(
    ownerId: string,
    id: string,
    options?: RotateOptions,
    actor?: Principal,
  ): Promise<CreatedKey | null>;
  /** Acts on any owner's key by id alone: for administrators and the CLI. */
  readonly admin: AdminKeyManager;
}
