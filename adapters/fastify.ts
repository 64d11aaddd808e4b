/**
 * gatehouse for Fastify 4 and 5: translation only. `authenticate` is an `onRequest` hook, the
 * guards are `preHandler` hooks, and `keyRoutes` / `tokenRoutes` are encapsulated plugins
 * registered under a prefix. The principal is kept in a WeakMap keyed by the request and read
 * with {@link getCurrentUser}: nothing is decorated onto Fastify's request, so `request.user`
 * from `@fastify/jwt` or `@fastify/passport` is left alone.
 */
import type {
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerHookHandler,
} from "fastify";
import type { AuthError } from "../src/errors.js";
import type { AdapterAuth } from "../src/http/adapter-auth.js";
import { refusalAnswer } from "../src/http/adapter-auth.js";
import type { HttpAnswer } from "../src/http/answer.js";
import type { Guard } from "../src/http/guard.js";
import { guardSet, unauthenticatedGuard } from "../src/http/guard.js";
import type { IdentifyOptions } from "../src/http/identify.js";
import {
  createIdentifier,
  identifiedBefore,
  identifyThen,
  type Identified,
} from "../src/http/identify.js";
import { refusalSettings } from "../src/http/well-known.js";
import type { Principal } from "../src/types.js";
import type { Settings } from "./fastify/request.js";
import { state, viewOf } from "./fastify/request.js";
import { sendToReply as send } from "./shared/node-answer.js";

/**
 * Opt-in typing of {@link getCurrentUser} without naming the type at each call:
 *
 * ```ts
 * declare module "gatehouse/fastify" {
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

/** Options of {@link authenticate}: `optional` (anonymous requests) and how refusals are answered. */
export interface AuthenticateOptions extends IdentifyOptions {
  /**
   * Reshapes refusals: receives the error and the default answer (core status,
   * `WWW-Authenticate`, problem body) and returns the answer to send. Default: the default
   * answer. Guards after this hook use it too. A throw reaches Fastify's error handler.
   */
  onError?: (error: AuthError, answer: HttpAnswer, request: FastifyRequest) => HttpAnswer;
}

function refuse(
  error: AuthError,
  settings: Settings,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  send(reply, refusalAnswer(error, settings, request));
}

/**
 * An `onRequest` hook that verifies the request's credential and records the principal for
 * the hooks and handler after it: `app.addHook("onRequest", authenticate(auth))`, or per
 * route as `{ onRequest: authenticate(auth) }`. Callback style, so that a cached
 * verification continues in the same tick on Fastify 4 and 5 alike.
 */
export function authenticate<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  options: AuthenticateOptions = {},
): onRequestHookHandler {
  const identifier = createIdentifier(auth, options.optional ?? false);
  const settings: Settings = refusalSettings(auth, options.onError);
  function settle(
    outcome: Identified<TUser>,
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    if (!outcome.ok) return refuse(outcome.error, settings, request, reply);
    state.set(request, { principal: outcome.principal, settings });
    done();
  }
  return function authenticate(request, reply, done) {
    const stored = state.get(request);
    if (identifiedBefore(auth, stored?.settings, stored?.principal)) return done();
    // On a cache hit, done() runs in this tick; a throw here reaches Fastify's hook runner.
    const pending = identifyThen(identifier, viewOf(request), settle, request, reply, done);
    // Nothing may be returned: a returned promise would make Fastify call done() a second time.
    if (pending instanceof Promise) pending.catch(done);
  };
}

function guardHook(name: string, guard: Guard): preHandlerHookHandler {
  return function guardRoute(request, reply, done) {
    const stored = state.get(request);
    // Failing closed with a developer error: a guard without authenticate() would otherwise
    // have nothing to check.
    if (stored === undefined) return done(unauthenticatedGuard(name));
    const error = guard(stored.principal);
    if (error) return refuse(error, stored.settings, request, reply);
    done();
  };
}

const guards = guardSet(guardHook);
/** A `preHandler`: 401 unless a principal was authenticated. */
export const requireAuth = guards.requireAuth;
/** A `preHandler`: 401 when anonymous, 403 `insufficient_scope` unless every scope is held. */
export const requireScopes = guards.requireScopes;
/** A `preHandler`: 401 when anonymous, 403 `forbidden` unless one of the roles is held. */
export const requireRoles = guards.requireRoles;

/** The authenticated principal, or `null` when anonymous or before `authenticate`. */
export function getCurrentUser<TUser extends Principal = RegisteredUser>(
  request: FastifyRequest,
): TUser | null {
  return (state.get(request)?.principal as TUser | null | undefined) ?? null;
}

export { keyRoutes, tokenRoutes, wellKnownRoutes } from "./fastify/routes.js";
