/**
 * SEAM (owned by the API-key work, issue 3): the API-key half of the core. `createAuth`
 * builds one of these from `options.apiKeys` and calls `matches` / `verify` on the request
 * path; `manager` becomes `auth.keys`. The body below is a placeholder to be replaced.
 */
import type {
  AuthEvent,
  AuthResult,
  KeyStore,
  Milliseconds,
  Page,
  PageRequest,
  Principal,
  PublicApiKeyRecord,
  SecretHasher,
  OwnerType,
  KeyRateLimit,
} from "../types.js";

export interface ApiKeyOptions {
  /** Where keys live. */
  store: KeyStore;
  /** The header(s) that carry a key. Default `x-api-key`. */
  header?: string | string[];
  /** The prefix of issued keys. Default `gh`. */
  prefix?: string;
  /** Route `Authorization: Bearer <key-shaped token>` to the key verifier. Default false. */
  acceptBearer?: boolean;
  /** Accept a legacy key format: return the lookup id and the secret, or null. */
  parseKey?: (raw: string) => { id: string; secret: string } | null;
  hasher?: SecretHasher;
  cache?: { ttl?: Milliseconds; max?: number };
  /** Store calls slower than this answer `unavailable`. Default 2000 ms. */
  storeTimeout?: Milliseconds;
  /** Last-used writes: at most one per key per interval. Default 60 000 ms. */
  touchInterval?: Milliseconds;
}

export interface CreateKeyInput {
  ownerId: string;
  ownerType?: OwnerType;
  name: string;
  scopes?: string[];
  roles?: string[];
  expiresAt?: Date | null;
  metadata?: Record<string, unknown> | null;
  rateLimit?: KeyRateLimit | null;
}

export interface KeyUpdate {
  name?: string;
  enabled?: boolean;
  scopes?: string[];
  expiresAt?: Date | null;
}

export interface CreatedKey {
  /** The plaintext key: shown once, never stored. */
  key: string;
  record: PublicApiKeyRecord;
}

/** `auth.keys`. Methods taking an `actor` refuse to grant more scopes than the actor holds. */
export interface KeyManager {
  create(input: CreateKeyInput, actor?: Principal): Promise<CreatedKey>;
  list(ownerId: string, page?: PageRequest): Promise<Page<PublicApiKeyRecord>>;
  get(ownerId: string, id: string): Promise<PublicApiKeyRecord | null>;
  update(
    ownerId: string,
    id: string,
    patch: KeyUpdate,
    actor?: Principal,
  ): Promise<PublicApiKeyRecord | null>;
  delete(ownerId: string, id: string): Promise<boolean>;
  rotate(
    ownerId: string,
    id: string,
    options?: { overlap?: Milliseconds },
  ): Promise<CreatedKey | null>;
}

export interface ApiKeys {
  /** The header names that carry a key, lower-case. */
  readonly headers: readonly string[];
  /** Cheap, no I/O: whether `raw` has this deployment's key format (used for Bearer routing). */
  matches(raw: string): boolean;
  /** Never throws: resolves to a principal or an AuthError result. */
  verify(raw: string): Promise<AuthResult>;
  readonly manager: KeyManager;
  /** Flushes pending last-used writes and releases the store. */
  close(): Promise<void>;
}

export function createApiKeys(
  _options: ApiKeyOptions,
  _context: { onEvent: (event: AuthEvent) => void },
): ApiKeys {
  throw new TypeError("gatehouse: API keys are not built yet (placeholder)");
}
