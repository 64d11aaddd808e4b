/**
 * `auth.authenticate` without the promise when the answer is ready, for the adapters: on a
 * warm cache the whole decision is made synchronously, so a middleware can call `next()` in
 * the same tick, and a miss is decided once, not tried twice.
 * Hidden behind a registered symbol rather than typed on `Auth`: it is not public API, and
 * `Symbol.for` keeps it working when the ESM and CommonJS builds are both loaded.
 */
import type { AuthResult, Principal, RequestView } from "./types.js";

export const CACHED_AUTHENTICATE: unique symbol = Symbol.for("gatehouse.cachedAuthenticate");

/** The answer itself when the request and the caches decide it, else a promise of it. Never throws or rejects. */
export type CachedAuthenticate<TUser extends Principal = Principal> = (
  view: RequestView,
) => AuthResult<TUser> | Promise<AuthResult<TUser>>;

/** The auth's promise-free path, if it has one (an `Auth` from `createAuth` does). */
export function cachedAuthenticateOf<TUser extends Principal>(
  auth: object,
): CachedAuthenticate<TUser> | undefined {
  const candidate = (auth as { [CACHED_AUTHENTICATE]?: unknown })[CACHED_AUTHENTICATE];
  return typeof candidate === "function" ? (candidate as CachedAuthenticate<TUser>) : undefined;
}
