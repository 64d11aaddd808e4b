/**
 * gatehouse for Fastify 4 and 5: translation only. `authenticate` is an `onRequest` hook, the
 * guards are `preHandler` hooks, and `keyRoutes` / `tokenRoutes` are encapsulated plugins
 * registered under a prefix. The principal is kept in a WeakMap keyed by the request and read
 * with {@link getCurrentUser}: nothing is decorated onto Fastify's request, so `request.user`
 * from `@fastify/jwt` or `@fastify/passport` is left alone.
 */
import type { IncomingMessage } from "node:http";
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerHookHandler,
} from "fastify";
import type { AuthError } from "../src/errors.js";
import type { AdapterAuth, RefusalSettings } from "../src/http/adapter-auth.js";
import { realmOf, refusalAnswer } from "../src/http/adapter-auth.js";
import type { HttpAnswer } from "../src/http/answer.js";
import type { Guard } from "../src/http/guard.js";
import { guardSet, unauthenticatedGuard } from "../src/http/guard.js";
import type { IdentifyOptions } from "../src/http/identify.js";
import { createIdentifier, identifyThen, type Identified } from "../src/http/identify.js";
import type { KeyRoutesOptions } from "../src/http/key-routes.js";
import { createKeyRoutes } from "../src/http/key-routes.js";
import { nodeBodySource, nodeRequestView } from "../src/http/node-request.js";
import { answerText } from "../src/http/problem.js";
import { DEFAULT_BODY_LIMIT, readBody, type BodyResult } from "../src/http/read-body.js";
import type { HostedRoutes, HostReads } from "../src/http/route-host.js";
import { hostRoutes, pathBelowPattern, targetPath, targetQuery } from "../src/http/route-host.js";
import type { TokenEndpointAuth } from "../src/tokens/grants.js";
import type { TokenRouteOptions } from "../src/tokens/token-endpoint.js";
import { createTokenEndpoint } from "../src/tokens/token-endpoint.js";
import type { WellKnownAuth, WellKnownOptions } from "../src/http/well-known.js";
import { createWellKnownRoutes, refusalSettings } from "../src/http/well-known.js";
import type { Principal } from "../src/types.js";

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

type Settings = RefusalSettings<FastifyRequest> & { resourceMetadata: string | undefined };
type Stored = { principal: Principal | null; settings: Settings };

// A WeakMap rather than a property: an undeclared property changes the shape of Fastify's
// request objects, and `decorateRequest` needs the instance, which a hook factory has not.
const state = new WeakMap<FastifyRequest, Stored>();

function send(reply: FastifyReply, answer: HttpAnswer): void {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  const text = answerText(answer);
  // Bytes, not a string: Fastify appends `; charset=utf-8` to a JSON type it is handed a
  // string for, and the answer's Content-Type is sent as the core wrote it.
  reply.send(text === undefined ? undefined : Buffer.from(text));
}

function refuse(
  error: AuthError,
  settings: Settings,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  send(reply, refusalAnswer(error, settings, request));
}

// Fastify 5's `host` keeps the port; Fastify 4 has only `hostname`, which keeps it there.
// Both honour `trustProxy` (X-Forwarded-Host, X-Forwarded-Proto).
const hostOf = (request: FastifyRequest): string =>
  (request as { host?: string }).host ?? request.hostname;

const urlOf = (request: FastifyRequest): string =>
  `${request.protocol}://${hostOf(request)}${request.url}`;

// `request.ip` honours the app's `trustProxy` setting; the raw socket address would not.
const ipOf = (request: FastifyRequest): string | undefined => request.ip;

