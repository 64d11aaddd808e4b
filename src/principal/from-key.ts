/**
 * A verified API key → {@link Principal}, and the rule that a token minted from a key
 * holds at most what the key holds now.
 */
import type { ApiKeyRecord, OwnerType, Principal } from "../types.js";

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
  "id" | "ownerId" | "ownerType" | "name" | "scopes" | "roles"
>;

function keyOf(record: KeyFacts): NonNullable<Principal["key"]> {
  return Object.freeze({ id: record.id, name: record.name, ownerId: record.ownerId });
}

/**
 * The principal of a verified API key. Frozen, arrays and `key` too: the cached principal is
 * shared by every request with the same key, so a handler that tries to edit it gets a
 * TypeError instead of editing the cache.
 */
export function keyPrincipal(record: KeyFacts): Principal {
  return Object.freeze({
    id: record.ownerId,
    type: typeOfKeyOwner(record.ownerType),
    via: "apiKey",
    scopes: Object.freeze([...record.scopes]),
    roles: Object.freeze([...record.roles]),
    key: keyOf(record),
  });
}

/**
 * A token minted from a key holds at most what the key holds now: its scopes and roles are
 * cut to the key's current ones, its type is the key's, and `key` names the key, so every
 * rule written for keys (such as the write scope of the key routes) applies to it too.
 * Whatever else a custom `toPrincipal` put on the principal is kept.
 */
export function keyDerivedPrincipal<TUser extends Principal>(
  principal: TUser,
  record: KeyFacts,
): TUser {
  const scopes = new Set(record.scopes);
  const roles = new Set(record.roles);
  return Object.freeze({
    ...principal,
    type: typeOfKeyOwner(record.ownerType),
    scopes: Object.freeze(principal.scopes.filter((scope) => scopes.has(scope))),
    roles: Object.freeze(principal.roles.filter((role) => roles.has(role))),
    key: keyOf(record),
  });
}

/** Whether an API key stands behind the principal (the key itself, or a token minted from one). */
export function isKeyDerived(principal: Principal): boolean {
  return principal.key !== undefined;
}
