/**
 * A verified API key → {@link Principal}, and the rule that a principal with a key behind it
 * (the key itself, shaped by `apiKeys.toPrincipal`, or a token minted from it) holds at most
 * what the key holds now.
 */
import type {
  ApiKeyRecord,
  DeepReadonly,
  KeyEnvironment,
  OwnerType,
  Principal,
  PublicApiKeyRecord,
} from "../types.js";

/**
 * The one rule for a principal's `type` when a key stands behind it: keys of a `service`
 * owner are services, every other key is `apiKey`. A token minted from a key gets the type
 * of that key, so a key never gains by being exchanged.
 */
export function typeOfKeyOwner(ownerType: OwnerType): Principal["type"] {
  return ownerType === "service" ? "service" : "apiKey";
}

/** What of a key record shapes the principals made from it. */
export type KeyFacts = Pick<
  ApiKeyRecord,
  "id" | "ownerId" | "ownerType" | "name" | "scopes" | "roles" | "metadata" | "environment"
>;

/**
 * Shapes the principal of a verified key (`apiKeys.toPrincipal`): receives the record
 * without its hash, and the principal gatehouse made of it. Whatever it returns holds at
 * most what the key holds (its `id`, `via`, `type` and `key` stay the key's, its scopes and
 * roles are cut to the key's); throwing answers `unavailable` (503). It runs once per
 * verification the cache keeps, not per request.
 */
export type KeyToPrincipal = (record: Readonly<PublicApiKeyRecord>, base: Principal) => Principal;

function deepFrozen<T>(value: T): DeepReadonly<T> {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFrozen(inner);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

function keyOf(record: KeyFacts): NonNullable<Principal["key"]> {
  const key: {
    id: string;
    name: string;
    ownerId: string;
    environment?: KeyEnvironment | null;
    metadata?: DeepReadonly<Record<string, unknown>> | null;
  } = { id: record.id, name: record.name, ownerId: record.ownerId };
  if (record.environment !== undefined) key.environment = record.environment;
  if (record.metadata !== undefined) {
    // A copy: the principal is cached and shared, the record is not ours.
    key.metadata = record.metadata === null ? null : deepFrozen(structuredClone(record.metadata));
  }
  return Object.freeze(key);
}

/**
 * The principal of a verified API key. Frozen, arrays, `key` and its `metadata` too: the
 * cached principal is shared by every request with the same key, so a handler that tries
 * to edit it gets a TypeError instead of editing the cache.
 */
export function keyPrincipal(
  record: KeyFacts,
  environment: KeyEnvironment | null = record.environment ?? null,
): Principal {
  return Object.freeze({
    id: record.ownerId,
    type: typeOfKeyOwner(record.ownerType),
    via: "apiKey",
    scopes: Object.freeze([...record.scopes]),
    roles: Object.freeze([...record.roles]),
    key: keyOf({ ...record, environment, metadata: record.metadata ?? null }),
  });
}

/**
 * The principal of a verified key, shaped by `toPrincipal` when there is one: the base
 * principal of {@link keyPrincipal}, then what `toPrincipal` made of it, held to the key by
 * {@link keyDerivedPrincipal} with the base's `id`, `via` and `key` (so that a mapper can
 * add fields, such as a tenant id from the metadata, but never widen the key or act as
 * another owner). `environment` is the one the presented key carries (bound to its hash),
 * which holds even where a store does not keep the record's. Throws what `toPrincipal`
 * throws.
 */
export function shapedKeyPrincipal(
  record: ApiKeyRecord,
  environment: KeyEnvironment | null,
  toPrincipal: KeyToPrincipal | undefined,
): Principal {
  const base = keyPrincipal(record, environment);
  if (toPrincipal === undefined) return base;
  const { hash: _hash, ...visible } = record;
  // The record as the base principal holds it: the key's own environment, frozen metadata.
  const metadata = (base.key?.metadata ?? null) as ApiKeyRecord["metadata"];
  const shaped = toPrincipal(Object.freeze({ ...visible, environment, metadata }), base);
  if (typeof shaped !== "object" || shaped === null) {
    throw new TypeError("gatehouse: apiKeys.toPrincipal must return a principal object");
  }
  const scopes = Array.isArray(shaped.scopes) ? shaped.scopes : base.scopes;
  const roles = Array.isArray(shaped.roles) ? shaped.roles : base.roles;
  return keyDerivedPrincipal(
    { ...shaped, scopes, roles, id: base.id, via: base.via },
    record,
    base.key,
  );
}

/**
 * A principal with a key behind it holds at most what the key holds now: its scopes and
 * roles are cut to the key's current ones, its type is the key's, and `key` names the key,
 * so every rule written for keys (such as the write scope of the key routes) applies to it
 * too. Whatever else a custom `toPrincipal` put on the principal is kept. `key` may be
 * given when already built (a key's own principal), else it is made from `record`.
 */
export function keyDerivedPrincipal<TUser extends Principal>(
  principal: TUser,
  record: KeyFacts,
  key: Principal["key"] = keyOf(record),
): TUser {
  const scopes = new Set(record.scopes);
  const roles = new Set(record.roles);
  return Object.freeze({
    ...principal,
    type: typeOfKeyOwner(record.ownerType),
    scopes: Object.freeze(principal.scopes.filter((scope) => scopes.has(scope))),
    roles: Object.freeze(principal.roles.filter((role) => roles.has(role))),
    key,
  });
}

/** Whether an API key stands behind the principal (the key itself, or a token minted from one). */
export function isKeyDerived(principal: Principal): boolean {
  return principal.key !== undefined;
}
