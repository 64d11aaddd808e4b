/**
 * `auth.keys`: issue, list, change, rotate and delete API keys. Owner-scoped methods take
 * the owner first and treat another owner's key exactly like a missing one (`null` /
 * `false`), so callers cannot learn that a key id exists. `admin` acts on any key by id.
 *
 * Every change drops the key from the verifier's cache before it resolves, so a disabled,
 * rotated or deleted key stops working in this process at once.
 */
import { AuthError } from "../errors.js";
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  KeyStore,
  Milliseconds,
  OwnerType,
  KeyRateLimit,
  Page,
  PageRequest,
  Principal,
  SecretHasher,
} from "../types.js";
import { generateApiKey } from "./key-format.js";
import {
  checkEnabled,
  checkExpiry,
  checkId,
  checkKnownFields,
  checkMetadata,
  checkName,
  checkOwnerType,
  checkRateLimit,
  checkTokens,
  toManagedKey,
} from "./key-input.js";
import type { ManagedKey } from "./key-input.js";
import { withTimeout } from "./with-timeout.js";

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

export interface KeyManagerContext {
  store: KeyStore;
  hasher: SecretHasher;
  prefix: string;
  storeTimeout: Milliseconds;
  now: () => number;
  /** Drops a key from the verifier's caches. */
  invalidate: (id: string) => void;
}

const CREATE_FIELDS = [
  "ownerId",
  "ownerType",
  "name",
  "scopes",
  "roles",
  "expiresAt",
  "metadata",
  "rateLimit",
];
const UPDATE_FIELDS = ["name", "enabled", "scopes", "expiresAt"];
const ADMIN_UPDATE_FIELDS = [...UPDATE_FIELDS, "roles", "metadata", "rateLimit"];

/** The scope an API key needs to issue keys itself. */
export const KEYS_WRITE_SCOPE = "keys:write";

function forbidden(detail: string): AuthError {
  return new AuthError("forbidden", { detail });
}

/** Refuses a grant that exceeds what the actor holds. */
function checkGrant(actor: Principal | undefined, scopes: string[], roles: string[]): void {
  if (!actor) return;
  const extraScopes = scopes.filter((s) => !actor.scopes.includes(s));
  if (extraScopes.length > 0) {
    throw forbidden(`Cannot grant scopes the caller does not hold: ${extraScopes.join(" ")}`);
  }
  const extraRoles = roles.filter((r) => !actor.roles.includes(r));
  if (extraRoles.length > 0) {
    throw forbidden(`Cannot grant roles the caller does not hold: ${extraRoles.join(" ")}`);
  }
}

function checkIssuer(actor: Principal | undefined): void {
  if (actor?.via === "apiKey" && !actor.scopes.includes(KEYS_WRITE_SCOPE)) {
    throw forbidden(`An API key needs the ${KEYS_WRITE_SCOPE} scope to issue keys.`);
  }
}

type StoreMethod = "create" | "update" | "delete" | "listByOwner";

