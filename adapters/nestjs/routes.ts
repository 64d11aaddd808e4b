/**
 * The key routes and the token endpoint as Nest middleware. Middleware runs on the Node
 * request and response on both platforms (Fastify's middleware layer hands over `raw`), so
 * one function serves Express and Fastify alike; it runs before guards and routing, and
 * identifies the caller itself.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { KeyRoutesOptions } from "../../src/http/key-routes.js";
import { nodeBodySource } from "../../src/http/node-request.js";
import { readBody } from "../../src/http/read-body.js";
import type { HostReads, RouteSet } from "../../src/http/route-host.js";
import { named, routeSet, targetPath, targetQuery } from "../../src/http/route-host.js";
import type { TokenEndpointAuth } from "../../src/tokens/grants.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import type { WellKnownAuth, WellKnownOptions } from "../../src/http/well-known.js";
import type { MountOptions } from "./options.js";
import type { PlatformRequest } from "./request.js";
import { sendAnswer } from "./refusal.js";
import { targetOf, viewOf } from "./request.js";

/** A Nest functional middleware: `consumer.apply(keyRoutes(auth)).forRoutes("*")`. */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void | Promise<void>;

type MiddlewareRequest = IncomingMessage & PlatformRequest & { body?: unknown; _body?: boolean };

// On Express, Nest's body parsers run before any middleware; what they parsed is on
// `req.body`. On Fastify, middleware runs before Fastify parses, so the stream is unread.
const parsedAlready = (req: MiddlewareRequest): boolean => req.readableEnded || req._body === true;

const reads: HostReads<MiddlewareRequest> = {
  // Middleware runs before any guard: no principal is recorded yet.
  principal: () => undefined,
  view: viewOf,
  body: (req) =>
    parsedAlready(req)
      ? Promise.resolve({ ok: true, body: req.body })
      : readBody(nodeBodySource(req)),
  query: (req) => targetQuery(targetOf(req)),
};

/** A route set as middleware; requests that are not its own go on at once. */
function mount(set: RouteSet<MiddlewareRequest>): NodeMiddleware {
  return named<NodeMiddleware>(set.name, (req, res, next) => {
    const pending = set.serve(req, req.method ?? "GET", targetPath(targetOf(req)));
    if (pending === null) return next();
    // A rejection reaches Nest's exception layer, which wraps every middleware.
    return pending.then((answer) => (answer === null ? next() : sendAnswer(res, answer)));
  });
}

/**
 * The key-management routes under `prefix` (default `/keys`), as middleware for
 * `consumer.apply(…).forRoutes("*")`; requests that are not theirs go on at once, their
 * body unread. `GatehouseModule.forRoot(auth, { keyRoutes })` applies it for you.
 */
export function keyRoutes(
  auth: AdapterAuth,
  options: KeyRoutesOptions & MountOptions = {},
): NodeMiddleware {
  return mount(routeSet("keyRoutes", auth, options, reads, true));
}

/**
 * The token endpoint under `prefix` (default `""`): `POST {prefix}/token`,
 * `POST {prefix}/logout` and, for asymmetric keys, `GET {prefix}/.well-known/jwks.json`.
 * `GatehouseModule.forRoot(auth, { tokenRoutes })` applies it for you.
 */
export function tokenRoutes(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions & MountOptions = {},
): NodeMiddleware {
  return mount(routeSet("tokenRoutes", auth, options, reads, true));
}

/**
 * The OAuth discovery documents at the root of the app: `GET
 * /.well-known/oauth-protected-resource` (RFC 9728) and, when this server issues tokens,
 * `GET /.well-known/oauth-authorization-server` (RFC 8414). A global prefix does not apply:
 * well-known paths are the origin's. `GatehouseModule.forRoot(auth, { wellKnownRoutes })`
 * applies it for you.
 */
export function wellKnownRoutes(
  auth: WellKnownAuth,
  options: WellKnownOptions = {},
): NodeMiddleware {
  return mount(routeSet("wellKnownRoutes", auth, options, reads, true));
}
