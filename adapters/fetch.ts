/**
 * gatehouse for web-standard handlers, `Request` in and `Response` out: Next.js route
 * handlers, `Bun.serve`, `Deno.serve`, workers. Translation only. The principal is kept in
 * a WeakMap keyed by the `Request` (the request is never changed) and read with
 * {@link getCurrentUser}. This entry imports no Node built-in.
 *
 * Every function passes the arguments a runtime adds after the request (Next.js's route
 * context, Bun's server, Deno's connection info) on to your handler and to
 * `clientAddress`, unchanged.
 */
import type { AuthError } from "../src/errors.js";
import type { AdapterAuth } from "../src/http/adapter-auth.js";
import { refusalAnswer } from "../src/http/adapter-auth.js";
import type { HttpAnswer } from "../src/http/answer.js";
import { guardOf } from "../src/http/guard.js";
import type { IdentifyOptions } from "../src/http/identify.js";
import { createIdentifier, identifyThen, type Identified } from "../src/http/identify.js";
import { webResponse } from "../src/http/web-request.js";
import { refusalSettings } from "../src/http/well-known.js";
import type { Principal } from "../src/types.js";
import type { AddressOptions, ClientAddress } from "./fetch/request.js";
import { principals, viewOf } from "./fetch/request.js";

export type { AddressOptions, ClientAddress } from "./fetch/request.js";
export type { MountOptions, RouteHandler } from "./fetch/routes.js";
export { keyRoutes, tokenRoutes, wellKnownRoutes } from "./fetch/routes.js";

/**
 * Opt-in typing of {@link getCurrentUser} without naming the type at each call:
 *
 * ```ts
 * declare module "gatehouse/fetch" {
 *   interface Register { user: MyUser }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Register {}

/** The user type: `Register["user"]` when registered, else {@link Principal}. */
export type RegisteredUser = Register extends {
  /** Your user type, a {@link Principal} subtype, as registered by declaration merging. */
  user: infer U extends Principal;
}
  ? U
  : Principal;

/** Options of {@link withAuth}. */
export interface WithAuthOptions<Args extends unknown[] = unknown[]>
  extends IdentifyOptions, AddressOptions<Args> {
  /**
   * Scopes the principal must all hold: 403 `insufficient_scope` otherwise, 401 when
   * anonymous. Default none. An empty list is a `TypeError` here, when the handler is made.
   */
  scopes?: string[];
  /**
   * Roles of which the principal must hold one: 403 `forbidden` otherwise, 401 when
   * anonymous. Default none. Checked after {@link scopes}. An empty list is a `TypeError`.
   */
  roles?: string[];
  /**
   * Reshapes refusals: receives the error and the default answer (core status,
   * `WWW-Authenticate`, problem body) and returns the answer to send. Default: the default
   * answer. It is not called for what your handler throws.
   */
  onError?: (error: AuthError, answer: HttpAnswer, req: Request) => HttpAnswer;
}

/** A web-standard handler: a request (and whatever the runtime passes after it) to a response. */
export type FetchHandler<Args extends unknown[] = unknown[]> = (
  req: Request,
  ...args: Args
) => Response | Promise<Response>;

/**
 * The arguments after the request that both the handler and `clientAddress` of
 * {@link withAuth} are given: those of whichever takes any, or both when both do.
 */
export type BothArgs<A extends unknown[], B extends unknown[]> = A extends []
  ? B
  : B extends []
    ? A
    : A & B;

/**
 * Wraps `handler` so that it runs only for an authenticated caller (or, with `optional`, an
 * anonymous one) who passes `scopes` and `roles`; any other request gets the refusal
 * (status, `WWW-Authenticate`, `application/problem+json`). Inside, read the caller with
 * {@link getCurrentUser}. A CORS preflight reaches the handler as anonymous unless `scopes`
 * or `roles` are set, as with every adapter's `authenticate`.
 *
 * What the handler throws or rejects with is not caught: your runtime answers it (a 500 on
 * Next.js, Bun and Deno), never as a refusal. On a verification already cached the handler
 * runs in the same tick and its own return value is returned.
 */
export function withAuth<Args extends unknown[] = [], AddressArgs extends unknown[] = []>(
  auth: AdapterAuth,
  handler: FetchHandler<Args>,
  options: WithAuthOptions<AddressArgs> = {},
): FetchHandler<BothArgs<Args, AddressArgs>> {
  const identifier = createIdentifier(auth, options.optional ?? false);
  const guard = guardOf(options);
  const settings = refusalSettings(auth, options.onError);
  const clientAddress = options.clientAddress as ClientAddress<unknown[]> | undefined;
  const inner = handler as FetchHandler<unknown[]>;
  const refuse = (error: AuthError, req: Request) =>
    webResponse(refusalAnswer(error, settings, req));
  function settle(outcome: Identified<Principal>, req: Request, args: unknown[]) {
    if (!outcome.ok) return refuse(outcome.error, req);
    const error = guard === null ? null : guard(outcome.principal);
    if (error) return refuse(error, req);
    principals.set(req, outcome.principal);
    return inner(req, ...args);
  }
  // Not async: on a cache hit the handler runs in this tick, with no promise of our own.
  return function authenticated(req: Request, ...args: unknown[]) {
    return identifyThen(identifier, viewOf(req, args, clientAddress), settle, req, args);
  };
}

/**
 * The caller of a request that passed {@link withAuth}; `null` when anonymous (`optional`),
 * for a CORS preflight, and for a request `withAuth` did not see.
 */
export function getCurrentUser<TUser extends Principal = RegisteredUser>(
  req: Request,
): TUser | null {
  return (principals.get(req) as TUser | null | undefined) ?? null;
}