function viewOf(request: FastifyRequest) {
  return nodeRequestView(request.raw, request, urlOf, ipOf);
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
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
    outcome: Identified<TUser>,
  ): void {
    if (!outcome.ok) return refuse(outcome.error, settings, request, reply);
    state.set(request, { principal: outcome.principal, settings });
    done();
  }
  return function authenticate(request, reply, done) {
    // On a cache hit, done() runs in this tick; a throw here reaches Fastify's hook runner.
    const pending = identifyThen(identifier, viewOf(request), (o) =>
      settle(request, reply, done, o),
    );
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

const FORM = "application/x-www-form-urlencoded";

// What the plugins' own form parser concluded, refusals included: a bad form (too large,
// repeated field, not UTF-8) reaches the route as the core's answer, not as a thrown error.
const formBodies = new WeakMap<FastifyRequest, BodyResult>();

function parseForm(
  request: FastifyRequest,
  payload: IncomingMessage,
  done: (error: Error | null, body?: unknown) => void,
): void {
  // The request's headers, the stream Fastify hands the parser. readBody never rejects.
  void readBody({ ...nodeBodySource(request.raw), chunks: payload }).then((result) => {
    formBodies.set(request, result);
    done(null, result.ok ? result.body : undefined);
  });
}

const reads: HostReads<FastifyRequest> = {
  principal: (request) => state.get(request)?.principal,
  view: viewOf,
  // Fastify has parsed the body before the handler runs: JSON with its own parser, forms
  // with the app's (`@fastify/formbody`) or, when it has none, with ours.
  body: (request) => Promise.resolve(formBodies.get(request) ?? { ok: true, body: request.body }),
  query: (request) => targetQuery(request.url),
};

/**
 * A core route handler as an encapsulated plugin serving `routes` below its prefix; a
 * request there that is none of the handler's own gets Fastify's not-found answer.
 */
function routePlugin(
  hosted: HostedRoutes,
  identifyWith: AdapterAuth | null,
  realm: string,
  name: string,
  routes: string[],
): FastifyPluginAsync {
  const host = hostRoutes(hosted, reads, identifyWith, realm);
  function serve(mount: string, request: FastifyRequest, reply: FastifyReply): void {
    const path = pathBelowPattern(mount, targetPath(request.url));
    const pending = host.serve(request, request.method, path);
    if (pending === null) return void reply.callNotFound();
    pending
      .then((answer) => (answer === null ? reply.callNotFound() : send(reply, answer)))
      .catch((error: unknown) => reply.send(error));
  }
  const named = {
    async [name](instance: Parameters<FastifyPluginAsync>[0]): Promise<void> {
      // Inside this plugin's scope only: sibling routes keep the app's own parsers.
      if (!instance.hasContentTypeParser(FORM)) instance.addContentTypeParser(FORM, parseForm);
      // The prefix as registered, parameters included (`/orgs/:org/keys`): its depth is the
      // mount point's, whatever the parameters' values.
      const mount = `${instance.prefix}/*`;
      const handler = (request: FastifyRequest, reply: FastifyReply) =>
        serve(mount, request, reply);
      // Key and token requests are tiny; Fastify's JSON parser gets the same bound as ours.
      for (const url of routes) instance.all(url, { bodyLimit: DEFAULT_BODY_LIMIT }, handler);
      return Promise.resolve();
    },
  };
  return named[name]!;
}

/** Every path below the prefix, the prefix itself included. */
const BELOW = ["/", "/*"];

/**
 * The key-management routes as a plugin:
 * `await app.register(keyRoutes(auth), { prefix: "/users/keys" })`. Without an
 * `authenticate` hook in front, the plugin identifies the caller itself.
 */
export function keyRoutes(auth: AdapterAuth, options: KeyRoutesOptions = {}): FastifyPluginAsync {
  return routePlugin(createKeyRoutes(auth, options), auth, realmOf(auth), "keyRoutes", BELOW);
}

/**
 * The token endpoint as a plugin:
 * `await app.register(tokenRoutes(auth, { verifyUser }), { prefix: "/auth" })` serves
 * `POST /auth/token`, `POST /auth/logout` and, for asymmetric keys,
 * `GET /auth/.well-known/jwks.json`. JSON bodies go through Fastify's parser; form bodies
 * through the app's form parser when it has one, else through one registered inside this
 * plugin only.
 */
export function tokenRoutes(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions = {},
): FastifyPluginAsync {
  // The token endpoint needs no caller, so no identification is run for it.
  const endpoint = createTokenEndpoint(auth, options);
  return routePlugin(endpoint, null, realmOf(auth), "tokenRoutes", BELOW);
}

/**
 * The discovery documents (RFC 9728, RFC 8414) as a plugin for the root of the app:
 * `await app.register(wellKnownRoutes(auth))`. It claims `/.well-known/*` only. See
 * docs/discovery.md.
 */
export function wellKnownRoutes(
  auth: WellKnownAuth,
  options: WellKnownOptions = {},
): FastifyPluginAsync {
  const routes = createWellKnownRoutes(auth, options);
  return routePlugin(routes, null, realmOf(auth), "wellKnownRoutes", ["/.well-known/*"]);
}