export function createKeyManager(context: KeyManagerContext): KeyManager {
  const { store, hasher, prefix, storeTimeout, now, invalidate } = context;

  function method<M extends StoreMethod>(name: M): NonNullable<KeyStore[M]> {
    const fn = store[name];
    if (typeof fn !== "function") {
      throw new TypeError(
        `gatehouse: the key store has no ${name}() method; the key manager needs it ` +
          `(a store with only get() can verify keys but not manage them)`,
      );
    }
    return fn.bind(store) as NonNullable<KeyStore[M]>;
  }

  /** Store failures become `unavailable`, as on the verify path; the cause rides along. */
  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(work(), storeTimeout);
    } catch (error) {
      throw new AuthError("unavailable", { detail: "The key store is unavailable.", cause: error });
    }
  }

  async function load(id: string, ownerId?: string): Promise<ApiKeyRecord | null> {
    checkId(id, "id");
    const record = await call(() => store.get(id));
    if (!record || (ownerId !== undefined && record.ownerId !== ownerId)) return null;
    return record;
  }

  async function issue(input: CreateKeyInput, actor?: Principal): Promise<CreatedKey> {
    if (typeof input !== "object" || input === null)
      throw new TypeError("gatehouse: input must be an object");
    checkKnownFields(input, CREATE_FIELDS, "input");
    const create = method("create");
    const at = now();
    const scopes = checkTokens(input.scopes ?? [], "scopes");
    const roles = checkTokens(input.roles ?? [], "roles");
    const base = {
      ownerId: checkId(input.ownerId, "ownerId"),
      ownerType: checkOwnerType(input.ownerType ?? "user"),
      name: checkName(input.name),
      expiresAt: checkExpiry(input.expiresAt ?? null, at),
      metadata: checkMetadata(input.metadata ?? null),
      rateLimit: checkRateLimit(input.rateLimit ?? null),
    };
    checkIssuer(actor);
    checkGrant(actor, scopes, roles);
    const generated = generateApiKey({ prefix });
    const record: ApiKeyRecord = {
      id: generated.id,
      ...base,
      prefix,
      hash: await hasher.hash(generated.secret),
      scopes,
      roles,
      enabled: true,
      createdAt: new Date(at),
      lastUsedAt: null,
    };
    await call(() => create(record));
    return { key: generated.key, record: toManagedKey(record, at) };
  }

  async function change(
    record: ApiKeyRecord,
    patch: AdminKeyUpdate,
    allowed: readonly string[],
    actor?: Principal,
  ): Promise<ManagedKey | null> {
    if (typeof patch !== "object" || patch === null)
      throw new TypeError("gatehouse: patch must be an object");
    checkKnownFields(patch, allowed, "patch");
    const update = method("update");
    const at = now();
    const next: ApiKeyPatch = {};
    if (patch.name !== undefined) next.name = checkName(patch.name);
    if (patch.enabled !== undefined) next.enabled = checkEnabled(patch.enabled);
    if (patch.scopes !== undefined) next.scopes = checkTokens(patch.scopes, "scopes");
    if (patch.roles !== undefined) next.roles = checkTokens(patch.roles, "roles");
    if (patch.expiresAt !== undefined) next.expiresAt = checkExpiry(patch.expiresAt, at);
    if (patch.metadata !== undefined) next.metadata = checkMetadata(patch.metadata);
    if (patch.rateLimit !== undefined) next.rateLimit = checkRateLimit(patch.rateLimit);
    checkGrant(actor, next.scopes ?? [], next.roles ?? []);
    // Dropped before and after the write: no request may be served from the old entry
    // once the caller has been told the change is done.
    invalidate(record.id);
    const updated = await call(() => update(record.id, next));
    invalidate(record.id);
    return updated ? toManagedKey(updated, at) : null;
  }

  async function remove(record: ApiKeyRecord): Promise<boolean> {
    const del = method("delete");
    invalidate(record.id);
    const deleted = await call(() => del(record.id));
    invalidate(record.id);
    return deleted;
  }

  async function rotate(
    record: ApiKeyRecord,
    options: RotateOptions,
    actor?: Principal,
  ): Promise<CreatedKey> {
    const overlap = options.overlap ?? 0;
    if (!Number.isFinite(overlap) || overlap < 0) {
      throw new TypeError("gatehouse: overlap must be a non-negative number of milliseconds");
    }
    const update = method("update");
    const at = now();
    const keptExpiry =
      record.expiresAt && record.expiresAt.getTime() > at ? record.expiresAt : null;
    const created = await issue(
      {
        ownerId: record.ownerId,
        ownerType: record.ownerType,
        name: record.name,
        scopes: record.scopes,
        roles: record.roles,
        expiresAt: keptExpiry,
        metadata: record.metadata ?? null,
        rateLimit: record.rateLimit ?? null,
      },
      actor,
    );
    const end = at + overlap;
    const retire: ApiKeyPatch =
      overlap === 0
        ? { enabled: false }
        : { expiresAt: new Date(keptExpiry ? Math.min(keptExpiry.getTime(), end) : end) };
    invalidate(record.id);
    await call(() => update(record.id, retire));
    invalidate(record.id);
    return created;
  }

  async function listOwned(ownerId: string, page?: PageRequest): Promise<Page<ManagedKey>> {
    checkId(ownerId, "ownerId");
    const list = method("listByOwner");
    const result = await call(() => list(ownerId, page));
    const at = now();
    return { items: result.items.map((r) => toManagedKey(r, at)), next: result.next };
  }

  const admin: AdminKeyManager = {
    async get(id) {
      const record = await load(id);
      return record ? toManagedKey(record, now()) : null;
    },
    list: listOwned,
    async update(id, patch, actor) {
      const record = await load(id);
      return record ? change(record, patch, ADMIN_UPDATE_FIELDS, actor) : null;
    },
    async delete(id) {
      const record = await load(id);
      return record ? remove(record) : false;
    },
    async rotate(id, options = {}, actor) {
      const record = await load(id);
      return record ? rotate(record, options, actor) : null;
    },
  };

  return {
    create: issue,
    list: listOwned,
    async get(ownerId, id) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? toManagedKey(record, now()) : null;
    },
    async update(ownerId, id, patch, actor) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? change(record, patch, UPDATE_FIELDS, actor) : null;
    },
    async delete(ownerId, id) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? remove(record) : false;
    },
    async rotate(ownerId, id, options = {}, actor) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? rotate(record, options, actor) : null;
    },
    admin,
  };
}
