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
import { realmOf, refusalAnswer } from "../src/http/adapter-auth.js";
import type { HttpAnswer } from "../src/http/answer.js";
import type { Guard } from "../src/http/guard.js";
import { rolesGuard, scopesGuard } from "../src/http/guard.js";
import type { IdentifyOptions } from "../src/http/identify.js";
import { createIdentifier, identifyThen, type Identified } from "../src/http/identify.js";
import type { KeyRoutesOptions } from "../src/http/key-routes.js";
import { createKeyRoutes, DEFAULT_KEY_ROUTES_PREFIX } from "../src/http/key-routes.js";
import type { HostedRoutes, HostReads } from "../src/http/route-host.js";
import { hostRoutes, mountPrefix, pathBelow } from "../src/http/route-host.js";
import { readWebBody, webResponse } from "../src/http/web-request.js";
import type { WellKnownAuth, WellKnownOptions } from "../src/http/well-known.js";
import { createWellKnownRoutes, refusalSettings } from "../src/http/well-known.js";
import type { TokenEndpointAuth } from "../src/tokens/grants.js";
import type { TokenRouteOptions } from "../src/tokens/token-endpoint.js";
import { createTokenEndpoint } from "../src/tokens/token-endpoint.js";
import type { Principal, RequestView } from "../src/types.js";

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

/**
 * The client's address for a request, from what your runtime knows: Bun's
 * `server.requestIP(req)?.address`, Deno's `info.remoteAddr.hostname`, or the first hop of an
 * `X-Forwarded-For` that your own proxy sets. It receives the request and the arguments the
 * runtime passed after it. Return `undefined` when unknown.
 */
export type ClientAddress<Args extends unknown[] = unknown[]> = (
  req: Request,
  ...args: Args
) => string | undefined;

/** Where the client address comes from; shared by {@link withAuth}, {@link keyRoutes} and {@link tokenRoutes}. */
export interface AddressOptions<Args extends unknown[] = unknown[]> {
  /**
   * The client address, which keys the failure budgets of API keys (per key id and address)
   * and the token endpoint's per-address throttles. Default: none, and a `Request` carries
   * no address, so those budgets are kept per credential id only: failures sent from any
   * address count against the same key id. Read `X-Forwarded-For` only when a proxy you run
   * sets it; a client can send any value.
   */
  clientAddress?: ClientAddress<Args> | undefined;
}

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
 * A handler for a few routes: their response, or `null` when the request is not one of
 * them (so that you can answer it yourself).
 */
export type RouteHandler<Args extends unknown[] = unknown[]> = (
  req: Request,
  ...args: Args
) => Promise<Response | null>;

// A WeakMap, not a property on the request: a Request is a platform object that the
// handler and the runtime share, and an entry here dies with it.
const principals = new WeakMap<Request, Principal | null>();

/**
 * The view the core reads when a client address is known: the request's own method, URL and
 * headers, and the address computed on first read only (most requests never need it).
 */
class AddressedView<Args extends unknown[]> implements RequestView {
  #ip: string | undefined | null = null;
  readonly #req: Request;
  readonly #args: Args;
  readonly #addressOf: ClientAddress<Args>;

  constructor(req: Request, args: Args, addressOf: ClientAddress<Args>) {
    this.#req = req;
    this.#args = args;
    this.#addressOf = addressOf;
  }

  get method(): string {
    return this.#req.method;
  }

  get url(): string {
    return this.#req.url;
  }

  get headers(): RequestView["headers"] {
    return this.#req.headers;
  }

  get ip(): string | undefined {
    if (this.#ip === null) {
      const ip = this.#addressOf(this.#req, ...this.#args);
      this.#ip = ip === "" ? undefined : ip;
    }
    return this.#ip;
  }
}

/** The request itself when no address is known: a `Request` already is a view. */
function viewOf<Args extends unknown[]>(
  req: Request,
  args: Args,
  addressOf: ClientAddress<Args> | undefined,
): RequestView {
  return addressOf === undefined ? req : new AddressedView(req, args, addressOf);
}

