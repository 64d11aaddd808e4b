/**
 * The two questions every adapter asks, answered once: who is calling (with the `optional`
 * rule applied) and does a guard let them through. Adapters only translate the outcome.
 */
import { cachedAuthenticateOf } from "../decide/cached-authenticate.js";
import type { AuthError } from "../errors.js";
import type { AuthResult, Principal, RequestView } from "../types.js";
import type { AdapterAuth } from "./adapter-auth.js";
import { isPreflight } from "./node-request.js";

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

/**
 * {@link identify} for a middleware: the outcome itself when it is ready, else a native
 * promise of it (a wrapper's other thenable is adopted into one).
 */
export type Identifier<TUser extends Principal> = (
  view: RequestView,
) => Identified<TUser> | Promise<Identified<TUser>>;

/** The function itself, not a call: compared by identity, then called with `auth` as `this`. */
const authenticateOf = <TUser extends Principal>(auth: AdapterAuth<TUser>) =>
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with auth as this
  auth.authenticate;

export function createIdentifier<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  optional: boolean,
): Identifier<TUser> {
  const toOutcome = (result: AuthResult<TUser>) => outcomeOf(result, optional);
  const original = authenticateOf(auth);
  // An authenticate made some other way than createAuth (a wrapper, a replacement, a test
  // double) has no promise-free twin and always answers with a promise.
  const cached = cachedAuthenticateOf<TUser>(original);
  return (view) => {
    // Read on every request, so that authenticate replaced after the middleware was made
    // is called from then on: the twin stands in only for the function it belongs to.
    const current = authenticateOf(auth);
    if (cached !== undefined && current === original) {
      // The twin answers with a value or a native promise, never another thenable.
      const result = cached(view);
      return result instanceof Promise ? result.then(toOutcome) : outcomeOf(result, optional);
    }
    const result = current.call(auth, view);
    // A wrapper's authenticate may hand back any thenable, not only a native promise.
    return isThenable(result) ? Promise.resolve(result).then(toOutcome) : toOutcome(result);
  };
}

/**
 * Whether `auth` already identified this request with a principal: `settings` and
 * `principal` are what an earlier `authenticate` stored on it. Apps mount `authenticate`
 * app-wide with `optional` and again on a route; the second must go on with the principal
 * it finds, since verifying again would count the request twice against its key's rate
 * limit and credits.
 */
export function identifiedBefore(
  auth: object,
  settings: { readonly auth?: object } | undefined,
  principal: Principal | null | undefined,
): boolean {
  return principal !== null && principal !== undefined && settings?.auth === auth;
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

/**
 * One `authenticate` step as every adapter runs it: a CORS preflight settles as anonymous,
 * anything else is identified, and `settle` gets the outcome in this tick when it is ready
 * (a cache hit), or once the promise resolves. `a`, `b` and `c` are handed to `settle` as
 * they are (the framework's request, response, `next`), so that a middleware passes a
 * function made once instead of a closure made per request.
 */
export function identifyThen<
  TUser extends Principal,
  R,
  A = undefined,
  B = undefined,
  C = undefined,
>(
  identifier: Identifier<TUser>,
  view: RequestView,
  settle: (outcome: Identified<TUser>, a: A, b: B, c: C) => R,
  a?: A,
  b?: B,
  c?: C,
): R | Promise<Awaited<R>> {
  if (isPreflight(view.method, view.headers))
    return settle(PREFLIGHT_OUTCOME, a as A, b as B, c as C);
  const outcome = identifier(view);
  if (!(outcome instanceof Promise)) return settle(outcome, a as A, b as B, c as C);
  // `then` flattens a settle that returns a promise; the type says "R, or a promise of it".
  return outcome.then((ready) => settle(ready, a as A, b as B, c as C)) as Promise<Awaited<R>>;
}
