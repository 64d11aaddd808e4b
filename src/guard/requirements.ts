/**
 * Route guards as pure checks: each takes the principal (or `null` for an anonymous request)
 * and returns the {@link AuthError} to answer with, or `null` to let the request through.
 * Adapters wrap these; they never re-implement them.
 */
import { AuthError } from "../errors.js";
import type { Principal } from "../types.js";

/** `missing_credentials` for anonymous requests. */
export function requireAuth(principal: Principal | null): AuthError | null {
  return principal === null ? new AuthError("missing_credentials") : null;
}

/**
 * Every listed scope must be held. Anonymous → `missing_credentials` (401, so a client knows
 * to authenticate); authenticated without them → `insufficient_scope` (403) carrying the
 * required scopes in its challenge (RFC 6750 §3.1).
 */
export function requireScopes(principal: Principal | null, ...scopes: string[]): AuthError | null {
  if (principal === null) return new AuthError("missing_credentials");
  const held = new Set(principal.scopes);
  const missing = scopes.filter((scope) => !held.has(scope));
  if (missing.length === 0) return null;
  return new AuthError("insufficient_scope", {
    scope: scopes.join(" "),
    detail: `This request needs the scope(s): ${missing.join(" ")}.`,
  });
}

/**
 * At least one of the listed roles must be held (roles name alternatives: "admin or
 * auditor"; scopes name requirements). Without one → `forbidden` (403).
 */
export function requireRoles(principal: Principal | null, ...roles: string[]): AuthError | null {
  if (principal === null) return new AuthError("missing_credentials");
  if (roles.length === 0 || roles.some((role) => principal.roles.includes(role))) return null;
  return new AuthError("forbidden", {
    detail: `This request needs one of the roles: ${roles.join(", ")}.`,
  });
}
