/**
 * What an actor may do to keys, written once for the manager, the key routes, the token
 * endpoint and the CLI: never grant a scope or role it does not hold itself; an actor with
 * an API key behind it (the key itself, or a token minted from one) changes keys only with
 * the write scope and never turns a key back on; a key an administrator disabled comes back
 * only through an administrator; a key a rotation replaced never comes back. Refusals are
 * `AuthError("forbidden")` naming what was refused, so the caller can tell the user what
 * to drop.
 */
import { AuthError } from "../errors.js";
import { isKeyDerived } from "../principal/from-key.js";
import type { ApiKeyRecord, Principal } from "../types.js";

/** The default scope an API key needs to issue or change keys itself. */
export const KEYS_WRITE_SCOPE = "keys:write";

function forbidden(detail: string): AuthError {
  return new AuthError("forbidden", { detail });
}

/** Refuses a grant that exceeds what the actor holds. */
export function checkGrant(actor: Principal | undefined, scopes: string[], roles: string[]): void {
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

/**
 * Whether the actor must hold the write scope (`apiKeys.writeScope`) to change keys and
 * does not: an actor with a key behind it, the key itself or a token minted from one.
 */
export function lacksWriteScope(actor: Principal | null | undefined, writeScope: string): boolean {
  return actor != null && isKeyDerived(actor) && !actor.scopes.includes(writeScope);
}

/** Refuses an actor that {@link lacksWriteScope}. */
export function checkIssuer(actor: Principal | undefined, writeScope: string): void {
  if (lacksWriteScope(actor, writeScope)) {
    throw forbidden(
      `A caller authenticated by an API key needs the ${writeScope} scope to change keys.`,
    );
  }
}

/** A change the key's state forbids whoever asks (a superseded key); answered 409. */
export class KeyConflictError extends Error {
  override readonly name = "KeyConflictError";
}

/**
 * Refuses turning a key back on (or moving the end of a superseded key) unless the actor
 * may. `asAdmin` is true only on the administrator's path.
 */
export function checkRevival(
  record: ApiKeyRecord,
  patch: { enabled?: boolean; expiresAt?: Date | null },
  actor: Principal | undefined,
  asAdmin: boolean,
): void {
  if (
    record.disabledBy === "rotation" &&
    (patch.enabled === true || patch.expiresAt !== undefined)
  ) {
    throw new KeyConflictError(
      "A rotated key was replaced for good; use the key that replaced it.",
    );
  }
  if (patch.enabled !== true || record.enabled) return;
  if (actor && isKeyDerived(actor)) {
    throw forbidden("A caller authenticated by an API key cannot enable a key.");
  }
  if (record.disabledBy === "admin" && !asAdmin) {
    throw forbidden("An administrator disabled this key; only an administrator can enable it.");
  }
}
