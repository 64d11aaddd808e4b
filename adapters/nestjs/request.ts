/**
 * What the guard, the parameter decorator and the route middleware read from a request on
 * either platform: Express hands Nest its `Request` (a Node `IncomingMessage`), Fastify a
 * `FastifyRequest` whose `raw` is one, and Nest middleware gets the Node request on both.
 * The principal is kept in a WeakMap keyed by the Node request, the one object all three
 * share, so `req.user` (passport) is left alone.
 */
import type { IncomingMessage } from "node:http";
import type { ExecutionContext } from "@nestjs/common";
import { createParamDecorator } from "@nestjs/common";
import { nodeRequestView } from "../../src/http/node-request.js";
import type { Principal, RequestView } from "../../src/types.js";

/**
 * The request as Nest hands it over, Express's or Fastify's, or the Node request itself in
 * a middleware. Both platforms' requests have these members; Fastify's `raw` is the Node
 * request, and in a middleware on Fastify they are copied onto it.
 */
export interface PlatformRequest {
  /** `http` or `https`, as the platform reports it (honouring its trust-proxy setting). */
  readonly protocol?: string;
  /** The request target as the client sent it, below no mount point. */
  readonly originalUrl?: string;
  /** The request target (Express: below the mount point, in a mounted middleware). */
  readonly url?: string;
  /** The client address, honouring the platform's trust-proxy setting. */
  readonly ip?: string;
  /** Fastify: the Node request. */
  readonly raw?: unknown;
}

const isNodeRequest = (value: unknown): value is IncomingMessage =>
  typeof value === "object" && value !== null && "rawHeaders" in value;

/** The Node request behind a platform's request. */
export function nodeRequestOf(req: PlatformRequest): IncomingMessage {
  return isNodeRequest(req.raw) ? req.raw : (req as IncomingMessage);
}

/** The request target as the client sent it. */
export const targetOf = (req: PlatformRequest): string => req.originalUrl ?? req.url ?? "/";

// The Host line itself, port included: Fastify 5's `hostname` drops the port, and the
// cookie CSRF rule compares Origin with this origin, port and all.
const urlOf = (req: PlatformRequest): string =>
  `${req.protocol ?? "http"}://${nodeRequestOf(req).headers.host ?? "localhost"}${targetOf(req)}`;

const ipOf = (req: PlatformRequest): string | undefined => req.ip;

export function viewOf(req: PlatformRequest): RequestView {
  return nodeRequestView(nodeRequestOf(req), req, urlOf, ipOf);
}

/** What a guard recorded for a request: who, and under which rule and auth. */
export interface Recorded {
  principal: Principal | null;
  rule: object;
  auth: object;
}

export const recorded = new WeakMap<IncomingMessage, Recorded>();

/**
 * Opt-in typing of {@link getCurrentUser} without naming the type at each call:
 *
 * ```ts
 * declare module "gatehouse/nestjs" {
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
 * The authenticated principal of a request (Express's, Fastify's or the Node request), or
 * `null` when anonymous, on a `@Public()` route, or before the guard ran.
 */
export function getCurrentUser<TUser extends Principal = RegisteredUser>(
  req: PlatformRequest,
): TUser | null {
  return (recorded.get(nodeRequestOf(req))?.principal as TUser | null | undefined) ?? null;
}

function currentUser(property: keyof Principal | undefined, context: ExecutionContext): unknown {
  const user = getCurrentUser(context.switchToHttp().getRequest<PlatformRequest>());
  if (property === undefined || user === null) return user;
  return user[property];
}

/**
 * The handler parameter that receives the principal (`null` when anonymous), or one of its
 * fields with `@CurrentUser("id")`. Type the parameter yourself:
 * `@CurrentUser() user: AppUser | null`.
 */
export const CurrentUser: (property?: keyof Principal) => ParameterDecorator =
  createParamDecorator(currentUser);
