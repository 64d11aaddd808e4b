/**
 * What the adapters and the core route handlers need from an `Auth`, as a structural type:
 * they depend on these few members only, and `TUser` (from `createAuth<TUser>()`) is read
 * off `authenticate`'s result so that `getCurrentUser` comes back typed.
 */
import type { KeyManager } from "../keys/api-keys.js";
import type { AuthResult, Principal, RequestView } from "../types.js";

export interface AdapterAuth<TUser extends Principal = Principal> {
  authenticate(request: RequestView): Promise<AuthResult<TUser>>;
  readonly keys: KeyManager;
  readonly config?: { readonly realm?: string };
}

/** The principal type an `Auth` was created with. */
export type UserOf<A> = A extends AdapterAuth<infer TUser> ? TUser : Principal;

/** The realm of challenges, as configured on the auth (default `api`). */
export function realmOf(auth: { readonly config?: { readonly realm?: string } }): string {
  return auth.config?.realm ?? "api";
}
