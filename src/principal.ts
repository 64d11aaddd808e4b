/**
 * Verified JWT claims → {@link Principal}. The default reads the claims gatehouse issues
 * (RFC 9068 plus `roles`) and those most issuers use: `scope` as a space-delimited string
 * (RFC 8693 §4.2) and/or `scopes`/`scp` as an array.
 */
import type { ApiKeyRecord, OwnerType, Principal } from "./types.js";

/** How the token arrived; passed to a custom mapper so it can tell cookie from Bearer. */
export interface PrincipalContext {
  /** `jwt` for a Bearer token, `cookie` for the access-token cookie. */
  via: "jwt" | "cookie";
}

/**
 * Maps verified claims to a principal (the `jwt.toPrincipal` option); `context.via` tells a
 * Bearer token from the cookie. Throwing makes the request `unavailable` (503). It runs once
 * per token and way of arrival while the token is in the verified-token cache, and the
 * requests that present that token share its result: keep it a pure function of its
 * arguments, and treat the principal as read-only.
 */
export type ToPrincipal<TUser extends Principal = Principal> = (
  claims: Readonly<Record<string, unknown>>,
  context: PrincipalContext,
) => TUser;

function words(value: unknown): string[] {
  if (typeof value === "string") return value.split(" ").filter((word) => word.length > 0);
  if (Array.isArray(value)) {
    return value.filter((item): item is string => typeof item === "string" && item.length > 0);
  }
  return [];
}

function frozenUnique(values: string[]): readonly string[] {
  return Object.freeze([...new Set(values)]);
}

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

/**
 * The default mapping. `type` is `service` when the token has no separate resource owner
 * (its `client_id` equals its `sub`, RFC 9068 §2.2 client-credentials tokens), otherwise
 * `user`; a token minted from one of our keys then takes the key's type (see
 * {@link keyDerivedPrincipal}). Returns `null` when `sub` is missing or not a non-empty
 * string. The principal is frozen (its arrays too): it is shared by every request that
 * presents the same token.
 */
export function claimsToPrincipal(
  claims: Readonly<Record<string, unknown>>,
  context: PrincipalContext,
): Principal | null {
  const { sub } = claims;
  if (typeof sub !== "string" || sub.length === 0) return null;
  const service = typeof claims.client_id === "string" && claims.client_id === sub;
  return Object.freeze({
    id: sub,
    type: service ? "service" : "user",
    via: context.via,
    scopes: frozenUnique([...words(claims.scope), ...words(claims.scopes), ...words(claims.scp)]),
    roles: frozenUnique(words(claims.roles)),
    claims: Object.isFrozen(claims) ? claims : Object.freeze({ ...claims }),
  });
}
