/**
 * The key routes, the token endpoint and the discovery documents as encapsulated Fastify
 * plugins, registered under a prefix.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { KeyRoutesOptions } from "../../src/http/key-routes.js";
import { nodeBodySource } from "../../src/http/node-request.js";
import { DEFAULT_BODY_LIMIT, readBody, type BodyResult } from "../../src/http/read-body.js";
import type { HostReads, RouteSet } from "../../src/http/route-host.js";
import {
  named,
  pathBelowPattern,
  routeSet,
  targetPath,
  targetQuery,
} from "../../src/http/route-host.js";
import type { WellKnownAuth, WellKnownOptions } from "../../src/http/well-known.js";
import type { TokenEndpointAuth } from "../../src/tokens/grants.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import { sendToReply as send } from "../shared/node-answer.js";
import { state, viewOf } from "./request.js";

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
 * A route set as an encapsulated plugin serving `routes` below its prefix; a request there
 * that is none of the set's own gets Fastify's not-found answer.
 */
function routePlugin(set: RouteSet<FastifyRequest>, routes: string[]): FastifyPluginAsync {
  function serve(mount: string, request: FastifyRequest, reply: FastifyReply): void {
    const path = pathBelowPattern(mount, targetPath(request.url));
    const pending = set.serve(request, request.method, path);
    if (pending === null) return void reply.callNotFound();
    pending
      .then((answer) => (answer === null ? reply.callNotFound() : send(reply, answer)))
      .catch((error: unknown) => reply.send(error));
  }
  return named(set.name, async (instance: Parameters<FastifyPluginAsync>[0]): Promise<void> => {
    // Inside this plugin's scope only: sibling routes keep the app's own parsers.
    if (!instance.hasContentTypeParser(FORM)) instance.addContentTypeParser(FORM, parseForm);
    // The prefix as registered, parameters included (`/orgs/:org/keys`): its depth is the
    // mount point's, whatever the parameters' values.
    const mount = `${instance.prefix}/*`;
    const handler = (request: FastifyRequest, reply: FastifyReply) => serve(mount, request, reply);
    // Key and token requests are tiny; Fastify's JSON parser gets the same bound as ours.
    for (const url of routes) instance.all(url, { bodyLimit: DEFAULT_BODY_LIMIT }, handler);
    return Promise.resolve();
  });
}

/** Every path below the prefix, the prefix itself included. */
const BELOW = ["/", "/*"];

/**
 * The key-management routes as a plugin:
 * `await app.register(keyRoutes(auth), { prefix: "/users/keys" })`. Without an
 * `authenticate` hook in front, the plugin identifies the caller itself.
 */
export function keyRoutes(auth: AdapterAuth, options: KeyRoutesOptions = {}): FastifyPluginAsync {
  return routePlugin(routeSet("keyRoutes", auth, options, reads), BELOW);
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
  return routePlugin(routeSet("tokenRoutes", auth, options, reads), BELOW);
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
  return routePlugin(routeSet("wellKnownRoutes", auth, options, reads), ["/.well-known/*"]);
}
