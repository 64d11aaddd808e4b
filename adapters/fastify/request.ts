/**
 * What the Fastify adapter keeps per request and reads from it, shared by its hooks and its
 * route plugins.
 */
import type { FastifyRequest } from "fastify";
import type { RefusalSettings } from "../../src/http/adapter-auth.js";
import { nodeRequestView } from "../../src/http/node-request.js";
import type { Principal, RequestView } from "../../src/types.js";

/** What `authenticate` hands the guards: the realm, the refusal hook, the metadata URL. */
export type Settings = RefusalSettings<FastifyRequest> & {
  resourceMetadata: string | undefined;
};
/** What `authenticate` recorded for a request. */
export type Stored = { principal: Principal | null; settings: Settings };

// A WeakMap rather than a property: an undeclared property changes the shape of Fastify's
// request objects, and `decorateRequest` needs the instance, which a hook factory has not.
export const state = new WeakMap<FastifyRequest, Stored>();

// Fastify 5's `host` keeps the port; Fastify 4 has only `hostname`, which keeps it there.
// Both honour `trustProxy` (X-Forwarded-Host, X-Forwarded-Proto).
const hostOf = (request: FastifyRequest): string =>
  (request as { host?: string }).host ?? request.hostname;

const urlOf = (request: FastifyRequest): string =>
  `${request.protocol}://${hostOf(request)}${request.url}`;

// `request.ip` honours the app's `trustProxy` setting; the raw socket address would not.
const ipOf = (request: FastifyRequest): string | undefined => request.ip;

/** The request as the core reads it. */
export function viewOf(request: FastifyRequest): RequestView {
  return nodeRequestView(request.raw, request, urlOf, ipOf);
}
