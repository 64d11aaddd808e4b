/**
 * `auth.keys`: issue, list, change, rotate and delete API keys. Owner-scoped methods take
 * the owner first and treat another owner's key exactly like a missing one (`null` /
 * `false`), so callers cannot learn that a key id exists. `admin` acts on any key by id.
 *
 * Every change drops the key from the verifier's cache before it resolves, so a disabled,
 * rotated or deleted key stops working in this process at once, and is reported as a
 * `key_changed` event once the store has taken it: every caller of the manager (the key
 * routes, the CLI, `auth.keys`) is audited by the same code.
 */
import { AuthError } from "../errors.js";
import type { Reporter } from "../decide/report.js";
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  KeyChangeAction,
  KeyChangeActor,
  KeyCredits,
  KeyEnvironment,
  KeyFieldChange,
  KeyStore,
  Milliseconds,
  Page,
  PageRequest,
  Principal,
  SecretHasher,
} from "../types.js";
import { checkGrant, checkIssuer, checkRevival, KeyConflictError } from "./grant-rules.js";
import { generateApiKey, hashedSecret } from "../verify/api-key/key-format.js";
import {
  checkEnabled,
  checkEnvironment,
  checkExpiry,
  checkCredits,
  checkId,
  checkKnownFields,
  checkMetadata,
  checkName,
  checkOwnerType,
  checkRateLimit,
  checkTokens,
  checkTopUp,
  toManagedKey,
} from "./key-input.js";
import type { ManagedKey } from "./key-input.js";
import type {
  AdminKeyManager,
  AdminKeyUpdate,
  CreateKeyInput,
  CreatedKey,
  KeyManager,
  RotateOptions,
} from "./key-manager-api.js";
import { MAX_CREDITS } from "../verify/api-key/credits.js";
import { withTimeout } from "../verify/api-key/with-timeout.js";

export interface KeyManagerContext {
  store: KeyStore;
  hasher: SecretHasher;
  prefix: string;
  /** The environment of keys created without one of their own (`apiKeys.environment`). */
  environment: KeyEnvironment | null;
  /** Where `key_changed` events go. */
  report: Reporter;
  /** The scope an API-key actor needs to issue keys. */
  writeScope: string;
  storeTimeout: Milliseconds;
  /** How many keys one owner may hold; creating one more is a {@link KeyConflictError}. */
  maxKeysPerOwner: number;
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
  "environment",
  "credits",
];
const UPDATE_FIELDS = ["name", "enabled", "scopes", "expiresAt"];
const ADMIN_UPDATE_FIELDS = [...UPDATE_FIELDS, "roles", "metadata", "rateLimit", "credits"];

type StoreMethod = "create" | "update" | "delete" | "listByOwner" | "spendCredits";

/** How often a rotation re-reads credits that spends keep moving before it gives up. */
const MAX_CREDIT_MOVES = 5;

/** The fields an audit event shows, in the order it shows them; never the hash. */
const AUDITED_FIELDS = [
  "ownerType",
  "name",
  "environment",
  "scopes",
  "roles",
  "enabled",
  "disabledBy",
  "disabledAt",
  "expiresAt",
  "rateLimit",
  "credits",
  "replacedBy",
  "metadata",
] as const satisfies ReadonlyArray<keyof ApiKeyRecord>;

