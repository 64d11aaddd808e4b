/**
 * gatehouse for Hono 4: translation only. The principal is `c.var.principal`; spread
 * {@link Variables} into your app's type (`new Hono<{ Variables: Variables<MyUser> }>()`).
 * There is no global `ContextVariableMap` augmentation. Refusals are thrown as an
 * `HTTPException` that carries the ready response and the {@link AuthError} as `cause`.
 */
import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler, Next } from "hono";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AuthError } from "../src/errors.js";
import type { AdapterAuth, RefusalSettings } from "../src/http/adapter-auth.js";
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
import { nodeRequestView } from "../src/http/node-request.js";
import { readWebBody, webResponse } from "../src/http/web-request.js";
import type { HostReads, RouteSet } from "../src/http/route-host.js";
import { pathBelowPattern, routeSet } from "../src/http/route-host.js";
import type { TokenEndpointAuth } from "../src/tokens/grants.js";
import type { TokenRouteOptions } from "../src/tokens/token-endpoint.js";
import type { WellKnownAuth, WellKnownOptions } from "../src/http/well-known.js";
import { refusalSettings } from "../src/http/well-known.js";
import type { Principal, RequestView } from "../src/types.js";

/** What gatehouse sets on `c.var`. */
export interface Variables<TUser extends Principal = Principal> {
  /** The authenticated caller; `null` for an anonymous request let through by `optional`. */
  principal: TUser | null;
}

type Env<TUser extends Principal> = { Variables: Variables<TUser> };

/** Options of {@link authenticate}: `optional` (anonymous requests) and how refusals are answered. */
export interface AuthenticateOptions extends IdentifyOptions {
  /**
   * Reshapes refusals: receives the error and the default answer (core status,
   * `WWW-Authenticate`, problem body) and returns the answer to send. Default: the default
   * answer. Guards after this middleware use it too.
   */
  onError?: (error: AuthError, answer: HttpAnswer, c: Context) => HttpAnswer;
}

type Settings = RefusalSettings<Context> & {
  resourceMetadata: string | undefined;
};

// A context variable under a symbol: the realm and onError reach the guards without a named
// variable in your app's type. (A WeakMap keyed by the context costs an entry per request,
// about 140 ns to add: bench/state-handoff.mjs.)
const SETTINGS = Symbol("gatehouse.settings");
// Hono types keys as strings; at run time they are Map keys, so a symbol works and stays
// out of `Variables`.
interface SymbolVariables {
  set(key: typeof SETTINGS, value: Settings): void;
  get(key: typeof SETTINGS): Settings | undefined;
}
const settingsOf = (c: Context): Settings | undefined =>
  (c as unknown as SymbolVariables).get(SETTINGS);

function refusal(error: AuthError, settings: Settings, c: Context): HTTPException {
  const res = webResponse(refusalAnswer(error, settings, c));
  return new HTTPException(res.status as 401, { res, cause: error });
}

const urlOf = (c: Context): string => c.req.url;

/**
 * What the core reads. On `@hono/node-server` the Node request is `c.env.incoming`, and its
 * headers are read directly: the web `Request` would first copy every header into a
 * `Headers` object, which costs more than a cached verification. Elsewhere (Bun, Deno,
 * workers, HTTP/2) the web `Request` is the view. Duck-typed so that no `node:http` import
 * reaches runtimes without it.
 */
function viewOf(c: Context): RequestView {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (typeof incoming === "object" && incoming !== null && "rawHeaders" in incoming) {
    return nodeRequestView(incoming as IncomingMessage, c, urlOf, remoteAddress);
  }
  return c.req.raw;
}

/** Verifies the request's credential and sets `c.var.principal`. */
export function authenticate<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  options: AuthenticateOptions = {},
): MiddlewareHandler<Env<TUser>> {
  const identifier = createIdentifier(auth, options.optional ?? false);
  const settings: Settings = refusalSettings(auth, options.onError);
  function settle(outcome: Identified<TUser>, c: Context<Env<TUser>>, next: Next): Promise<void> {
    if (!outcome.ok) throw refusal(outcome.error, settings, c);
    c.set("principal", outcome.principal);
    (c as unknown as SymbolVariables).set(SETTINGS, settings);
    return next();
  }
  // Not async: on a cache hit next() runs in the same tick, with no promise of our own.
  return (c, next) => {
    if (identifiedBefore(auth, settingsOf(c), c.get("principal"))) return next();
    return identifyThen(identifier, viewOf(c), settle, c, next);
  };
}

function guardMiddleware(name: string, guard: Guard): MiddlewareHandler<Env<Principal>> {
  return async function guardRoute(c, next) {
    const settings = settingsOf(c);
    if (settings === undefined) throw unauthenticatedGuard(name);
    const error = guard(c.var.principal);
    if (error) throw refusal(error, settings, c);
    await next();
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
export function getCurrentUser<TUser extends Principal = Principal>(c: {
  var: Partial<Variables<TUser>>;
}): TUser | null {
  return c.var.principal ?? null;
}

/**
 * The peer address as `@hono/node-server`'s `getConnInfo` reports it, read without importing
 * it (this entry reaches no Node built-in). Hono has no trust-proxy setting.
 */
function remoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress || undefined;
}

const reads: HostReads<Context> = {
  principal: (c) => (c.var as Partial<Variables>).principal,
  view: viewOf,
  // Hono keeps a copy of a body something before us read (a validator, a logger).
  body: (c) => readWebBody(c.req.raw, () => c.req.text()),
  query: (c) => new URL(c.req.url).searchParams,
};

/**
 * A route set as a Hono app for `app.route(path, …)`; requests that are not its own go on
 * at once. `routePath` is the pattern this handler matched after `app.route()` (e.g.
 * `/orgs/:org/keys/*`), which places the mount point, parameters included.
 */
function routeApp(set: RouteSet<Context>): Hono<Env<Principal>> {
  const app = new Hono<Env<Principal>>();
  app.all("*", async function routes(c, next) {
    const pending = set.serve(c, c.req.method, pathBelowPattern(c.req.routePath, c.req.path));
    const answer = pending === null ? null : await pending;
    if (answer === null) return next();
    return webResponse(answer);
  });
  return app;
}

/** The key-management routes as a Hono app: `app.route("/users/keys", keyRoutes(auth))`. */
export function keyRoutes(auth: AdapterAuth, options: KeyRoutesOptions = {}): Hono<Env<Principal>> {
  return routeApp(routeSet("keyRoutes", auth, options, reads));
}

/**
 * The token endpoint as a Hono app: `app.route("/auth", tokenRoutes(auth, { verifyUser }))`
 * serves `POST /auth/token`, `POST /auth/logout` and, for asymmetric keys,
 * `GET /auth/.well-known/jwks.json`.
 */
export function tokenRoutes(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions = {},
): Hono<Env<Principal>> {
  return routeApp(routeSet("tokenRoutes", auth, options, reads));
}

/**
 * The discovery documents (RFC 9728, RFC 8414) as a Hono app for the root of yours:
 * `app.route("/", wellKnownRoutes(auth))`. See docs/discovery.md.
 */
export function wellKnownRoutes(
  auth: WellKnownAuth,
  options: WellKnownOptions = {},
): Hono<Env<Principal>> {
  return routeApp(routeSet("wellKnownRoutes", auth, options, reads));
}
