/**
 * OAuth discovery: the `protectedResource` option checked and resolved (RFC 9728), the
 * metadata URL its challenges point at, and the well-known routes every adapter mounts at
 * the root of the app: the protected resource's metadata (RFC 9728 §3) and, when this
 * server issues tokens, the authorization server's (RFC 8414 §3). Adapters only translate.
 */
import { settleWith, type Ready } from "../decide/settle.js";
import { withResourceMetadata } from "../errors.js";
import { hasScopeSyntax } from "../manage/key-input.js";
import type {
  AuthConfig,
  ProtectedResourceOptions,
  ResolvedProtectedResource,
} from "../options/auth-options.js";
import { realmOf } from "./adapter-auth.js";
import type { HttpAnswer } from "./answer.js";
import type { HostedRoutes } from "./route-host.js";
import type { AuthResult, Principal } from "../types.js";

const PROTECTED_RESOURCE = "/.well-known/oauth-protected-resource";
const AUTHORIZATION_SERVER = "/.well-known/oauth-authorization-server";
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An https URL (http for localhost only) without credentials, query or fragment. */
function checkUrl(value: unknown, member: string): URL {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`gatehouse: ${member} must be a URL string`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new TypeError(`gatehouse: ${member} is not a URL: ${JSON.stringify(value)}`, { cause });
  }
  const local = url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !local) {
    throw new TypeError(`gatehouse: ${member} must use https (http is allowed for localhost only)`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(`gatehouse: ${member} must not carry a user name or password`);
  }
  // RFC 9728 §1.2 and RFC 8414 §2: identifiers carry no fragment, and no query either.
  if (value.includes("#") || value.includes("?")) {
    throw new TypeError(`gatehouse: ${member} must have no query and no fragment`);
  }
  return url;
}

/**
 * RFC 9728 §3.1: the well-known path goes between the host and the resource's path; a
 * resource without a path (or with `/` alone) has its metadata at the bare well-known path.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE}${path}`;
}

/**
 * RFC 8414 §3.1: the same insertion for an issuer identifier, with a terminating slash of
 * the issuer's path removed first.
 */
export function authorizationServerMetadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/$/, "");
  return `${AUTHORIZATION_SERVER}${path}`;
}

/**
 * Checks the `protectedResource` option; `undefined` when it is not given. Throws a
 * `TypeError` naming the member that is missing or wrong.
 */
export function resolveProtectedResource(
  option: ProtectedResourceOptions | undefined,
): ResolvedProtectedResource | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new TypeError("gatehouse: protectedResource must be an object");
  }
  checkUrl(option.resource, "protectedResource.resource");
  const servers: unknown = option.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new TypeError(
      "gatehouse: protectedResource.authorizationServers must list at least one issuer URL",
    );
  }
  servers.forEach((server, i) => checkUrl(server, `protectedResource.authorizationServers[${i}]`));
  const scopes: unknown = option.scopesSupported;
  if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every(hasScopeSyntax))) {
    throw new TypeError(
      "gatehouse: protectedResource.scopesSupported must be a list of RFC 6749 scope-tokens",
    );
  }
  if (option.resourceDocumentation !== undefined) {
    checkUrl(option.resourceDocumentation, "protectedResource.resourceDocumentation");
  }
  const metadataUrl = protectedResourceMetadataUrl(option.resource);
  return Object.freeze({
    resource: option.resource,
    authorizationServers: Object.freeze([...(servers as string[])]),
    scopesSupported: scopes === undefined ? undefined : Object.freeze([...scopes]),
    resourceDocumentation: option.resourceDocumentation,
    metadataUrl,
    metadataPath: new URL(metadataUrl).pathname,
  });
}

/** Options of every adapter's `wellKnownRoutes(auth, options)`. */
export interface WellKnownOptions {
  /**
   * Where `tokenRoutes` answers `POST …/token`, as a path on the issuer's origin or an
   * absolute URL: the authorization server metadata's `token_endpoint`. Default
   * `/auth/token` (`tokenRoutes` mounted at `/auth`).
   */
  tokenPath?: string;
  /**
   * Where `tokenRoutes` serves the public JWKS (`jwks_uri`, asymmetric keys only). Default:
   * `.well-known/jwks.json` beside {@link tokenPath} (`/auth/.well-known/jwks.json`).
   */
  jwksPath?: string;
  /**
   * `grant_types_supported`. Default `["client_credentials", "refresh_token"]` when the
   * `apiKeys` option is set (both exchange an API key), else `[]`; add `"password"` when
   * `tokenRoutes` has a `verifyUser`.
   */
  grantTypes?: readonly string[];
}

/** What {@link createWellKnownRoutes} reads from an `Auth`. */
export interface WellKnownAuth {
  /** The resolved configuration: the realm, the issuer, the key setup and the resource. */
  readonly config: Pick<AuthConfig, "realm" | "jwt" | "apiKeys" | "protectedResource">;
}

/** RFC 9728 §3.2: the metadata document of the protected resource. */
export function protectedResourceDocument(
  resource: ResolvedProtectedResource,
): Record<string, unknown> {
  return {
    resource: resource.resource,
    authorization_servers: [...resource.authorizationServers],
    ...(resource.scopesSupported === undefined
      ? {}
      : { scopes_supported: [...resource.scopesSupported] }),
    // Only the header: the cookie is a browser session, not a method RFC 6750 defines.
    bearer_methods_supported: ["header"],
    ...(resource.resourceDocumentation === undefined
      ? {}
      : { resource_documentation: resource.resourceDocumentation }),
  };
}

