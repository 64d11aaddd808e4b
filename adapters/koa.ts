/**
 * gatehouse for Koa 2 and 3: translation only. The principal lives in `ctx.state.principal`
 * (type it with {@link State}); refusals set status, headers and a problem body and stop
 * the chain.
 */
import type { Context, Next, ParameterizedContext } from "koa";
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
import { nodeBodySource, nodeRequestView } from "../src/http/node-request.js";
import { answerText } from "../src/http/problem.js";
import { readBody } from "../src/http/read-body.js";
import type { HostReads, RouteSet } from "../src/http/route-host.js";
import { named, routeSet } from "../src/http/route-host.js";
import type { TokenEndpointAuth } from "../src/tokens/grants.js";
import type { TokenRouteOptions } from "../src/tokens/token-endpoint.js";
import type { WellKnownAuth, WellKnownOptions } from "../src/http/well-known.js";
import { refusalSettings } from "../src/http/well-known.js";
import type { Principal } from "../src/types.js";

/** What gatehouse puts in `ctx.state`: `new Koa<State<MyUser>>()` or `Router<State<MyUser>>`. */
export interface State<TUser extends Principal = Principal> {
  /** The authenticated caller; `null` for an anonymous request let through by `optional`. */
  principal: TUser | null;
}

type Middleware<TUser extends Principal = Principal> = (
  ctx: ParameterizedContext<State<TUser>>,
  next: Next,
) => Promise<void>;

/** Options of {@link authenticate}: `optional` (anonymous requests) and how refusals are answered. */
export interface AuthenticateOptions extends IdentifyOptions {
  /**
   * Reshapes refusals: receives the error and the default answer (core status,
   * `WWW-Authenticate`, problem body) and returns the answer to send. Default: the default
   * answer. Guards after this middleware use it too.
   */
  onError?: (error: AuthError, answer: HttpAnswer, ctx: Context) => HttpAnswer;
}

type Settings = RefusalSettings<Context> & {
  resourceMetadata: string | undefined;
};

// In ctx.state under a symbol: the realm and onError reach the guards without a second
// named field, and nothing else is attached to Koa's context. (A WeakMap keyed by the
// context costs an entry per request, about 140 ns to add: bench/state-handoff.mjs.)
const SETTINGS = Symbol("gatehouse.settings");
type WithSettings = { [SETTINGS]?: Settings };

function send(ctx: Context, answer: HttpAnswer): void {
  ctx.status = answer.status;
  const text = answerText(answer);
  if (text !== undefined) ctx.body = text;
  // After the body: assigning a string body sets its own Content-Type, which ours replaces.
  for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
}

function refuse(error: AuthError, settings: Settings, ctx: Context): void {
  send(ctx, refusalAnswer(error, settings, ctx));
}

const hrefOf = (ctx: Context): string => ctx.href;

// `ctx.ip` honours `app.proxy`; the raw socket address would not.
const ipOf = (ctx: Context): string | undefined => ctx.ip;

function viewOf(ctx: Context) {
  return nodeRequestView(ctx.req, ctx, hrefOf, ipOf);
}

/** Verifies the request's credential and sets `ctx.state.principal`. */
export function authenticate<TUser extends Principal>(
  auth: AdapterAuth<TUser>,
  options: AuthenticateOptions = {},
): Middleware<TUser> {
  const identifier = createIdentifier(auth, options.optional ?? false);
  const settings: Settings = refusalSettings(auth, options.onError);
  function settle(
    outcome: Identified<TUser>,
    ctx: ParameterizedContext<State<TUser>>,
    next: Next,
  ): Promise<void> {
    if (!outcome.ok) {
      refuse(outcome.error, settings, ctx);
      return Promise.resolve();
    }
    ctx.state.principal = outcome.principal;
    (ctx.state as WithSettings)[SETTINGS] = settings;
    return next() as Promise<void>;
  }
  // Not async: on a cache hit next() runs in the same tick, with no promise of our own.
  return (ctx, next) => {
    if (identifiedBefore(auth, (ctx.state as WithSettings)[SETTINGS], ctx.state.principal)) {
      return next() as Promise<void>;
    }
    return identifyThen(identifier, viewOf(ctx), settle, ctx, next);
  };
}

function guardMiddleware(name: string, guard: Guard): Middleware {
  return async function guardRoute(ctx, next) {
    const settings = (ctx.state as WithSettings | undefined)?.[SETTINGS];
    if (settings === undefined) throw unauthenticatedGuard(name);
    const error = guard(ctx.state.principal);
    if (error) return refuse(error, settings, ctx);
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
export function getCurrentUser<TUser extends Principal = Principal>(ctx: {
  state: Partial<State<TUser>>;
}): TUser | null {
  return ctx.state.principal ?? null;
}

/** Where {@link keyRoutes} and {@link tokenRoutes} are mounted in the Koa app. */
export interface MountOptions {
  /** The path the routes live under, e.g. `/users/keys`. Default `""` for token routes. */
  prefix?: string;
}

const reads: HostReads<ParameterizedContext<State>> = {
  principal: (ctx) => ctx.state.principal,
  view: viewOf,
  body: (ctx) => {
    // A body parser (koa-bodyparser, @koa/bodyparser) leaves its result here.
    const parsed = (ctx.request as { body?: unknown }).body;
    if (parsed !== undefined) return Promise.resolve({ ok: true, body: parsed });
    return readBody(nodeBodySource(ctx.req));
  },
  query: (ctx) => new URLSearchParams(ctx.querystring),
};

/** A route set as middleware; requests that are not its own go on at once. */
function mount(set: RouteSet<ParameterizedContext<State>>): Middleware {
  return named(set.name, async (ctx: ParameterizedContext<State>, next: Next): Promise<void> => {
    const pending = set.serve(ctx, ctx.method, ctx.path);
    const answer = pending === null ? null : await pending;
    if (answer === null) await next();
    else send(ctx, answer);
  });
}

/** The key-management routes under `prefix` (default `/keys`). */
export function keyRoutes(
  auth: AdapterAuth,
  options: KeyRoutesOptions & MountOptions = {},
): Middleware {
  return mount(routeSet("keyRoutes", auth, options, reads, true));
}

/**
 * The token endpoint under `prefix` (default `""`): `POST {prefix}/token`,
 * `POST {prefix}/logout` and, for asymmetric keys, `GET {prefix}/.well-known/jwks.json`.
 */
export function tokenRoutes(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions & MountOptions = {},
): Middleware {
  return mount(routeSet("tokenRoutes", auth, options, reads, true));
}

/**
 * The discovery documents (RFC 9728, RFC 8414) at the root of the app:
 * `app.use(wellKnownRoutes(auth))`. See docs/discovery.md.
 */
export function wellKnownRoutes(auth: WellKnownAuth, options: WellKnownOptions = {}): Middleware {
  return mount(routeSet("wellKnownRoutes", auth, options, reads, true));
}
