// An MCP server (Streamable HTTP, stateless) behind gatehouse on Express: the protected
// resource metadata (RFC 9728) and this server's authorization server metadata (RFC 8414)
// at the root, every 401 pointing at them, and /mcp open to an API key sent as a Bearer
// token, a token minted here, or an identity provider's token.
import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { createAuth, memoryKeyStore } from "gatehouse";
import {
  authenticate,
  getCurrentUser,
  requireScopes,
  tokenRoutes,
  wellKnownRoutes,
} from "gatehouse/express";

/**
 * @param {{ baseUrl: string, secret: string, identityProvider?: { issuer: string, jwks: string, audience: string } }} options
 */
export function createMcpApp({ baseUrl, secret, identityProvider }) {
  const resource = `${baseUrl}/mcp`;
  const jwt = [
    // Ours: tokens from POST /auth/token, which exchanges an API key.
    { secret, algorithms: ["HS256"], issuer: `${baseUrl}/`, audience: resource, ttl: "15m" },
  ];
  if (identityProvider !== undefined) {
    jwt.push({
      algorithms: ["RS256"],
      jwks: identityProvider.jwks,
      issuer: identityProvider.issuer,
      audience: identityProvider.audience,
      // Auth0 with RBAC puts the API's permissions here; see docs/issuers.md for others.
      toPrincipal: (claims, { via }) => ({
        id: String(claims.sub),
        type: "user",
        via,
        scopes: Array.isArray(claims.permissions) ? claims.permissions : [],
        roles: [],
        claims,
      }),
    });
  }
  const auth = createAuth({
    jwt,
    // MCP clients send one credential, as Bearer: an API key is taken that way too.
    apiKeys: { store: memoryKeyStore(), acceptBearer: true },
    protectedResource: {
      resource,
      authorizationServers: [
        `${baseUrl}/`,
        ...(identityProvider === undefined ? [] : [identityProvider.issuer]),
      ],
      scopesSupported: ["notes:read"],
    },
  });

  const app = express();
  app.use(wellKnownRoutes(auth));
  app.use("/auth", tokenRoutes(auth));
  app.use(express.json());
  app.post("/mcp", authenticate(auth), requireScopes("notes:read"), async (req, res) => {
    const caller = getCurrentUser(req);
    // Stateless: a server and a transport per request, holding only this caller.
    const server = new McpServer({ name: "gatehouse-notes", version: "1.0.0" });
    server.registerTool(
      "whoami",
      { description: "Who the server thinks is calling", inputSchema: {} },
      async () => ({
        content: [
          {
            type: "text",
            text: JSON.stringify({ id: caller.id, via: caller.via, type: caller.type }),
          },
        ],
      }),
    );
    server.registerTool(
      "note",
      { description: "Reads a note", inputSchema: { name: z.string() } },
      async ({ name }) => ({ content: [{ type: "text", text: `note ${name} for ${caller.id}` }] }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  // Stateless servers keep no stream open and have no session to end.
  app.all("/mcp", authenticate(auth), (_req, res) => {
    res.status(405).set("allow", "POST").json({ error: "method not allowed" });
  });
  return { app, auth };
}