/** Every guard of `options`, in order, as one; `null` when there is none. */
function guardOf(options: { scopes?: string[]; roles?: string[] }): Guard | null {
  const guards: Guard[] = [];
  if (options.scopes !== undefined) guards.push(scopesGuard(options.scopes));
  if (options.roles !== undefined) guards.push(rolesGuard(options.roles));
  if (guards.length === 0) return null;
  if (guards.length === 1) return guards[0]!;
  return function withAuthGuards(principal) {
    for (const guard of guards) {
      const error = guard(principal);
      if (error) return error;
    }
    return null;
  };
}

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
  function settle(req: Request, args: unknown[], outcome: Identified<Principal>) {
    if (!outcome.ok) return refuse(outcome.error, req);
    const error = guard === null ? null : guard(outcome.principal);
    if (error) return refuse(error, req);
    principals.set(req, outcome.principal);
    return inner(req, ...args);
  }
  // Not async: on a cache hit the handler runs in this tick, with no promise of our own.
  return function authenticated(req: Request, ...args: unknown[]) {
    return identifyThen(identifier, viewOf(req, args, clientAddress), (outcome) =>
      settle(req, args, outcome),
    );
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

/** Where {@link keyRoutes} and {@link tokenRoutes} answer. */
export interface MountOptions {
  /**
   * The path the routes live under, e.g. `/users/keys`: `""` or starting with `/`; a
   * trailing slash is dropped. Default `/keys` for key routes, `""` for token routes.
   */
  prefix?: string;
}

interface Call {
  req: Request;
  view: RequestView;
}

const reads: HostReads<Call> = {
  // `undefined` when withAuth did not see the request: the host then identifies the caller.
  principal: ({ req }) => principals.get(req),
  view: ({ view }) => view,
  // Once consumed, a Request keeps no copy: `text()` rejects and the answer is a 400.
  body: ({ req }) => readWebBody(req, () => req.text()),
  query: ({ req }) => new URL(req.url).searchParams,
};

function routeHandler<Args extends unknown[]>(
  hosted: HostedRoutes,
  identifyWith: AdapterAuth | null,
  realm: string,
  prefix: string,
  addressOf: ClientAddress<Args> | undefined,
): RouteHandler<Args> {
  const host = hostRoutes(hosted, reads, identifyWith, realm);
  return async function routes(req, ...args) {
    const path = pathBelow(prefix, new URL(req.url).pathname);
    const pending =
      path === null
        ? null
        : host.serve({ req, view: viewOf(req, args, addressOf) }, req.method, path);
    const answer = pending === null ? null : await pending;
    return answer === null ? null : webResponse(answer);
  };
}

/**
 * The key-management routes under `prefix` (default `/keys`), as a function that answers
 * their requests and resolves to `null` for any other, leaving its body unread. The caller
 * is the one {@link withAuth} recorded for this request, or else is identified here (the
 * routes answer anonymous callers with 401).
 */
export function keyRoutes<Args extends unknown[] = []>(
  auth: AdapterAuth,
  options: KeyRoutesOptions & MountOptions & AddressOptions<Args> = {},
): RouteHandler<Args> {
  const prefix = mountPrefix(options.prefix ?? DEFAULT_KEY_ROUTES_PREFIX);
  return routeHandler(
    createKeyRoutes(auth, options),
    auth,
    realmOf(auth),
    prefix,
    options.clientAddress,
  );
}

/**
 * The token endpoint under `prefix` (default `""`): `POST {prefix}/token`,
 * `POST {prefix}/logout` and, for asymmetric keys, `GET {prefix}/.well-known/jwks.json`.
 * Resolves to `null` for any other request, leaving its body unread.
 */
export function tokenRoutes<Args extends unknown[] = []>(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions & MountOptions & AddressOptions<Args> = {},
): RouteHandler<Args> {
  const prefix = mountPrefix(options.prefix ?? "");
  // The token endpoint needs no caller, so no identification is run for it.
  return routeHandler(
    createTokenEndpoint(auth, options),
    null,
    realmOf(auth),
    prefix,
    options.clientAddress,
  );
}

/**
 * The discovery documents (RFC 9728 for `createAuth({ protectedResource })`, RFC 8414 for
 * the token endpoint) at their `/.well-known/…` paths, for the root of your app; resolves to
 * `null` for any other request. Throws a `TypeError` when the auth has nothing to publish.
 * See docs/discovery.md.
 */
export function wellKnownRoutes(
  auth: WellKnownAuth,
  options: WellKnownOptions = {},
): RouteHandler<unknown[]> {
  return routeHandler(createWellKnownRoutes(auth, options), null, realmOf(auth), "", undefined);
}