/** A field's value as an event shows it: dates as ISO strings, metadata by its field names. */
function shown(field: (typeof AUDITED_FIELDS)[number], value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (field === "metadata") return Object.keys(value);
  if (field === "credits") {
    const { remaining, refill, refilledAt } = value as KeyCredits;
    return { remaining, refill: refill ?? null, refilledAt: refilledAt?.toISOString() ?? null };
  }
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (typeof value === "object") return { ...value };
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What changed between two versions of a record (`before` absent: it was created). */
function changesOf(
  before: ApiKeyRecord | undefined,
  after: ApiKeyRecord,
): Record<string, KeyFieldChange> {
  const changes: Record<string, KeyFieldChange> = {};
  for (const field of AUDITED_FIELDS) {
    const to = shown(field, after[field]);
    if (before === undefined) {
      if (to !== null) changes[field] = { to };
      continue;
    }
    const from = shown(field, before[field]);
    // Metadata is shown by its names, so a changed value under the same names is compared whole.
    const changed =
      field === "metadata"
        ? !same(before.metadata ?? null, after.metadata ?? null)
        : !same(from, to);
    if (changed) changes[field] = { from, to };
  }
  return changes;
}

function actorOf(actor: Principal | undefined): KeyChangeActor | null {
  if (!actor) return null;
  const keyId = actor.key?.id;
  return Object.freeze({
    id: actor.id,
    via: actor.via,
    ...(keyId === undefined ? {} : { keyId }),
  });
}

export function createKeyManager(context: KeyManagerContext): KeyManager {
  const { store, hasher, prefix, storeTimeout, now, invalidate, report } = context;

  function changed(
    action: KeyChangeAction,
    record: ApiKeyRecord,
    actor: Principal | undefined,
    changes: Record<string, KeyFieldChange>,
    extra: { replacedBy?: string; replaces?: string } = {},
  ): void {
    if (!report.listening) return;
    report.emit({
      type: "key_changed",
      action,
      keyId: record.id,
      ownerId: record.ownerId,
      actor: actorOf(actor),
      changes,
      ...extra,
    });
  }

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

  // Creations for one owner run one after the other, so the cap cannot be raced past.
  const creating = new Map<string, Promise<unknown>>();
  function oneAtATime<T>(ownerId: string, work: () => Promise<T>): Promise<T> {
    const before = creating.get(ownerId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    creating.set(ownerId, settled);
    void settled.then(() => {
      if (creating.get(ownerId) === settled) creating.delete(ownerId);
    });
    return run;
  }

  async function checkRoom(ownerId: string): Promise<void> {
    const max = context.maxKeysPerOwner;
    const list = store.listByOwner?.bind(store);
    if (!list) return;
    let held = 0;
    let cursor: string | null = null;
    do {
      const page: Page<ApiKeyRecord> = await call(() =>
        list(ownerId, { limit: Math.min(500, max + 1), cursor }),
      );
      held += page.items.length;
      cursor = page.next;
    } while (cursor !== null && held < max);
    if (held >= max) {
      throw new KeyConflictError(
        `This owner holds ${max} keys, the most allowed; delete keys that are no longer used.`,
      );
    }
  }

  /** Metering needs an atomic spend: a store without one must not take metered keys. */
  function meteringStore(credits: KeyCredits | null): void {
    if (credits !== null) method("spendCredits");
  }

  /**
   * `inherited`: the credits a rotation moved off the key it replaces, taken as they are
   * (count and schedule) instead of `input.credits`.
   */
  async function issue(
    input: CreateKeyInput,
    actor?: Principal,
    replaces?: string,
    inherited?: KeyCredits | null,
  ): Promise<CreatedKey> {
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
      environment:
        input.environment === undefined ? context.environment : checkEnvironment(input.environment),
      credits: inherited === undefined ? checkCredits(input.credits ?? null, at) : inherited,
    };
    meteringStore(base.credits);
    checkIssuer(actor, context.writeScope);
    checkGrant(actor, scopes, roles);
    return oneAtATime(base.ownerId, async () => {
      await checkRoom(base.ownerId);
      const generated = generateApiKey({ prefix, environment: base.environment });
      const record: ApiKeyRecord = {
        id: generated.id,
        ...base,
        prefix,
        hash: await hasher.hash(hashedSecret(generated)),
        scopes,
        roles,
        enabled: true,
        disabledBy: null,
        disabledAt: null,
        createdAt: new Date(at),
        lastUsedAt: null,
      };
      await call(() => create(record));
      changed(
        "created",
        record,
        actor,
        changesOf(undefined, record),
        replaces === undefined ? {} : { replaces },
      );
      return { key: generated.key, record: toManagedKey(record, at) };
    });
  }

  async function change(
    record: ApiKeyRecord,
    patch: AdminKeyUpdate,
    allowed: readonly string[],
    actor: Principal | undefined,
    asAdmin: boolean,
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
    if (patch.credits !== undefined) {
      next.credits = checkCredits(patch.credits, at);
      meteringStore(next.credits);
    }
    checkIssuer(actor, context.writeScope);
    checkGrant(actor, next.scopes ?? [], next.roles ?? []);
    checkRevival(record, next, actor, asAdmin);
    // A rotation's mark is final: no later disable may relabel it into one that can be undone.
    if (next.enabled === false && record.disabledBy !== "rotation" && (record.enabled || asAdmin)) {
      next.disabledBy = asAdmin ? "admin" : (record.disabledBy ?? "owner");
      if (record.enabled) next.disabledAt = new Date(at);
    } else if (next.enabled === true && !record.enabled) {
      next.disabledBy = null;
    }
    // Dropped before and after the write: no request may be served from the old entry
    // once the caller has been told the change is done.
    invalidate(record.id);
    const updated = await call(() => update(record.id, next));
    invalidate(record.id);
    if (!updated) return null;
    const changes = changesOf(record, updated);
    if (Object.keys(changes).length > 0) {
      const action: KeyChangeAction =
        record.enabled && !updated.enabled
          ? "disabled"
          : !record.enabled && updated.enabled
            ? "enabled"
            : "updated";
      changed(action, updated, actor, changes);
    }
    return toManagedKey(updated, at);
  }

  async function remove(record: ApiKeyRecord, actor?: Principal): Promise<boolean> {
    checkIssuer(actor, context.writeScope);
    const del = method("delete");
    invalidate(record.id);
    const deleted = await call(() => del(record.id));
    invalidate(record.id);
    if (deleted) changed("deleted", record, actor, {});
    return deleted;
  }

  async function rotate(
    record: ApiKeyRecord,
    options: RotateOptions,
    actor: Principal | undefined,
    asAdmin: boolean,
  ): Promise<CreatedKey> {
    const overlap = options.overlap ?? 0;
    if (!Number.isFinite(overlap) || overlap < 0) {
      throw new TypeError("gatehouse: overlap must be a non-negative number of milliseconds");
    }
    const update = method("update");
    if (record.disabledBy === "rotation") {
      throw new KeyConflictError("This key was already replaced by a rotation.");
    }
    // A rotation hands out a working copy: it must not undo an administrator's disable.
    if (record.disabledBy === "admin" && !record.enabled && !asAdmin) {
      throw new AuthError("forbidden", {
        detail: "An administrator disabled this key; only an administrator can rotate it.",
      });
    }
    const at = now();
    const keptExpiry =
      record.expiresAt && record.expiresAt.getTime() > at ? record.expiresAt : null;
    // The credits move: taken off the old key first, so that no credit is spent twice.
    const moved = record.credits ? await takeCredits(record.id, at) : null;
    let created: CreatedKey;
    try {
      created = await issue(
        {
          ownerId: record.ownerId,
          ownerType: record.ownerType,
          name: record.name,
          scopes: record.scopes,
          roles: record.roles,
          expiresAt: keptExpiry,
          metadata: record.metadata ?? null,
          rateLimit: record.rateLimit ?? null,
          // A store that keeps no environment gives none back: the deployment's is the best guess.
          environment: record.environment === undefined ? context.environment : record.environment,
        },
        actor,
        record.id,
        moved,
      );
    } catch (error) {
      // Best effort: the old key stays as it was, credits included.
      if (moved) await giveBack(record.id, moved.remaining, at);
      throw error;
    }
    const end = at + overlap;
    const replacedBy = created.record.id;
    // Superseded for good either way: see checkRevival. A metered old key keeps an empty
    // count with no refill, and spends its replacement's while its overlap lasts.
    const spent = record.credits
      ? { credits: { remaining: 0, refill: null, refilledAt: null } }
      : {};
    const retire: ApiKeyPatch =
      overlap === 0
        ? { enabled: false, disabledBy: "rotation", disabledAt: new Date(at), replacedBy, ...spent }
        : {
            disabledBy: "rotation",
            expiresAt: new Date(keptExpiry ? Math.min(keptExpiry.getTime(), end) : end),
            replacedBy,
            ...spent,
          };
    invalidate(record.id);
    const stored = await call(() => update(record.id, retire));
    invalidate(record.id);
    // A key deleted meanwhile returns no record; the retirement is still what was asked.
    const retired = stored ?? { ...record, ...retire };
    changed("rotated", retired, actor, changesOf(record, retired), { replacedBy });
    return created;
  }

  /**
   * Takes every credit off a key in one atomic spend and answers what was taken (with the
   * refill schedule), after any refill that fell due: a spend of 0 reads the count, a spend
   * of that count takes it unless requests spent meanwhile, in which case it reads again.
   */
  async function takeCredits(id: string, at: number): Promise<KeyCredits | null> {
    const spend = method("spendCredits");
    for (let tries = 0; tries < MAX_CREDIT_MOVES; tries++) {
      const current = await call(() => spend(id, 0, new Date(at)));
      if (current === null) return null;
      const { remaining } = current.credits;
      const taken = await call(() => spend(id, remaining, new Date(at)));
      if (taken === null) return null;
      if (taken.ok) return { ...current.credits, remaining };
    }
    throw new AuthError("unavailable", {
      detail: "The key's credits kept changing; try the rotation again.",
    });
  }

  async function giveBack(id: string, amount: number, at: number): Promise<void> {
    if (amount === 0) return;
    const spend = method("spendCredits");
    await call(() => spend(id, -amount, new Date(at))).catch(() => undefined);
  }

  async function topUp(record: ApiKeyRecord, amount: number, actor?: Principal) {
    checkIssuer(actor, context.writeScope);
    const added = checkTopUp(amount);
    if (!record.credits) {
      throw new KeyConflictError("This key is not metered; set its credits first.");
    }
    if (record.credits.remaining + added > MAX_CREDITS) {
      throw new TypeError(`gatehouse: amount would take the key past ${MAX_CREDITS} credits`);
    }
    const spend = method("spendCredits");
    const at = now();
    const spent = await call(() => spend(record.id, -added, new Date(at)));
    if (spent === null) return null;
    const after = { ...record, credits: spent.credits };
    changed("updated", after, actor, {
      credits: {
        from: shown("credits", { ...spent.credits, remaining: spent.credits.remaining - added }),
        to: shown("credits", spent.credits),
      },
    });
    return toManagedKey(after, at);
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
      return record ? change(record, patch, ADMIN_UPDATE_FIELDS, actor, true) : null;
    },
    async delete(id, actor) {
      const record = await load(id);
      return record ? remove(record, actor) : false;
    },
    async rotate(id, options = {}, actor) {
      const record = await load(id);
      return record ? rotate(record, options, actor, true) : null;
    },
    async topUp(id, amount, actor) {
      const record = await load(id);
      return record ? topUp(record, amount, actor) : null;
    },
  };

  return {
    writeScope: context.writeScope,
    create: issue,
    list: listOwned,
    async get(ownerId, id) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? toManagedKey(record, now()) : null;
    },
    async update(ownerId, id, patch, actor) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? change(record, patch, UPDATE_FIELDS, actor, false) : null;
    },
    async delete(ownerId, id, actor) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? remove(record, actor) : false;
    },
    async rotate(ownerId, id, options = {}, actor) {
      const record = await load(id, checkId(ownerId, "ownerId"));
      return record ? rotate(record, options, actor, false) : null;
    },
    admin,
  };
}
