/**
 * The key routes, the token endpoint and the discovery documents as web-standard handlers:
 * a `Request` in, a `Response` out, or `null` for a request that is none of theirs.
 */
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { KeyRoutesOptions } from "../../src/http/key-routes.js";
import type { HostReads, RouteSet } from "../../src/http/route-host.js";
import { named, routeSet } from "../../src/http/route-host.js";
import { readWebBody, webResponse } from "../../src/http/web-request.js";
import type { WellKnownAuth, WellKnownOptions } from "../../src/http/well-known.js";
import type { TokenEndpointAuth } from "../../src/tokens/grants.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import type { AddressOptions, ClientAddress } from "./request.js";
import { principals, viewOf } from "./request.js";

/**
 * A handler for a few routes: their response, or `null` when the request is not one of
 * them (so that you can answer it yourself).
 */
export type RouteHandler<Args extends unknown[] = unknown[]> = (
  req: Request,
  ...args: Args
) => Promise<Response | null>;

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
  args: unknown[];
  addressOf: ClientAddress<never[]> | undefined;
}

const reads: HostReads<Call> = {
  // `undefined` when withAuth did not see the request: the host then identifies the caller.
  principal: ({ req }) => principals.get(req),
  view: ({ req, args, addressOf }) => viewOf(req, args as never[], addressOf),
  // Once consumed, a Request keeps no copy: `text()` rejects and the answer is a 400.
  body: ({ req }) => readWebBody(req, () => req.text()),
  query: ({ req }) => new URL(req.url).searchParams,
};

/** A route set as a handler; a request that is none of its own resolves to `null` at once. */
function handlerOf<Args extends unknown[]>(
  set: RouteSet<Call>,
  addressOf: ClientAddress<Args> | undefined,
): RouteHandler<Args> {
  return named(set.name, async (req: Request, ...args: Args) => {
    const call: Call = { req, args, addressOf: addressOf as ClientAddress<never[]> | undefined };
    const pending = set.serve(call, req.method, new URL(req.url).pathname);
    const answer = pending === null ? null : await pending;
    return answer === null ? null : webResponse(answer);
  });
}

/**
 * The key-management routes under `prefix` (default `/keys`), as a function that answers
 * their requests and resolves to `null` for any other, leaving its body unread. The caller
 * is the one `withAuth` recorded for this request, or else is identified here (the
 * routes answer anonymous callers with 401).
 */
export function keyRoutes<Args extends unknown[] = []>(
  auth: AdapterAuth,
  options: KeyRoutesOptions & MountOptions & AddressOptions<Args> = {},
): RouteHandler<Args> {
  return handlerOf(routeSet("keyRoutes", auth, options, reads, true), options.clientAddress);
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
  return handlerOf(routeSet("tokenRoutes", auth, options, reads, true), options.clientAddress);
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
  return handlerOf(routeSet("wellKnownRoutes", auth, options, reads, true), undefined);
}
