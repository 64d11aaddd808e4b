/**
 * Route guards as adapters use them: a function of the principal that answers with the
 * core's refusal or `null`. The decisions themselves live in `src/guards.ts`.
 */
import type { AuthError } from "../errors.js";
import { requireAuth, requireRoles, requireScopes } from "../guard/requirements.js";
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

/**
 * Every guard of `options`, in order (scopes, then roles), as one; `null` when there is none.
 * For adapters whose handler wrapper takes its requirements as options (fetch's `withAuth`).
 */
export function guardOf(options: { scopes?: string[]; roles?: string[] }): Guard | null {
  const guards: Guard[] = [];
  if (options.scopes !== undefined) guards.push(scopesGuard(options.scopes));
  if (options.roles !== undefined) guards.push(rolesGuard(options.roles));
  if (guards.length === 0) return null;
  if (guards.length === 1) return guards[0]!;
  return function withAuthGuards(principal) {
    for (const guard of guards) {
      const error = guard(principal);
      if (error) return error;
    }
    return null;
  };
}

/** The three guard middlewares of an adapter, made from its one way of running a guard. */
export interface GuardSet<M> {
  /** 401 unless a principal was authenticated. */
  readonly requireAuth: () => M;
  /** 401 when anonymous, 403 `insufficient_scope` unless the principal holds every scope. */
  readonly requireScopes: (...scopes: string[]) => M;
  /** 401 when anonymous, 403 `forbidden` unless the principal holds one of the roles. */
  readonly requireRoles: (...roles: string[]) => M;
}

/**
 * Builds {@link GuardSet} from `wrap`, which turns a named guard into the framework's
 * middleware, so that every adapter exposes the same guards with the same names and errors.
 */
export function guardSet<M>(wrap: (name: string, guard: Guard) => M): GuardSet<M> {
  return {
    requireAuth: () => wrap("requireAuth", authGuard()),
    requireScopes: (...scopes) => wrap("requireScopes", scopesGuard(scopes)),
    requireRoles: (...roles) => wrap("requireRoles", rolesGuard(roles)),
  };
}

/** The developer error of a guard mounted without `authenticate()` in front of it. */
export function unauthenticatedGuard(name: string): TypeError {
  return new TypeError(`gatehouse: ${name}() needs authenticate() earlier in the chain`);
}
