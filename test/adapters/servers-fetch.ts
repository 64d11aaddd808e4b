/**
 * The behaviour-table application for the fetch adapter: one `Request → Response` function
 * composed of withAuth, keyRoutes and tokenRoutes, with the routes listed in servers.ts,
 * served on Node through a small node:http → Request bridge ({@link serveFetch}).
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import * as fe from "../../adapters/fetch.js";
import type { Fixture } from "./fixture.js";
import { listen, tokenOptions, type Running } from "./server-parts.js";

/** What the bridge passes after the request, as Deno.serve passes its connection info. */
export interface Peer {
  remoteAddress: string | undefined;
}

export type PeerHandler = (req: Request, peer: Peer) => Response | Promise<Response | null>;

/** The request as a web `Request`: every raw header line kept, the body streamed. */
export function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? "GET";
  const body =
    method === "GET" || method === "HEAD" ? null : (Readable.toWeb(req) as ReadableStream);
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method,
    headers,
    body,
    duplex: "half",
  } as RequestInit);
}

/** Writes a web `Response` to the node response, each Set-Cookie on a line of its own. */
export async function send(res: ServerResponse, answer: Response): Promise<void> {
  res.statusCode = answer.status;
  for (const [name, value] of answer.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.end(Buffer.from(await answer.arrayBuffer()));
}

/**
 * Serves `handler` on 127.0.0.1 port 0. `null` answers 404; what the handler throws answers
 * a plain-text 500, as the runtimes the adapter is meant for do.
 */
export function serveFetch(handler: PeerHandler): Promise<Running> {
  return listen(
    createServer((req, res) => {
      let request: Request;
      try {
        request = toRequest(req);
      } catch {
        res.statusCode = 400;
        res.end();
        return;
      }
      const peer = { remoteAddress: req.socket.remoteAddress };
      Promise.resolve()
        .then(() => handler(request, peer))
        .then((answer) => send(res, answer ?? new Response("not found", { status: 404 })))
        .catch(() => send(res, new Response("handler failed", { status: 500 })))
        .catch(() => res.destroy());
    }),
  );
}

const clientAddress = (_req: Request, peer: Peer) => peer.remoteAddress;

function fetchApp(fx: Fixture): PeerHandler {
  const user = (req: Request) => Response.json({ user: fe.getCurrentUser(req) });
  const address = { clientAddress };
  const downKeys = fe.keyRoutes(fx.downAuth, { prefix: "/down-keys", ...address });
  const routes: Record<string, Partial<Record<string, PeerHandler>>> = {
    "/down": { GET: fe.withAuth(fx.downAuth, user, address) },
    "/optional": { GET: fe.withAuth(fx.auth, user, { optional: true, ...address }) },
    "/me": { GET: fe.withAuth(fx.auth, user, address) },
    "/required": {
      GET: fe.withAuth(fx.auth, user, address),
      POST: fe.withAuth(fx.auth, user, address),
      OPTIONS: fe.withAuth(fx.auth, () => new Response(null, { status: 204 }), address),
    },
    "/reports": {
      GET: fe.withAuth(fx.auth, () => Response.json([]), { scopes: ["reports:read"], ...address }),
    },
    "/admin": { GET: fe.withAuth(fx.auth, user, { roles: ["admin"], ...address }) },
  };
  const adminAll = fe.withAuth(fx.auth, user, { roles: ["admin"], ...address });
  const keys = fe.keyRoutes(fx.auth, { prefix: "/users/keys", ...address });
  const tokens = fe.tokenRoutes(fx.auth, { prefix: "/auth", ...tokenOptions(fx), ...address });
  const downKeyRoutes = fe.withAuth(
    fx.downAuth,
    async (req, peer: Peer) =>
      (await downKeys(req, peer)) ?? new Response("not found", { status: 404 }),
    address,
  );

  return async function app(req, peer) {
    const path = new URL(req.url).pathname;
    if (path === "/down-keys" || path.startsWith("/down-keys/")) return downKeyRoutes(req, peer);
    if (path === "/admin-all") return adminAll(req, peer);
    const route = routes[path]?.[req.method];
    if (route) return route(req, peer);
    return (await keys(req, peer)) ?? (await tokens(req, peer));
  };
}

export const fetchServers: Record<string, (fx: Fixture) => Promise<Running>> = {
  fetch: (fx) => serveFetch(fetchApp(fx)),
};