/** The issuer this server mints tokens as, when it can issue at all. */
function ownIssuer(config: WellKnownAuth["config"]): string | undefined {
  const { jwt } = config;
  if (!jwt.enabled || !jwt.signs) return undefined;
  const first = typeof jwt.issuer === "string" ? jwt.issuer : jwt.issuer?.[0];
  return first === undefined || first === "" ? undefined : first;
}

/** RFC 8414 §2: the metadata document of this server as the issuer of its tokens. */
export function authorizationServerDocument(
  auth: WellKnownAuth,
  options: WellKnownOptions = {},
): Record<string, unknown> | undefined {
  const issuer = ownIssuer(auth.config);
  if (issuer === undefined) return undefined;
  const tokenPath = options.tokenPath ?? "/auth/token";
  const tokenEndpoint = checkUrl(new URL(tokenPath, issuer).href, "wellKnownRoutes tokenPath");
  const jwksPath = options.jwksPath ?? new URL(".well-known/jwks.json", tokenEndpoint).pathname;
  const asymmetric = !auth.config.jwt.algorithms.every((alg) => alg.startsWith("HS"));
  const grants =
    options.grantTypes ??
    (auth.config.apiKeys.enabled ? ["client_credentials", "refresh_token"] : []);
  const scopes = auth.config.protectedResource?.scopesSupported;
  return {
    issuer,
    token_endpoint: tokenEndpoint.href,
    ...(asymmetric ? { jwks_uri: new URL(jwksPath, issuer).href } : {}),
    // Required by §2, and empty: this server has no authorization endpoint.
    response_types_supported: [],
    grant_types_supported: [...grants],
    // The token endpoint reads a client's key from HTTP Basic or from the form.
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    ...(scopes === undefined ? {} : { scopes_supported: [...scopes] }),
  };
}

const PUBLIC_HEADERS = {
  "content-type": "application/json",
  // Public documents, read by browser-based clients (the MCP inspector) from other origins.
  "access-control-allow-origin": "*",
};

/**
 * The well-known routes for `auth`, to mount at the root of the app. Throws a `TypeError`
 * when there is nothing to serve: no `protectedResource` and no issuing.
 */
export function createWellKnownRoutes(
  auth: WellKnownAuth,
  options: WellKnownOptions = {},
): HostedRoutes {
  const documents = new Map<string, Record<string, unknown>>();
  const resource = auth.config.protectedResource;
  if (resource !== undefined) {
    const document = protectedResourceDocument(resource);
    documents.set(resource.metadataPath, document);
    // The bare form too: MCP clients fall back to it when no challenge named the URL.
    if (!documents.has(PROTECTED_RESOURCE)) documents.set(PROTECTED_RESOURCE, document);
  }
  const server = authorizationServerDocument(auth, options);
  if (server !== undefined) {
    documents.set(authorizationServerMetadataPath(server.issuer as string), server);
  }
  if (documents.size === 0) {
    throw new TypeError(
      "gatehouse: wellKnownRoutes has nothing to serve: set createAuth({ protectedResource }) " +
        "or a jwt entry that signs and names its issuer",
    );
  }
  return {
    matches: (method, path) =>
      (method === "GET" || method === "HEAD" || method === "OPTIONS") && documents.has(path),
    handle(req): Promise<HttpAnswer> {
      if (req.method === "OPTIONS") {
        return Promise.resolve({
          status: 204,
          headers: {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "GET, HEAD, OPTIONS",
            "access-control-allow-headers": "*",
          },
        });
      }
      return Promise.resolve({
        status: 200,
        headers: { ...PUBLIC_HEADERS },
        body: documents.get(req.path),
      });
    },
  };
}

/**
 * The metadata URL an auth's challenges point at, for the refusals an adapter makes itself
 * (its guards'): those of `auth.authenticate` carry it already.
 */
export function resourceMetadataOf(auth: { readonly config?: object }): string | undefined {
  const config = auth.config as { protectedResource?: { metadataUrl?: unknown } } | undefined;
  const url = config?.protectedResource?.metadataUrl;
  return typeof url === "string" ? url : undefined;
}

/**
 * What an adapter's `authenticate` hands its guards: the realm, the app's refusal hook, and
 * the metadata URL their challenges point at.
 */
export function refusalSettings<H>(
  auth: { readonly config?: { readonly realm?: string } },
  onError: H,
): { realm: string; onError: H; resourceMetadata: string | undefined; auth: object } {
  return { realm: realmOf(auth), onError, resourceMetadata: resourceMetadataOf(auth), auth };
}

/**
 * With `protectedResource`, every refusal's challenge names the metadata URL (RFC 9728
 * §5.1); an accepted request is returned as it is, with no copy.
 */
export function pointAtMetadata<TUser extends Principal, A extends unknown[]>(
  authenticate: (...args: A) => Ready<AuthResult<TUser>>,
  url: string | undefined,
): (...args: A) => Ready<AuthResult<TUser>> {
  if (url === undefined) return authenticate;
  const point = (result: AuthResult<TUser>): AuthResult<TUser> =>
    result.ok ? result : { ok: false, error: withResourceMetadata(result.error, url) };
  return (...args) => settleWith(authenticate(...args), point);
}
