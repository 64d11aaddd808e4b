/**
 * The shared vocabulary of gatehouse: who called (Principal), how a request looks to the
 * core (RequestView), where keys live (KeyStore) and what the core answers (AuthResult).
 * Everything here is a type; behaviour lives in the modules named after what they do.
 */
import type { AuthError } from "./errors.js";

/** Durations in the public API say their unit in the type. */
export type Seconds = number;
export type Milliseconds = number;

/** How the credential that decided arrived. */
export type CredentialSource = "jwt" | "apiKey" | "cookie";

/** Who is calling: the product of a verified credential. */
export interface Principal {
  /** The subject: the JWT `sub`, or the owner of the API key. */
  id: string;
  type: "user" | "apiKey" | "service";
  via: CredentialSource;
  scopes: string[];
  roles: string[];
  /** The verified JWT claims, when the credential was a token. */
  claims?: Record<string, unknown>;
  /** The key that authenticated, when the credential was an API key. */
  key?: { id: string; name: string; ownerId: string };
}

export type AuthResult<TUser extends Principal = Principal> =
  { ok: true; principal: TUser } | { ok: false; error: AuthError };

/**
 * The framework-neutral view of a request that the core reads. A web `Request` fits it.
 * `headers.get` returns every value of a header joined with `", "` (as the Fetch `Headers`
 * class does), or `null` when the header is absent; adapters must not drop duplicates.
 */
export interface RequestView {
  method: string;
  url: string;
  headers: { get(name: string): string | null };
}

export type OwnerType = "user" | "org" | "service";

/** A per-key request budget: at most `limit` requests in every `window`. */
export interface KeyRateLimit {
  limit: number;
  window: Milliseconds;
}

/** A stored API key. The plaintext secret is never part of it, only its hash. */
export interface ApiKeyRecord {
  /** The public lookup id embedded in the key. */
  id: string;
  ownerId: string;
  ownerType: OwnerType;
  name: string;
  /** The key prefix it was issued with (e.g. `gh`), for display and secret scanners. */
  prefix: string;
  /** The encoded hash of the secret, as a {@link SecretHasher} produced it. */
  hash: string;
  scopes: string[];
  roles: string[];
  enabled: boolean;
  createdAt: Date;
  expiresAt?: Date | null;
  lastUsedAt?: Date | null;
  metadata?: Record<string, unknown> | null;
  rateLimit?: KeyRateLimit | null;
}

/** The fields of a record that an update may change. */
export type ApiKeyPatch = Partial<Omit<ApiKeyRecord, "id" | "createdAt">>;

/** A record as shown to people and over HTTP: everything except the hash. */
export type PublicApiKeyRecord = Omit<ApiKeyRecord, "hash">;

export interface PageRequest {
  /** At most this many records; stores cap it (default 50, max 500). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  next: string | null;
}

export interface TouchEntry {
  id: string;
  lastUsedAt: Date;
}

export type KeyStoreChange = { type: "update" | "delete"; id: string };

/**
 * Where API keys live. Only `get` is needed to verify keys; the key manager and key routes
 * need the write methods. Every method rejects when the backing service is unreachable;
 * the verifier turns that into `unavailable`.
 *
 * Ordering: `listByOwner` returns records oldest first (createdAt, then id).
 */
export interface KeyStore {
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Rejects if a record with the same id exists. */
  create?(record: ApiKeyRecord): Promise<void>;
  /** Applies the patch and returns the new record, or `null` when there is no such id. */
  update?(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null>;
  /** Resolves `true` when a record was deleted. */
  delete?(id: string): Promise<boolean>;
  listByOwner?(ownerId: string, page?: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Batched last-used writes; ids that no longer exist are ignored. */
  touch?(batch: TouchEntry[]): Promise<void>;
  /**
   * Cross-instance invalidation: calls `onChange` when any instance updates or deletes a
   * key. Returns the unsubscribe function.
   */
  subscribe?(onChange: (change: KeyStoreChange) => void): Promise<() => void> | (() => void);
  close?(): Promise<void>;
}

/** Turns a secret into a storable hash and checks a secret against one. */
export interface SecretHasher {
  /** A short name stored nowhere; used in errors and events. */
  readonly id: string;
  hash(secret: string): Promise<string>;
  verify(hash: string, secret: string): Promise<boolean>;
  /** Whether a hash was made with other parameters than this hasher's current ones. */
  needsRehash?(hash: string): boolean;
}

/** What `onEvent` receives. */
export type AuthEvent =
  | { type: "authenticated"; source: CredentialSource; principalId: string; keyId?: string }
  | {
      type: "failed";
      source: CredentialSource | "none";
      code: AuthError["code"];
      reason: string;
      keyId?: string;
    }
  | { type: "unavailable"; source: CredentialSource; reason: string; keyId?: string };
