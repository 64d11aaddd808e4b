/**
 * A gatehouse adapter for plain `node:http`, written with the shared kit in `src/http` as
 * docs/writing-an-adapter.md walks through it. It passes the behaviour table every shipped
 * adapter passes (test/adapters/custom-adapter.test.ts).
 *
 * `node:http` has no middleware chain, so the adapter brings the smallest one: a step is
 * `(req, res, next) => void`, and {@link chain} runs steps in order. The principal is kept
 * in a WeakMap keyed by the request.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { AuthError } from "../../src/errors.js";
import type { AdapterAuth, RefusalSettings } from "../../src/http/adapter-auth.js";
import { realmOf, refusalAnswer } from "../../src/http/adapter-auth.js";
import type { HttpAnswer } from "../../src/http/answer.js";
import { guardSet, unauthenticatedGuard, type Guard } from "../../src/http/guard.js";
import {
  createIdentifier,
  identifiedBefore,
  identifyThen,
  type IdentifyOptions,
} from "../../src/http/identify.js";
import { createKeyRoutes, type KeyRoutesOptions } from "../../src/http/key-routes.js";
import { nodeBodySource, nodeRequestView } from "../../src/http/node-request.js";
import { answerText } from "../../src/http/problem.js";
import { readBody } from "../../src/http/read-body.js";
import type { HostedRoutes, HostReads } from "../../src/http/route-host.js";
import {
  hostRoutes,
  mountPrefix,
  pathBelow,
  targetPath,
  targetQuery,
} from "../../src/http/route-host.js";
import {
  createWellKnownRoutes,
  refusalSettings,
  type WellKnownAuth,
  type WellKnownOptions,
} from "../../src/http/well-known.js";
import type { TokenEndpointAuth } from "../../src/tokens/grants.js";
import { createTokenEndpoint, type TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import type { Principal } from "../../src/types.js";

/** One step of a request: it answers, or calls `next()` to let the following step run. */
export type Step = (req: IncomingMessage, res: ServerResponse, next: () => void) => unknown;

/** Runs `steps` in order; past the last one the answer is a 404. */
export function chain(...steps: Step[]): RequestListener {
  return function run(req, res) {
    // A step that fails is the application's error: a bare 500, never an auth answer.
    const fail = () => {
      if (!res.headersSent) send(res, { status: 500, headers: {} });
    };
    const at = (i: number): void => {
      const step = steps[i];
      if (step === undefined) return send(res, { status: 404, headers: {} });
      try {
        Promise.resolve(step(req, res, () => at(i + 1))).catch(fail);
      } catch {
        fail();
      }
    };
    at(0);
  };
}

type Settings = RefusalSettings<IncomingMessage> & {
  resourceMetadata: string | undefined;
};
const state = new WeakMap<IncomingMessage, { principal: Principal | null; settings: Settings }>();

/** 1. Translate an answer: status, headers, body, field for field. */
function send(res: ServerResponse, answer: HttpAnswer): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.end(answerText(answer));
}

/**
 * 2. Build the view the core reads. Plain node:http knows no proxy: the URL is built from
 * `Host`, and the address is the socket's (nodeRequestView's default).
 */
const urlOf = (req: IncomingMessage): string =>
  `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
const viewOf = (req: IncomingMessage) => nodeRequestView(req, req, urlOf);

/** Options of {@link authenticate}. */
export interface AuthenticateOptions extends IdentifyOptions {
  /** Reshapes refusals; guards after this step use it too. */
  onError?: Settings["onError"];
}

/**
 * 3. Identify the caller, refuse or record the principal, and go on. A request this same
 * auth identified before (an app-wide optional step, then one on the route) goes on with
 * the principal it has: identifying it again would count it twice against its key's rate
 * limit and credits.
 */
export function authenticate(auth: AdapterAuth, options: AuthenticateOptions = {}): Step {
  const identifier = createIdentifier(auth, options.optional ?? false);
  // The realm, onError and the metadata URL that challenges name (RFC 9728).
  const settings: Settings = refusalSettings(auth, options.onError);
  return function authenticateStep(req, res, next) {
    const stored = state.get(req);
    if (identifiedBefore(auth, stored?.settings, stored?.principal)) return next();
    return identifyThen(identifier, viewOf(req), (outcome) => {
      if (!outcome.ok) return send(res, refusalAnswer(outcome.error, settings, req));
      state.set(req, { principal: outcome.principal, settings });
      next();
    });
  };
}

/** 4. The guards: one way of running a guard, and guardSet makes all three from it. */
const guards = guardSet(
  (name: string, guard: Guard): Step =>
    function guardStep(req, res, next) {
      const recorded = state.get(req);
      if (recorded === undefined) throw unauthenticatedGuard(name);
      const error: AuthError | null = guard(recorded.principal);
      if (error) return send(res, refusalAnswer(error, recorded.settings, req));
      next();
    },
);
/** 401 unless a principal was authenticated. */
export const requireAuth = guards.requireAuth;
/** 401 when anonymous, 403 `insufficient_scope` unless the principal holds every scope. */
export const requireScopes = guards.requireScopes;
/** 401 when anonymous, 403 `forbidden` unless the principal holds one of the roles. */
export const requireRoles = guards.requireRoles;

/** The authenticated principal, or `null` when anonymous or before `authenticate`. */
export function getCurrentUser(req: IncomingMessage): Principal | null {
  return state.get(req)?.principal ?? null;
}

/** 5. Host the key and token routes: the few reads the host needs, made once. */
const reads: HostReads<IncomingMessage> = {
  principal: (req) => state.get(req)?.principal,
  view: viewOf,
  body: (req) => readBody(nodeBodySource(req)),
  query: (req) => targetQuery(req.url ?? "/"),
};

function routeStep(
  routes: HostedRoutes,
  identifyWith: AdapterAuth | null,
  realm: string,
  prefix: string,
): Step {
  const host = hostRoutes(routes, reads, identifyWith, realm);
  return async function routesStep(req, res, next) {
    const path = pathBelow(prefix, targetPath(req.url ?? "/"));
    const pending = path === null ? null : host.serve(req, req.method ?? "GET", path);
    const answer = pending === null ? null : await pending;
    if (answer === null) return next();
    send(res, answer);
  };
}

/** The key-management routes under `prefix`. */
export function keyRoutes(auth: AdapterAuth, options: KeyRoutesOptions & { prefix: string }): Step {
  return routeStep(
    createKeyRoutes(auth, options),
    auth,
    realmOf(auth),
    mountPrefix(options.prefix),
  );
}

/** The token endpoint under `prefix`: `POST {prefix}/token`, `POST {prefix}/logout`. */
export function tokenRoutes(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions & { prefix: string },
): Step {
  // The token endpoint needs no caller: nothing is identified for it.
  return routeStep(
    createTokenEndpoint(auth, options),
    null,
    realmOf(auth),
    mountPrefix(options.prefix),
  );
}

/** The discovery documents (RFC 9728, RFC 8414) at their `/.well-known/…` paths. */
export function wellKnownRoutes(auth: WellKnownAuth, options: WellKnownOptions = {}): Step {
  return routeStep(createWellKnownRoutes(auth, options), null, realmOf(auth), "");
}
