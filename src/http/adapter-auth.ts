/**
 * What the adapters and the core route handlers need from an `Auth`, as a structural type:
 * they depend on these few members only, and `TUser` (from `createAuth<TUser>()`) is read
 * off `authenticate`'s result so that `getCurrentUser` comes back typed.
 */
import { withResourceMetadata, type AuthError } from "../errors.js";
import type { KeyManager } from "../verify/api-key/api-keys.js";
import type { HttpAnswer } from "./answer.js";
import { errorAnswer } from "./problem.js";
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

/** What an adapter's `authenticate` hands its guards: the realm, the refusal hook, the metadata URL. */
export interface RefusalSettings<C> {
  realm: string;
  onError?: ((error: AuthError, answer: HttpAnswer, context: C) => HttpAnswer) | undefined;
  /** With `protectedResource`: the RFC 9728 metadata URL every challenge names. */
  resourceMetadata?: string | undefined;
  /**
   * The auth these settings were made for: a request it already identified is not
   * identified again (see `identifiedBefore`).
   */
  auth?: object;
}

/**
 * The answer to a refusal: the core's, its challenge naming the metadata URL (RFC 9728
 * §5.1) when there is one, reshaped by the app's `onError` when it set one. Every refusal of
 * every adapter (the core's and the guards') is answered here, so none can miss the URL.
 */
export function refusalAnswer<C>(
  refused: AuthError,
  settings: RefusalSettings<C>,
  context: C,
): HttpAnswer {
  const error = withResourceMetadata(refused, settings.resourceMetadata);
  const answer = errorAnswer(error, settings.realm);
  return settings.onError ? settings.onError(error, answer, context) : answer;
}
