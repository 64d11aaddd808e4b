/**
 * Hosting a core route handler (the key routes, the token routes) inside a framework: which
 * requests are the handler's, who is calling when no `authenticate` ran before it, the body,
 * and the path below the mount point. Adapters give the few reads their framework needs and
 * translate the answer; everything else is decided here, once for all of them.
 *
 * A request that is not one of the handler's routes is left exactly as it came: its body is
 * not read (a route mounted after ours, or a second mount deeper down, still gets it) and no
 * credential is verified for it.
 */
import type { TokenEndpointAuth } from "../tokens/grants.js";
import type { TokenRouteOptions } from "../tokens/token-endpoint.js";
import { createTokenEndpoint } from "../tokens/token-endpoint.js";
import type { Principal, RequestView } from "../types.js";
import type { AdapterAuth } from "./adapter-auth.js";
import { realmOf } from "./adapter-auth.js";
import type { HttpAnswer, RouteRequest } from "./answer.js";
import { identify } from "./identify.js";
import type { KeyRoutesOptions } from "./key-routes.js";
import { createKeyRoutes, DEFAULT_KEY_ROUTES_PREFIX } from "./key-routes.js";
import { errorAnswer } from "./problem.js";
import type { BodyResult } from "./read-body.js";
import type { WellKnownAuth, WellKnownOptions } from "./well-known.js";
import { createWellKnownRoutes } from "./well-known.js";

/** A core route handler: `createKeyRoutes(…)` or `createTokenEndpoint(…)`. */
export interface HostedRoutes {
  /** Whether `handle` may answer this request; synchronous and cheap, nothing is read. */
  matches(method: string, path: string): boolean;
  handle(req: RouteRequest & { principal: Principal | null }): Promise<HttpAnswer | null>;
}

/**
 * What the host reads from a framework's request (or context) `R`. Made once per adapter,
 * not per request, and asked only for a request the handler claims.
 */
export interface HostReads<R> {
  /** What `authenticate` recorded, or `undefined` when it did not run for this request. */
  principal(from: R): Principal | null | undefined;
  view(from: R): RequestView;
  /** The parsed body: a body parser's result when one ran, else read from the stream. */
  body(from: R): Promise<BodyResult>;
  query(from: R): URLSearchParams;
}

