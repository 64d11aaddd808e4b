/** The injection tokens of the module and the options it takes. */
import type { WellKnownAuth, WellKnownOptions } from "../../src/http/well-known.js";
import type { AuthError } from "../../src/errors.js";
import type { AdapterAuth } from "../../src/http/adapter-auth.js";
import type { HttpAnswer } from "../../src/http/answer.js";
import type { KeyRoutesOptions } from "../../src/http/key-routes.js";
import type { TokenEndpointAuth } from "../../src/tokens/grants.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import type { PlatformRequest } from "./request.js";

/** The injection token of the `Auth` given to `GatehouseModule.forRoot`. */
export const GATEHOUSE_AUTH: unique symbol = Symbol("gatehouse.auth");

/** The injection token of the options given to `GatehouseModule.forRoot`. */
export const GATEHOUSE_OPTIONS: unique symbol = Symbol("gatehouse.options");

/** Where {@link keyRoutes} and {@link tokenRoutes} are served. */
export interface MountOptions {
  /**
   * The path the routes live under, as the client sends it (a global prefix included),
   * e.g. `/users/keys`. Default `/keys` for key routes, `""` for token routes.
   */
  prefix?: string;
}

/** Options of `GatehouseModule.forRoot`. */
export interface GatehouseModuleOptions<A extends AdapterAuth = AdapterAuth> {
  /**
   * Reshapes refusals: receives the error, the default answer (core status,
   * `WWW-Authenticate`, problem body) and the platform's request, and returns the answer to
   * send. Default: the default answer.
   */
  onError?: (error: AuthError, answer: HttpAnswer, request: PlatformRequest) => HttpAnswer;
  /** Serves the key-management routes under `prefix` (default `/keys`). Default: not served. */
  keyRoutes?: KeyRoutesOptions & MountOptions;
  /**
   * Serves the token endpoint under `prefix` (default `""`): `POST {prefix}/token`,
   * `POST {prefix}/logout`, and `GET {prefix}/.well-known/jwks.json` for asymmetric keys.
   * Default: not served.
   */
  tokenRoutes?: A extends TokenEndpointAuth ? TokenRouteOptions & MountOptions : never;
  /**
   * Serves the OAuth discovery documents at the root (RFC 9728, and RFC 8414 when this
   * server issues tokens); `true` for the defaults. Default: not served.
   */
  wellKnownRoutes?: A extends WellKnownAuth ? WellKnownOptions | true : never;
}
