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

const NONE: readonly string[] = Object.freeze([]);

/**
 * The non-empty words of the given claims, each once, in order of first appearance: a string
 * is space-delimited, an array gives its non-empty strings, anything else gives nothing.
 */
function uniqueWords(...values: unknown[]): readonly string[] {
  let seen: Set<string> | undefined;
  for (const value of values) {
    const items =
      typeof value === "string" ? value.split(" ") : Array.isArray(value) ? value : null;
    if (items === null) continue;
    for (const item of items) {
      if (typeof item === "string" && item.length > 0) (seen ??= new Set()).add(item);
    }
  }
  return seen === undefined ? NONE : Object.freeze([...seen]);
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
    scopes: uniqueWords(claims.scope, claims.scopes, claims.scp),
    roles: uniqueWords(claims.roles),
    claims: Object.isFrozen(claims) ? claims : Object.freeze({ ...claims }),
  });
}
