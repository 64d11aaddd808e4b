/**
 * The discovery module: the `protectedResource` option's checks, the metadata URLs of
 * RFC 9728 §3.1 and RFC 8414 §3.1, the documents, and `resource_metadata` on challenges.
 */
import { describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { AuthError, withResourceMetadata } from "../../src/errors.js";
import {
  authorizationServerDocument,
  authorizationServerMetadataPath,
  createWellKnownRoutes,
  protectedResourceMetadataUrl,
} from "../../src/http/well-known.js";
import { memoryKeyStore } from "../../src/stores/memory.js";

const SECRET = "k2J9xQ7mV4pL1sT8wZ3nB6rY0cF5hD2gA9eU7iO4";
const resource = {
  resource: "https://api.example.com/mcp",
  authorizationServers: ["https://tenant.eu.auth0.com/"],
  scopesSupported: ["reports:read"],
  resourceDocumentation: "https://docs.example.com/mcp",
};

describe("metadata URLs", () => {
  it.each([
    ["https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"],
    ["https://api.example.com/", "https://api.example.com/.well-known/oauth-protected-resource"],
    [
      "https://api.example.com/mcp",
      "https://api.example.com/.well-known/oauth-protected-resource/mcp",
    ],
    [
      "https://api.example.com:8443/a/b/",
      "https://api.example.com:8443/.well-known/oauth-protected-resource/a/b/",
    ],
  ])("the resource %s has its metadata at %s (RFC 9728 §3.1)", (id, url) => {
    expect(protectedResourceMetadataUrl(id)).toBe(url);
  });

  it.each([
    ["https://api.example.com", "/.well-known/oauth-authorization-server"],
    ["https://api.example.com/", "/.well-known/oauth-authorization-server"],
    ["https://api.example.com/auth/", "/.well-known/oauth-authorization-server/auth"],
  ])("the issuer %s has its metadata at %s (RFC 8414 §3.1)", (issuer, path) => {
    expect(authorizationServerMetadataPath(issuer)).toBe(path);
  });
});

describe("the protectedResource option", () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ["not an object", "https://x", /must be an object/],
    ["a relative resource", { ...resource, resource: "/mcp" }, /resource is not a URL/],
    ["plain http off localhost", { ...resource, resource: "http://api.example.com/" }, /https/],
    [
      "a fragment",
      { ...resource, resource: "https://api.example.com/#x" },
      /no query and no fragment/,
    ],
    [
      "a query",
      { ...resource, resource: "https://api.example.com/?a=1" },
      /no query and no fragment/,
    ],
    ["credentials", { ...resource, resource: "https://u:p@api.example.com/" }, /user name/],
    ["no authorization server", { ...resource, authorizationServers: [] }, /at least one/],
    [
      "a bad authorization server",
      { ...resource, authorizationServers: ["ftp://x"] },
      /authorizationServers\[0\]/,
    ],
    ["a bad scope", { ...resource, scopesSupported: ["a b"] }, /scope-tokens/],
    [
      "a bad documentation URL",
      { ...resource, resourceDocumentation: "docs" },
      /resourceDocumentation/,
    ],
  ];
  it.each(bad)("refuses %s at construction", (_name, option, message) => {
    const make = () =>
      createAuth({
        jwt: { secret: SECRET, algorithms: ["HS256"] },
        protectedResource: option as typeof resource,
      });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it("admits http for localhost and resolves the metadata URL", () => {
    const auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"] },
      protectedResource: {
        resource: "http://127.0.0.1:3000/mcp",
        authorizationServers: ["http://localhost:3000"],
      },
    });
    expect(auth.config.protectedResource).toMatchObject({
      metadataUrl: "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp",
      metadataPath: "/.well-known/oauth-protected-resource/mcp",
      scopesSupported: undefined,
    });
  });
});

