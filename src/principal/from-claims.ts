/**
 * Verified JWT claims → {@link Principal}. The default reads the claims gatehouse issues
 * (RFC 9068 plus `roles`) and those most issuers use: `scope` as a space-delimited string
 * (RFC 8693 §4.2) and/or `scopes`/`scp` as an array.
 */
import type { Principal } from "../types.js";

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
 * The default mapping. `type` is `service` when the token has no separate resource owner
 * (its `client_id` equals its `sub`, RFC 9068 §2.2 client-credentials tokens), otherwise
 * `user`; a token minted from one of our keys then takes the key's type (see
 * `keyDerivedPrincipal`). Returns `null` when `sub` is missing or not a non-empty
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
