/**
 * The guard: verifies the request's credential with the core, applies the route's rule
 * (`@Public`, `@OptionalAuth`, `@UseAuth`, `@Scopes`, `@Roles`) and refuses by throwing an
 * {@link AuthRefusal}.
 */
import type { CanActivate, ExecutionContext } from "@nestjs/common";
import { Inject, Injectable } from "@nestjs/common";
import type { AuthError } from "../../src/errors.js";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import { refusalAnswer } from "../../src/http/adapter-auth.js";
import { refusalSettings } from "../../src/http/well-known.js";
import type { Identified, Identifier } from "../../src/http/identify.js";
import { createIdentifier, identifyThen } from "../../src/http/identify.js";
import type { Principal } from "../../src/types.js";
import type { GatehouseModuleOptions } from "./options.js";
import { GATEHOUSE_AUTH, GATEHOUSE_OPTIONS } from "./options.js";
import type { PlatformRequest } from "./request.js";
import { AuthRefusal } from "./refusal.js";
import { nodeRequestOf, recorded, viewOf } from "./request.js";
import type { RouteRule } from "./route-rules.js";
import { ruleOf } from "./route-rules.js";

interface Identifiers {
  required: Identifier<Principal>;
  optional: Identifier<Principal>;
}

/**
 * Guards HTTP routes with gatehouse. Register it for the whole app
 * (`{ provide: APP_GUARD, useClass: AuthGuard }`), on a controller or on a route
 * (`@UseGuards(AuthGuard)`), with `GatehouseModule.forRoot(auth)` imported; or construct
 * it yourself (`@UseGuards(new AuthGuard(auth))`) without the module, and register
 * {@link AuthRefusalFilter} too.
 *
 * A route with no decorator needs a credential. A CORS preflight passes that as anonymous,
 * as every adapter's `authenticate` does (it carries no credential), and `@Scopes` and
 * `@Roles` refuse it like any anonymous request.
 */
export class AuthGuard implements CanActivate {
  readonly #auth: AdapterAuth;
  readonly #onError: GatehouseModuleOptions["onError"];
  readonly #identifiers = new WeakMap<AdapterAuth, Identifiers>();

  constructor(auth: AdapterAuth, options: GatehouseModuleOptions = {}) {
    this.#auth = auth;
    this.#onError = options.onError;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== "http") {
      // Failing closed: a guard that cannot read the request must not let it through.
      throw new TypeError("gatehouse: AuthGuard guards HTTP requests only");
    }
    const rule = ruleOf(context.getHandler(), context.getClass());
    if (rule.access === "public" && rule.requirements.length === 0) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<PlatformRequest>();
    const auth = rule.auth ?? this.#auth;
    const node = nodeRequestOf(req);
    const earlier = recorded.get(node);
    // A second gatehouse guard on the same route (global and per controller) has nothing
    // to add: the same rule with the same auth gives the same outcome.
    if (earlier !== undefined && earlier.rule === rule && earlier.auth === auth) return true;
    const identifier = this.#identifier(auth, rule.access === "optional");
    return identifyThen(identifier, viewOf(req), this.#settle, rule, auth, req);
  }

  #identifier(auth: AdapterAuth, optional: boolean): Identifier<Principal> {
    let made = this.#identifiers.get(auth);
    if (made === undefined) {
      made = { required: createIdentifier(auth, false), optional: createIdentifier(auth, true) };
      this.#identifiers.set(auth, made);
    }
    return optional ? made.optional : made.required;
  }

  // A field made once, not a method bound per request: identifyThen hands it the request.
  readonly #settle = (
    outcome: Identified<Principal>,
    rule: RouteRule,
    auth: AdapterAuth,
    req: PlatformRequest,
  ): true => {
    if (!outcome.ok) return this.#refuse(outcome.error, auth, req);
    for (const requirement of rule.requirements) {
      const error = requirement(outcome.principal);
      if (error) return this.#refuse(error, auth, req);
    }
    recorded.set(nodeRequestOf(req), { principal: outcome.principal, rule, auth });
    return true;
  };

  #refuse(error: AuthError, auth: AdapterAuth, req: PlatformRequest): never {
    const answer = refusalAnswer(error, refusalSettings(auth, this.#onError), req);
    throw new AuthRefusal(error, answer);
  }
}

// Applied as functions, not as decorator syntax: the build needs no decorator support, and
// the constructor's dependencies are named by token rather than by emitted type metadata.
Injectable()(AuthGuard);
Inject(GATEHOUSE_AUTH)(AuthGuard, undefined, 0);
Inject(GATEHOUSE_OPTIONS)(AuthGuard, undefined, 1);
