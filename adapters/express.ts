/**
 * gatehouse for Express 4 and 5: translation only. The principal is kept in a WeakMap keyed
 * by the request (and mirrored on `res.locals.principal` for templates), so `req.user` and
 * `req.auth` from passport or express-jwt are left alone.
 */
import type { NextFunction, Request, Response } from "express";
import { withResourceMetadata, type AuthError } from "../src/errors.js";
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
import type { KeyRoutesOptions } from "../src/http/key-routes.js";
import { nodeBodySource, nodeRequestView } from "../src/http/node-request.js";
import { readBody } from "../src/http/read-body.js";
import type { HostReads, RouteSet } from "../src/http/route-host.js";
import { named, routeSet, targetPath, targetQuery } from "../src/http/route-host.js";
import type { TokenEndpointAuth } from "../src/tokens/grants.js";
import type { TokenRouteOptions } from "../src/tokens/token-endpoint.js";
import type { WellKnownAuth, WellKnownOptions } from "../src/http/well-known.js";
import { refusalSettings } from "../src/http/well-known.js";
import type { Principal } from "../src/types.js";
import { sendToNode as send } from "./shared/node-answer.js";

/**
 * Opt-in typing of {@link getCurrentUser} without naming the type at each call:
 *
 * ```ts
 * declare module "gatehouse/express" {
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

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/** Options of {@link authenticate}: `optional` (anonymous requests) and how refusals are answered. */
export interface AuthenticateOptions extends IdentifyOptions {
  /**
   * How a refusal is answered. Default: answered here with the core's status,
   * `WWW-Authenticate` and an `application/problem+json` body. `"next"` passes the
   * {@link AuthError} to `next(err)` for your error handler (it has `status` and
   * `headers(realm)`). A function receives the error and the default answer and returns the
   * answer to send instead. Guards after this middleware follow the same choice.
   */
  onError?: "next" | ((error: AuthError, answer: HttpAnswer, req: Request) => HttpAnswer);
}

type Settings = ReturnType<typeof refusalSettings<AuthenticateOptions["onError"]>>;
type Stored = { principal: Principal | null; settings: Settings };

// A WeakMap, not properties on the request: nothing another middleware sets can collide with
// it, and the request object keeps its shape. (Two symbol properties on the request measured
// about 4 µs a request slower on Express 5: docs/benchmarks.md.)
const state = new WeakMap<object, Stored>();

function refuse(
  refused: AuthError,
  settings: Settings,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  const { realm, onError, resourceMetadata } = settings;
  // `next` hands the error to the app's error handler, past refusalAnswer: name the URL here.
  if (onError === "next") return next(withResourceMetadata(refused, resourceMetadata));
  send(res, refusalAnswer(refused, { realm, onError, resourceMetadata }, req));
}

const urlOf = (req: Request): string =>
  `${req.protocol}://${req.get("host") ?? "localhost"}${req.originalUrl}`;

// `req.ip` honours the app's "trust proxy" setting; the raw socket address would not.
const ipOf = (req: Request): string | undefined => req.ip;

function viewOf(req: Request) {
  return nodeRequestView(req, req, urlOf, ipOf);
}

/** Verifies the request's credential and records the principal for the handlers after it. */
export function authenticate<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  options: AuthenticateOptions = {},
): Middleware {
  const identifier = createIdentifier(auth, options.optional ?? false);
  const settings: Settings = refusalSettings(auth, options.onError);
  function settle(outcome: Identified<TUser>, req: Request, res: Response, next: NextFunction) {
    if (!outcome.ok) return refuse(outcome.error, settings, req, res, next);
    state.set(req, { principal: outcome.principal, settings });
    res.locals.principal = outcome.principal;
    next();
  }
  return function authenticate(req, res, next) {
    const stored = state.get(req);
    if (identifiedBefore(auth, stored?.settings, stored?.principal)) return next();
    // On a cache hit, next() runs in this tick; a throw here reaches Express's own catch.
    const pending = identifyThen(identifier, viewOf(req), settle, req, res, next);
    // Express 4 ignores promises: every failure, a throwing onError included, must reach
    // next() or it would become an unhandled rejection.
    if (pending instanceof Promise) pending.catch(next);
  };
}

function guardMiddleware(name: string, guard: Guard): Middleware {
  return function guardRoute(req, res, next) {
    const stored = state.get(req);
    if (stored === undefined) {
      // Failing closed with a developer error: a guard without authenticate() would
      // otherwise have nothing to check.
      return next(unauthenticatedGuard(name));
    }
    const error = guard(stored.principal);
    if (error) return refuse(error, stored.settings, req, res, next);
    next();
  };
}

const guards = guardSet(guardMiddleware);
/** 401 unless a principal was authenticated. */
export const requireAuth = guards.requireAuth;
/** 401 when anonymous, 403 `insufficient_scope` unless the principal holds every scope. */
export const requireScopes = guards.requireScopes;
/** 401 when anonymous, 403 `forbidden` unless the principal holds one of the roles. */
export const requireRoles = guards.requireRoles;

/** The authenticated principal, or `null` when anonymous or before `authenticate`. */
export function getCurrentUser<TUser extends Principal = RegisteredUser>(
  req: Request,
): TUser | null {
  return (state.get(req)?.principal as TUser | null | undefined) ?? null;
}

// A body parser that ran has consumed the stream and left its result on `req.body`.
const parsedAlready = (req: Request): boolean =>
  req.readableEnded || (req as { _body?: boolean })._body === true;

const reads: HostReads<Request> = {
  principal: (req) => state.get(req)?.principal,
  view: viewOf,
  body: (req) =>
    parsedAlready(req)
      ? Promise.resolve({ ok: true, body: req.body as unknown })
      : readBody(nodeBodySource(req)),
  // Below the mount point, `req.url` is the rest of the target, as Express routed it.
  query: (req) => targetQuery(req.url),
};

/** Mounts a route set as middleware; requests that are not its own go on at once. */
function mount(set: RouteSet<Request>): Middleware {
  return named(set.name, (req: Request, res: Response, next: NextFunction): void => {
    const pending = set.serve(req, req.method, targetPath(req.url));
    if (pending === null) return next();
    pending.then((answer) => (answer === null ? next() : send(res, answer))).catch(next);
  });
}

/**
 * The key-management routes as middleware; mount with `app.use("/users/keys", keyRoutes(auth))`.
 * Works on Express 4 and 5 alike (it is a plain middleware, not a Router of one version).
 */
export function keyRoutes(auth: AdapterAuth, options: KeyRoutesOptions = {}): Middleware {
  return mount(routeSet("keyRoutes", auth, options, reads));
}

/**
 * The token endpoint as middleware: `app.use("/auth", tokenRoutes(auth, { verifyUser }))`
 * serves `POST /auth/token`, `POST /auth/logout` and, for asymmetric keys,
 * `GET /auth/.well-known/jwks.json`. Form and JSON bodies are both read.
 */
export function tokenRoutes(auth: TokenEndpointAuth, options: TokenRouteOptions = {}): Middleware {
  return mount(routeSet("tokenRoutes", auth, options, reads));
}

/**
 * The discovery documents (RFC 9728, RFC 8414) at the root of the app:
 * `app.use(wellKnownRoutes(auth))`. See docs/discovery.md.
 */
export function wellKnownRoutes(auth: WellKnownAuth, options: WellKnownOptions = {}): Middleware {
  return mount(routeSet("wellKnownRoutes", auth, options, reads));
}
