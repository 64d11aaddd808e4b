/**
 * The entry point: `createAuth(options)` validates every option at construction (a bad key,
 * a weak secret or a missing algorithm list throws a `TypeError` naming the option) and
 * returns the {@link Auth} that adapters and route handlers share.
 */
import { createAuthWith } from "./auth-core.js";
import type { Auth, AuthOptions } from "./auth-options.js";
import type { Principal } from "./types.js";

/**
 * Creates the verifier. `TUser` is the principal type your `jwt.toPrincipal` returns; it
 * flows to `authenticate`'s result and the adapters' `getCurrentUser`.
 *
 * @throws TypeError for a configuration that is invalid or unsafe.
 */
export function createAuth<TUser extends Principal = Principal>(
  options: AuthOptions<TUser>,
): Auth<TUser> {
  return createAuthWith(options);
}
