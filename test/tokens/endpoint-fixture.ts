/**
 * A real `createAuth` with a memory key store and real keys, and a way to build the neutral
 * `RouteRequest`s that adapters hand to the token endpoint.
 */
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { KeyStore } from "../../src/types.js";
import type { TokenRouteRequest } from "../../src/tokens/token-endpoint.js";
import type { VerifyUser } from "../../src/tokens/grants.js";

export const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";

export function makeAuth(store: KeyStore = memoryKeyStore()) {
  return createAuth({
    jwt: { secret: SECRET, algorithms: ["HS256"], issuer: "https://api.test", audience: "api" },
    apiKeys: { store },
    cookie: { name: "access_token" },
  });
}

export interface RequestInit {
  body?: unknown;
  headers?: Record<string, string>;
  ip?: string;
  query?: string;
}

export function routeRequest(
  method: string,
  path: string,
  init: RequestInit = {},
): TokenRouteRequest {
  const headers = new Headers(init.headers);
  return {
    method,
    path,
    body: init.body,
    headers: { get: (name) => headers.get(name) },
    ip: init.ip ?? "203.0.113.1",
    ...(init.query === undefined ? {} : { query: new URLSearchParams(init.query) }),
  };
}

export const post = (path: string, body: unknown, init: Omit<RequestInit, "body"> = {}) =>
  routeRequest("POST", path, { ...init, body });

/** Alice, password "correct horse", who reads reports; everyone else is refused. */
export const verifyUser: VerifyUser = (username, password) =>
  Promise.resolve(
    username === "alice" && password === "correct horse"
      ? { id: "user-alice", scopes: ["reports:read", "profile"], roles: ["member"] }
      : null,
  );

export function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
}

/** A store that can be switched off, to play an outage. */
export function switchableStore(): KeyStore & { down: boolean } {
  const inner = memoryKeyStore();
  const store = {
    down: false,
    get: (id: string) => (store.down ? Promise.reject(new Error("store down")) : inner.get(id)),
    create: inner.create.bind(inner),
    update: inner.update.bind(inner),
    delete: inner.delete.bind(inner),
    listByOwner: inner.listByOwner.bind(inner),
  };
  return store;
}
