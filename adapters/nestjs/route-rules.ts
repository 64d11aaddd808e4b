/**
 * The decorators that say how a route is guarded, and the rule the guard reads from them.
 * Kept in a WeakMap keyed by the class or the handler rather than in reflect-metadata: the
 * guard reads one precomputed rule per route, and nothing here depends on decorator
 * metadata being emitted by the compiler.
 */
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { Guard } from "../../src/http/guard.js";
import { rolesGuard, scopesGuard } from "../../src/http/guard.js";

type Access = "public" | "optional";

interface Marks {
  access?: Access;
  auth?: AdapterAuth;
  requirements: Guard[];
}

/** What the guard does on one route, worked out once from the decorators. */
export interface RouteRule {
  /** `public`: nothing is read; `optional`: anonymous passes; `required`: a credential is needed. */
  readonly access: Access | "required";
  /** The auth of `@UseAuth`, or `undefined` for the module's. */
  readonly auth: AdapterAuth | undefined;
  /** `@Scopes` and `@Roles` of the class, then of the handler; every one must pass. */
  readonly requirements: readonly Guard[];
}

/** A decorator for a controller class or one of its handlers. */
export type RouteDecorator = ClassDecorator & MethodDecorator;

const marks = new WeakMap<object, Marks>();

function marksOf(target: object): Marks {
  let found = marks.get(target);
  if (found === undefined) {
    found = { requirements: [] };
    marks.set(target, found);
  }
  return found;
}

function routeDecorator(mark: (marks: Marks) => void): RouteDecorator {
  // On a class the target is the class; on a method, the handler function Nest calls.
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    mark(marksOf((descriptor?.value as object | undefined) ?? target));
  };
}

/**
 * No credential is read on this route or controller: the guard lets every request through
 * and `@CurrentUser()` is `null`. `@Scopes` and `@Roles` that apply to the route still do,
 * so a `@Public()` handler in a `@Roles("admin")` controller stays admin-only.
 */
export function Public(): RouteDecorator {
  return routeDecorator((m) => (m.access = "public"));
}

/**
 * A request without any credential passes as anonymous (`@CurrentUser()` is `null`); a
 * credential that is present but bad is still refused, never downgraded to anonymous.
 */
export function OptionalAuth(): RouteDecorator {
  return routeDecorator((m) => (m.access = "optional"));
}

/**
 * Verifies this route's or controller's callers with another `Auth` than the module's (a
 * partner API with a key store of its own). `@Scopes`, `@Roles` and the access decorators
 * apply as usual; refusals carry that auth's realm.
 */
export function UseAuth(auth: AdapterAuth): RouteDecorator {
  return routeDecorator((m) => (m.auth = auth));
}

/** 401 when anonymous, 403 `insufficient_scope` unless the principal holds every scope. */
export function Scopes(...scopes: string[]): RouteDecorator {
  // Built now, so that `@Scopes()` without a scope fails when the class is defined.
  const guard = scopesGuard(scopes);
  return routeDecorator((m) => m.requirements.push(guard));
}

/** 401 when anonymous, 403 `forbidden` unless the principal holds one of the roles. */
export function Roles(...roles: string[]): RouteDecorator {
  const guard = rolesGuard(roles);
  return routeDecorator((m) => m.requirements.push(guard));
}

const rules = new WeakMap<object, WeakMap<object, RouteRule>>();

/**
 * The marks of a controller and of the classes it extends: the nearest access and auth,
 * and the requirements of all of them, so that a subclass cannot shed its parent's.
 */
function classMarks(controller: object): Marks {
  const merged: Marks = { requirements: [] };
  for (let c: object | null = controller; c !== null && c !== Function.prototype;) {
    const own = marks.get(c);
    if (own !== undefined) {
      merged.access ??= own.access;
      merged.auth ??= own.auth;
      merged.requirements.unshift(...own.requirements);
    }
    c = Object.getPrototypeOf(c) as object | null;
  }
  return merged;
}

function ruleFrom(handler: Marks | undefined, controller: Marks | undefined): RouteRule {
  const requirements = [...(controller?.requirements ?? []), ...(handler?.requirements ?? [])];
  const auth = handler?.auth ?? controller?.auth;
  // A requirement needs a principal to check: with one, the route is never anonymous.
  if (requirements.length > 0) return { access: "required", auth, requirements };
  return { access: handler?.access ?? controller?.access ?? "required", auth, requirements };
}

/**
 * The rule of a handler in a controller class (the handler's own access and auth win over
 * the class's; requirements of both apply). Computed on the first request, then kept.
 */
export function ruleOf(handler: object, controller: object): RouteRule {
  let byHandler = rules.get(controller);
  if (byHandler === undefined) {
    byHandler = new WeakMap();
    rules.set(controller, byHandler);
  }
  let rule = byHandler.get(handler);
  if (rule === undefined) {
    rule = ruleFrom(marks.get(handler), classMarks(controller));
    byHandler.set(handler, rule);
  }
  return rule;
}
