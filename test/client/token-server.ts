/**
 * A real gatehouse server on 127.0.0.1 for the client tests: node:http in front of
 * `createTokenEndpoint` (mounted at /auth) and one protected route, GET /api/data. It counts
 * exchanges and API calls and can be told to fail, so tests can observe the client.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Auth } from "../../src/options/auth-options.js";
import { createTokenEndpoint, type TokenRouteOptions } from "../../src/tokens/token-endpoint.js";

export interface TokenServer {
  url: string;
  /** Token requests answered (any outcome). */
  exchanges: number;
  /** Calls of the protected route. */
  apiCalls: number;
  /** The next n token requests answer 503. */
  failExchanges: number;
  /** The protected route refuses these tokens (as if revoked). */
  refused: Set<string>;
  /** Every Authorization header the protected route saw. */
  seenTokens: string[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("application/json")) return JSON.parse(text) as unknown;
  return Object.fromEntries(new URLSearchParams(text));
}

function headerGetter(req: IncomingMessage): { get(name: string): string | null } {
  return {
    get(name) {
      const value = req.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

export async function startTokenServer(
  auth: Auth,
  options: TokenRouteOptions = {},
): Promise<TokenServer> {
  const endpoint = createTokenEndpoint(auth, options);
  const state: TokenServer = {
    url: "",
    exchanges: 0,
    apiCalls: 0,
    failExchanges: 0,
    refused: new Set(),
    seenTokens: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const headers = headerGetter(req);
      if (url.pathname === "/api/data") {
        state.apiCalls++;
        const authorization = headers.get("authorization") ?? "";
        state.seenTokens.push(authorization);
        const token = authorization.replace(/^Bearer /, "");
        const result = await auth.authenticate({
          method: req.method ?? "GET",
          url: url.href,
          headers,
        });
        const ok = result.ok && !state.refused.has(token);
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        res.end(
          JSON.stringify(ok ? { id: result.principal.id, scopes: result.principal.scopes } : {}),
        );
        return;
      }
      if (url.pathname.startsWith("/auth/")) {
        const body = await readBody(req);
        if (url.pathname === "/auth/token") {
          state.exchanges++;
          if (state.failExchanges > 0) {
            state.failExchanges--;
            res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
            res.end(JSON.stringify({ error: "temporarily_unavailable" }));
            return;
          }
        }
        const answer = await endpoint.handle({
          method: req.method ?? "GET",
          path: url.pathname.slice("/auth".length),
          headers,
          body,
          ip: req.socket.remoteAddress ?? "",
          query: url.searchParams,
        });
        if (answer !== null) {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
          return;
        }
      }
      res.writeHead(404).end();
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