/** Hosts a core route handler with an adapter's {@link HostReads}. */
export interface RouteHost<R> {
  /**
   * `null`, synchronously, when the request is not one of the handler's routes: pass it on
   * untouched. Otherwise the answer to send, or a promise of `null` when the handler
   * declined after all (a JWKS route with no public key): pass it on then too.
   */
  serve(from: R, method: string, path: string): Promise<HttpAnswer | null> | null;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * @param identifyWith - the auth that identifies the caller when no `authenticate` ran in
 *   front (anonymous allowed: the handler decides what anonymous gets), or `null` for a
 *   handler that needs no caller, as the token endpoint.
 */
export function hostRoutes<R>(
  routes: HostedRoutes,
  reads: HostReads<R>,
  identifyWith: AdapterAuth | null,
  realm: string,
): RouteHost<R> {
  async function answer(from: R, method: string, path: string): Promise<HttpAnswer | null> {
    const view = reads.view(from);
    let principal = reads.principal(from);
    if (principal === undefined) {
      principal = null;
      if (identifyWith !== null) {
        const outcome = await identify(identifyWith, view, true);
        if (!outcome.ok) return errorAnswer(outcome.error, realm);
        principal = outcome.principal;
      }
    }
    let body: unknown;
    if (BODY_METHODS.has(method)) {
      const read = await reads.body(from);
      if (!read.ok) return read.answer;
      body = read.body;
    }
    return routes.handle({
      method,
      path,
      query: reads.query(from),
      headers: view.headers,
      body,
      ip: view.ip,
      principal,
    });
  }
  return {
    serve(from, method, path) {
      return routes.matches(method, path) ? answer(from, method, path) : null;
    },
  };
}

/**
 * A mount prefix as given to an adapter (Koa's `prefix`): `""` or starting with `/`, without
 * a trailing slash. Throws a `TypeError` for anything else.
 */
export function mountPrefix(prefix: string): string {
  if (typeof prefix !== "string" || (prefix !== "" && !prefix.startsWith("/"))) {
    throw new TypeError(`gatehouse: prefix must start with "/" (got ${JSON.stringify(prefix)})`);
  }
  return prefix.replace(/\/+$/, "");
}

/** The path below `prefix` (from {@link mountPrefix}), or `null` when it is not under it. */
export function pathBelow(prefix: string, path: string): string | null {
  if (prefix === "") return path;
  if (path === prefix) return "/";
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : null;
}

/**
 * The path below a mount point given as the route pattern the request matched, as Hono
 * reports it after `app.route()` (e.g. `/orgs/:org/keys/*`): the pattern's segments, less
 * the wildcard, are the depth of the mount point, parameters included.
 */
export function pathBelowPattern(pattern: string, path: string): string {
  const depth = pattern.split("/").filter((s) => s !== "" && s !== "*").length;
  const segments = path.split("/").filter((s) => s !== "");
  return `/${segments.slice(depth).join("/")}`;
}

/** The path of a request target (`/token?cookie=1` → `/token`), as the router saw it. */
export function targetPath(target: string): string {
  const mark = target.indexOf("?");
  return mark === -1 ? target : target.slice(0, mark);
}

/** The query of a request target, parsed. */
export function targetQuery(target: string): URLSearchParams {
  const mark = target.indexOf("?");
  return new URLSearchParams(mark === -1 ? "" : target.slice(mark + 1));
}

/** The route sets every adapter mounts, by the name of the function that mounts them. */
export type RouteKind = "keyRoutes" | "tokenRoutes" | "wellKnownRoutes";

/** Where an adapter that matches the mount point itself (Koa, fetch, NestJS) serves a set. */
export interface MountOptions {
  /** The path the routes live under: `""` or starting with `/`. */
  prefix?: string;
}

/** What each {@link RouteKind} is made from: the auth and the options of its function. */
interface RouteSetArgs {
  keyRoutes: { auth: AdapterAuth; options: KeyRoutesOptions & MountOptions };
  tokenRoutes: { auth: TokenEndpointAuth; options: TokenRouteOptions & MountOptions };
  wellKnownRoutes: { auth: WellKnownAuth; options: WellKnownOptions };
}

/** One route set hosted in an adapter: what `keyRoutes`, `tokenRoutes` and `wellKnownRoutes` mount. */
export interface RouteSet<R> {
  /** The name of the adapter function, for the middleware it returns (stack traces name it). */
  readonly name: RouteKind;
  /**
   * {@link RouteHost.serve} for the path as the router saw it: `null`, synchronously, for a
   * path outside the mount prefix or a request that is none of the set's routes.
   */
  serve(from: R, method: string, path: string): Promise<HttpAnswer | null> | null;
}

/**
 * The route set `kind` of `auth`, hosted with `reads`: the core handler, who identifies the
 * caller (the key routes identify one when no `authenticate` ran; the token endpoint and the
 * discovery documents need none), the realm of refusals and, with `prefixed`, the mount
 * prefix from `options.prefix` (default `/keys` for the key routes, `""` for the token
 * routes; the discovery documents live at the root). Without `prefixed` the framework mounts
 * the set and hands over the path below its mount point.
 */
export function routeSet<R, K extends RouteKind>(
  kind: K,
  auth: RouteSetArgs[K]["auth"],
  options: RouteSetArgs[K]["options"],
  reads: HostReads<R>,
  prefixed = false,
): RouteSet<R> {
  let routes: HostedRoutes;
  let identifyWith: AdapterAuth | null = null;
  let prefix = "";
  if (kind === "keyRoutes") {
    const args = { auth, options } as RouteSetArgs["keyRoutes"];
    routes = createKeyRoutes(args.auth, args.options);
    identifyWith = args.auth;
    if (prefixed) prefix = mountPrefix(args.options.prefix ?? DEFAULT_KEY_ROUTES_PREFIX);
  } else if (kind === "tokenRoutes") {
    const args = { auth, options } as RouteSetArgs["tokenRoutes"];
    routes = createTokenEndpoint(args.auth, args.options);
    if (prefixed) prefix = mountPrefix(args.options.prefix ?? "");
  } else {
    const args = { auth, options } as RouteSetArgs["wellKnownRoutes"];
    routes = createWellKnownRoutes(args.auth, args.options);
  }
  const host = hostRoutes(routes, reads, identifyWith, realmOf(auth));
  return {
    name: kind,
    serve(from, method, path) {
      const below = pathBelow(prefix, path);
      return below === null ? null : host.serve(from, method, below);
    },
  };
}

/** `fn`, named `name`: the adapters' middleware carry the name of the function that made it. */
export function named<F extends (...args: never[]) => unknown>(name: string, fn: F): F {
  Object.defineProperty(fn, "name", { value: name });
  return fn;
}
