/**
 * The synchronous half of `auth.authenticate`, for the adapters: on a warm cache the whole
 * decision is made without a promise, so a middleware can call `next()` in the same tick.
 * Hidden behind a registered symbol rather than typed on `Auth`: it is not public API, and
 * `Symbol.for` keeps it working when the ESM and CommonJS builds are both loaded.
 */
import type { AuthResult, Principal, RequestView } from "./types.js";

export const CACHED_AUTHENTICATE: unique symbol = Symbol.for("gatehouse.cachedAuthenticate");

/** The answer when the caches decide it, or `undefined` when `authenticate` must run. Never throws. */
export type CachedAuthenticate<TUser extends Principal = Principal> = (
  view: RequestView,
) => AuthResult<TUser> | undefined;

/** The auth's cache-only path, if it has one (an `Auth` from `createAuth` does). */
export function cachedAuthenticateOf<TUser extends Principal>(
  auth: object,
): CachedAuthenticate<TUser> | undefined {
  const candidate = (auth as { [CACHED_AUTHENTICATE]?: unknown })[CACHED_AUTHENTICATE];
  return typeof candidate === "function" ? (candidate as CachedAuthenticate<TUser>) : undefined;
}
