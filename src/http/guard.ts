/**
 * Route guards as adapters use them: a function of the principal that answers with the
 * core's refusal or `null`. The decisions themselves live in `src/guards.ts`.
 */
import type { AuthError } from "../errors.js";
import { requireAuth, requireRoles, requireScopes } from "../guards.js";
import type { Principal } from "../types.js";

export type Guard = (principal: Principal | null) => AuthError | null;

export function authGuard(): Guard {
  return function requireAuthGuard(principal) {
    return requireAuth(principal);
  };
}

export function scopesGuard(scopes: string[]): Guard {
  if (scopes.length === 0) throw new TypeError("gatehouse: requireScopes() needs a scope");
  return function requireScopesGuard(principal) {
    return requireScopes(principal, ...scopes);
  };
}

export function rolesGuard(roles: string[]): Guard {
  if (roles.length === 0) throw new TypeError("gatehouse: requireRoles() needs a role");
  return function requireRolesGuard(principal) {
    return requireRoles(principal, ...roles);
  };
}
