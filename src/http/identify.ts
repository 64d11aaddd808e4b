/**
 * The two questions every adapter asks, answered once: who is calling (with the `optional`
 * rule applied) and does a guard let them through. Adapters only translate the outcome.
 */
import { cachedAuthenticateOf } from "../cached-authenticate.js";
import type { AuthError } from "../errors.js";
import type { AuthResult, Principal, RequestView } from "../types.js";
import type { AdapterAuth } from "./adapter-auth.js";

export type Identified<TUser extends Principal> =
  { ok: true; principal: TUser | null } | { ok: false; error: AuthError };

const ANONYMOUS = Object.freeze({ ok: true as const, principal: null });

/**
 * What `authenticate` settles a CORS preflight as: it carries no credential, so it passes
 * `authenticate` (even without `optional`) as an anonymous request, and every guard then
 * refuses it like any anonymous request. A CORS middleware mounted earlier answers
 * preflights before they get here; one that reaches a guarded handler gets no data.
 */
export const PREFLIGHT_OUTCOME: Identified<never> = ANONYMOUS;

function outcomeOf<TUser extends Principal>(
  result: AuthResult<TUser>,
  optional: boolean,
): Identified<TUser> {
  // Both shapes already are Identified ones: no copy on the hot path.
  if (result.ok || !optional || result.error.code !== "missing_credentials") return result;
  return ANONYMOUS;
}

/**
 * Runs the core verifier. With `optional`, a request that carries no credential at all is
 * anonymous (`principal: null`); a credential that is present but bad still fails.
 */
export async function identify<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  view: RequestView,
  optional: boolean,
): Promise<Identified<TUser>> {
  return outcomeOf(await auth.authenticate(view), optional);
}

/** Whether an answer is still to come: a promise, or a wrapper's other thenable. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** {@link identify} for a middleware: the outcome itself when it is ready, else a promise. */
export type Identifier<TUser extends Principal> = (
  view: RequestView,
) => Identified<TUser> | Promise<Identified<TUser>>;

export function createIdentifier<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  optional: boolean,
): Identifier<TUser> {
  // An auth made some other way than createAuth (a wrapper, a test double) has no
  // promise-free path and always answers with a promise.
  const run = cachedAuthenticateOf<TUser>(auth) ?? ((view) => auth.authenticate(view));
  const toOutcome = (result: AuthResult<TUser>) => outcomeOf(result, optional);
  return (view) => {
    const result = run(view);
    // A wrapper's authenticate may hand back any thenable, not only a native promise.
    return isThenable(result) ? Promise.resolve(result).then(toOutcome) : toOutcome(result);
  };
}

/** Options every adapter's `authenticate` accepts. */
export interface IdentifyOptions {
  /**
   * Let requests without any credential through as anonymous (`getCurrentUser` is `null`).
   * Default `false`: such requests get 401. A credential that is present but invalid is a
   * 401 either way: there is never a silent downgrade to anonymous.
   */
  optional?: boolean;
}
