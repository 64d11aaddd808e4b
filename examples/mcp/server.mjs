// Start: npm run build && node examples/mcp/server.mjs
// With an identity provider: IDP_ISSUER=https://tenant.eu.auth0.com/ \
//   IDP_JWKS=https://tenant.eu.auth0.com/.well-known/jwks.json IDP_AUDIENCE=<api identifier>
import { createServer } from "node:http";
import { createMcpApp } from "./app.mjs";

const secret = process.env.JWT_SECRET ?? "dev-only-secret-change-me-0123456789abcdef";
const identityProvider =
  process.env.IDP_ISSUER === undefined
    ? undefined
    : {
        issuer: process.env.IDP_ISSUER,
        jwks: process.env.IDP_JWKS,
        audience: process.env.IDP_AUDIENCE,
      };

// The resource identifier names the port, so the app is made once the server listens.
let handle = (_req, res) => res.end();
const server = createServer((req, res) => handle(req, res));
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", async () => {
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  const { app, auth } = createMcpApp({ baseUrl, secret, identityProvider });
  handle = app;
  const { key } = await auth.keys.create({ ownerId: "alice", name: "mcp", scopes: ["notes:read"] });
  console.log(`listening on ${baseUrl}/mcp`);
  console.log(`try: an MCP client with "Authorization: Bearer ${key}"`);
});
