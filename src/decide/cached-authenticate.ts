/**
 * `auth.authenticate` without the promise when the answer is ready, for the adapters: on a
 * warm cache the whole decision is made synchronously, so a middleware can call `next()` in
 * the same tick, and a miss is decided once, not tried twice.
 *
 * It hangs off the `authenticate` function it stands for, not off the auth: it is that one
 * function's twin, so an `authenticate` replaced or wrapped (to trace it, to decorate its
 * answers) has none, and the adapters call the replacement. Hidden behind a registered
 * symbol rather than typed on `Auth`: it is not public API, and `Symbol.for` keeps it working
 * when the ESM and CommonJS builds are both loaded.
 */
import type { AuthResult, Principal, RequestView } from "../types.js";

export const CACHED_AUTHENTICATE: unique symbol = Symbol.for("gatehouse.cachedAuthenticate");

/** The answer itself when the request and the caches decide it, else a promise of it. Never throws or rejects. */
export type CachedAuthenticate<TUser extends Principal = Principal> = (
  view: RequestView,
) => AuthResult<TUser> | Promise<AuthResult<TUser>>;

/** Gives `authenticate` its promise-free twin; non-enumerable, so it is not copied or listed. */
export function withCachedAuthenticate<F extends object, TUser extends Principal>(
  authenticate: F,
  cached: CachedAuthenticate<TUser>,
): F {
  Object.defineProperty(authenticate, CACHED_AUTHENTICATE, { value: cached });
  return authenticate;
}

/** The promise-free twin of this `authenticate` function, if it has one (`createAuth`'s does). */
export function cachedAuthenticateOf<TUser extends Principal>(
  authenticate: unknown,
): CachedAuthenticate<TUser> | undefined {
  if (typeof authenticate !== "function") return undefined;
  const candidate = (authenticate as { [CACHED_AUTHENTICATE]?: unknown })[CACHED_AUTHENTICATE];
  return typeof candidate === "function" ? (candidate as CachedAuthenticate<TUser>) : undefined;
}
