/**
 * What an actor may grant: never a scope or role it does not hold itself, and an API key
 * issues keys only with the `keys:write` scope. Refusals are `AuthError("forbidden")`
 * naming what was refused, so the caller can tell the user what to drop.
 */
import { AuthError } from "../errors.js";
import type { Principal } from "../types.js";

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

/** Refuses an API key that issues keys without the write scope (`apiKeys.writeScope`). */
export function checkIssuer(actor: Principal | undefined, writeScope: string): void {
  if (actor?.via === "apiKey" && !actor.scopes.includes(writeScope)) {
    throw forbidden(`An API key needs the ${writeScope} scope to issue keys.`);
  }
}