describe("resource_metadata on challenges (RFC 9728 §5.1)", () => {
  const url = "https://api.example.com/.well-known/oauth-protected-resource/mcp";
  it("every challenge of a refusal names the metadata URL", async () => {
    const auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"] },
      protectedResource: resource,
    });
    const missing = await auth.authenticate(new Request("http://x/"));
    expect(!missing.ok && missing.error.challenge()).toBe(
      `Bearer realm="api", resource_metadata="${url}"`,
    );
    const bad = await auth.authenticate(
      new Request("http://x/", { headers: { authorization: "Bearer x.y.z" } }),
    );
    expect(!bad.ok && bad.error.headers()["www-authenticate"]).toMatch(
      new RegExp(
        `^Bearer realm="api", error="invalid_token", error_description="[^"]+", resource_metadata="${url}"$`,
      ),
    );
  });

  it("an insufficient_scope challenge and an ApiKey challenge carry it too", () => {
    const scope = withResourceMetadata(new AuthError("insufficient_scope", { scope: "a b" }), url);
    expect(scope.challenge()).toBe(
      `Bearer realm="api", error="insufficient_scope", scope="a b", resource_metadata="${url}"`,
    );
    const key = withResourceMetadata(new AuthError("invalid_api_key"), url);
    expect(key.challenge()).toMatch(
      /^ApiKey realm="api", error="invalid_key", .*resource_metadata=/,
    );
    expect(withResourceMetadata(scope, url)).toBe(scope);
    expect(withResourceMetadata(scope, undefined)).toBe(scope);
    expect(new AuthError("forbidden", { resourceMetadata: url }).challenge()).toBeUndefined();
  });

  it("without protectedResource nothing changes", async () => {
    const auth = createAuth({ jwt: { secret: SECRET, algorithms: ["HS256"] } });
    const missing = await auth.authenticate(new Request("http://x/"));
    expect(!missing.ok && missing.error.challenge()).toBe('Bearer realm="api"');
  });
});

describe("the documents", () => {
  it("the protected resource's (RFC 9728 §2), at the path-suffixed and the bare well-known path", async () => {
    const auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"] },
      protectedResource: resource,
    });
    const routes = createWellKnownRoutes(auth);
    const expected = {
      resource: resource.resource,
      authorization_servers: resource.authorizationServers,
      scopes_supported: ["reports:read"],
      bearer_methods_supported: ["header"],
      resource_documentation: resource.resourceDocumentation,
    };
    for (const path of [
      "/.well-known/oauth-protected-resource/mcp",
      "/.well-known/oauth-protected-resource",
    ]) {
      expect(routes.matches("GET", path)).toBe(true);
      const answer = await routes.handle({
        method: "GET",
        path,
        headers: new Headers(),
        body: undefined,
        principal: null,
      });
      expect(answer).toMatchObject({ status: 200, body: expected });
    }
    expect(routes.matches("POST", "/.well-known/oauth-protected-resource")).toBe(false);
    expect(routes.matches("GET", "/.well-known/oauth-authorization-server")).toBe(false);
  });

  it("the authorization server's (RFC 8414 §2) when this server issues: HMAC has no jwks_uri", () => {
    const auth = createAuth({
      jwt: { secret: SECRET, algorithms: ["HS256"], issuer: "https://api.example.com" },
      apiKeys: { store: memoryKeyStore() },
    });
    expect(authorizationServerDocument(auth)).toEqual({
      issuer: "https://api.example.com",
      token_endpoint: "https://api.example.com/auth/token",
      response_types_supported: [],
      grant_types_supported: ["client_credentials", "refresh_token"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
    const custom = authorizationServerDocument(auth, {
      tokenPath: "/oauth/token",
      grantTypes: ["password"],
    });
    expect(custom).toMatchObject({
      token_endpoint: "https://api.example.com/oauth/token",
      grant_types_supported: ["password"],
    });
  });

  it("with an asymmetric signing entry in a list, jwks_uri points at the token routes' JWKS", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const foreign = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const auth = createAuth({
      jwt: [
        {
          algorithms: ["ES256"],
          publicKey: foreign.publicKey,
          issuer: "https://tenant.eu.auth0.com/",
          audience: "api",
        },
        { algorithms: ["ES256"], privateKey, issuer: "https://api.example.com/auth/" },
      ],
    });
    const routes = createWellKnownRoutes(auth, { tokenPath: "/auth/token" });
    const path = "/.well-known/oauth-authorization-server/auth";
    expect(routes.matches("GET", path)).toBe(true);
    const answer = await routes.handle({
      method: "GET",
      path,
      headers: new Headers(),
      body: undefined,
      principal: null,
    });
    expect(answer?.body).toMatchObject({
      issuer: "https://api.example.com/auth/",
      token_endpoint: "https://api.example.com/auth/token",
      jwks_uri: "https://api.example.com/auth/.well-known/jwks.json",
      grant_types_supported: [],
    });
    const preflight = await routes.handle({
      method: "OPTIONS",
      path,
      headers: new Headers(),
      body: undefined,
      principal: null,
    });
    expect(preflight).toMatchObject({
      status: 204,
      headers: { "access-control-allow-origin": "*" },
    });
  });

  it("nothing to serve is a TypeError at mount: no protectedResource, no issuer", () => {
    const auth = createAuth({ jwt: { secret: SECRET, algorithms: ["HS256"] } });
    expect(() => createWellKnownRoutes(auth)).toThrow(/nothing to serve/);
  });
});
