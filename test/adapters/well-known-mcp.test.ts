/**
 * examples/mcp over real HTTP, driven by the official MCP SDK's client: a 401 names the
 * resource metadata, the SDK's discovery reads it, and the tools answer to an API key sent
 * as Bearer, to a token from this server's token endpoint, and to an identity provider's
 * token (a local JWKS on 127.0.0.1).
 *
 * The example imports the package by name, which resolves to the build in dist/; here the
 * names are pointed at the sources the build is made from, so the test needs no build and
 * runs the code of this tree.
 */
import type { RequestListener } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  discoverOAuthProtectedResourceMetadata,
  extractResourceMetadataUrl,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it, vi } from "vitest";
import type { Auth } from "../../src/options/auth-options.js";
import { auth0Claims, provider, serveJwks } from "../core/issuers-fixture.js";
import { withServer } from "./with-server.js";

vi.mock("gatehouse", () => import("../../src/index.js"));
vi.mock("gatehouse/express", () => import("../../adapters/express.js"));

interface McpExample {
  createMcpApp: (options: {
    baseUrl: string;
    secret: string;
    identityProvider?: { issuer: string; jwks: string; audience: string };
  }) => { app: RequestListener; auth: Auth };
}
const example = "../../examples/mcp/app.mjs";
const { createMcpApp } = (await import(example)) as McpExample;

const auth0 = provider("https://tenant.eu.auth0.com/", "auth0-1");

async function withExample(run: (url: string, auth: Auth) => Promise<void>): Promise<void> {
  const jwks = await serveJwks([auth0.jwk]);
  let listener: RequestListener = (_req, res) => res.end();
  let auth: Auth | undefined;
  try {
    await withServer(
      (req, res) => listener(req, res),
      async (url) => {
        const made = createMcpApp({
          baseUrl: url,
          secret: "an-mcp-test-secret-long-enough-for-hs256!",
          identityProvider: { issuer: auth0.issuer, jwks: jwks.url, audience: `${url}/mcp` },
        });
        listener = made.app;
        auth = made.auth;
        await run(url, made.auth);
      },
    );
  } finally {
    await auth?.close();
    await jwks.close();
  }
}

async function whoami(url: string, credential: string): Promise<unknown> {
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${credential}` } },
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: "whoami", arguments: {} });
    const [content] = result.content as Array<{ type: string; text: string }>;
    return JSON.parse(content!.text);
  } finally {
    await client.close();
  }
}

describe("examples/mcp", () => {
  it("a 401 names the metadata, which the SDK's discovery reads", async () => {
    await withExample(async (url) => {
      const refused = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(refused.status).toBe(401);
      const metadataUrl = extractResourceMetadataUrl(refused);
      expect(metadataUrl?.href).toBe(`${url}/.well-known/oauth-protected-resource/mcp`);

      const metadata = await discoverOAuthProtectedResourceMetadata(`${url}/mcp`, {
        resourceMetadataUrl: metadataUrl,
      });
      expect(metadata).toMatchObject({
        resource: `${url}/mcp`,
        authorization_servers: [`${url}/`, auth0.issuer],
        scopes_supported: ["notes:read"],
      });
      // Without the challenge's URL, the SDK finds the same document by the well-known path.
      expect(await discoverOAuthProtectedResourceMetadata(`${url}/mcp`)).toEqual(metadata);

      const server = await fetch(`${url}/.well-known/oauth-authorization-server`);
      expect(server.status).toBe(200);
      expect(await server.json()).toMatchObject({
        issuer: `${url}/`,
        token_endpoint: `${url}/auth/token`,
        grant_types_supported: ["client_credentials", "refresh_token"],
      });
    });
  });

  it("the SDK's client calls a tool with an API key, our token and the provider's token", async () => {
    await withExample(async (url, auth) => {
      const { key } = await auth.keys.create({
        ownerId: "alice",
        name: "mcp",
        scopes: ["notes:read"],
      });
      expect(await whoami(url, key)).toEqual({ id: "alice", via: "apiKey", type: "apiKey" });

      const exchanged = await fetch(`${url}/auth/token`, {
        method: "POST",
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: key }),
      });
      const { access_token } = (await exchanged.json()) as { access_token: string };
      expect(await whoami(url, access_token)).toMatchObject({ id: "alice", via: "jwt" });

      const idp = await auth0.sign({
        ...auth0Claims("auth0|42", `${url}/mcp`),
        permissions: ["notes:read"],
      });
      expect(await whoami(url, idp)).toEqual({ id: "auth0|42", via: "jwt", type: "user" });

      // Signed by another key under the provider's issuer: refused before the MCP server runs.
      const forged = await provider(auth0.issuer, "auth0-1").sign(
        auth0Claims("auth0|42", `${url}/mcp`),
      );
      await expect(whoami(url, forged)).rejects.toThrow(/401/);
    });
  });
});
