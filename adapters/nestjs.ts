/**
 * gatehouse for NestJS 11, on the Express and the Fastify platform: translation only.
 * `GatehouseModule.forRoot(auth)` provides the auth and {@link AuthGuard}; the decorators
 * {@link Public}, {@link OptionalAuth}, {@link UseAuth}, {@link Scopes} and {@link Roles}
 * say how a route is guarded, and {@link CurrentUser} hands the principal to a handler.
 * Refusals are {@link AuthRefusal} exceptions, sent as the core's answer by
 * {@link AuthRefusalFilter}.
 */
export { AuthGuard } from "./nestjs/guard.js";
export { AuthRefusal, AuthRefusalFilter } from "./nestjs/refusal.js";
export { GatehouseModule } from "./nestjs/module.js";
export { GATEHOUSE_AUTH, GATEHOUSE_OPTIONS } from "./nestjs/options.js";
export type { GatehouseModuleOptions, MountOptions } from "./nestjs/options.js";
export { CurrentUser, getCurrentUser } from "./nestjs/request.js";
export type { PlatformRequest, Register, RegisteredUser } from "./nestjs/request.js";
export { OptionalAuth, Public, Roles, Scopes, UseAuth } from "./nestjs/route-rules.js";
export type { RouteDecorator } from "./nestjs/route-rules.js";
export { keyRoutes, tokenRoutes, wellKnownRoutes } from "./nestjs/routes.js";
export type { WellKnownOptions } from "../src/http/well-known.js";
export type { NodeMiddleware } from "./nestjs/routes.js";
