import { readdirSync, readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { createTokenClient, TokenClientError } from "../../src/client/index.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

const auth = createAuth({
  jwt: {
    secret: "a-client-test-secret-that-is-32-bytes-or-more",
    algorithms: ["HS256"],
    issuer: "https://api.test",
    ttl: "15m",
  },
  apiKeys: { store: memoryKeyStore() },
});

let server: TokenServer;
let apiKey: string;
let clientId: string;
let clientSecret: string;

beforeAll(async () => {
  server = await startTokenServer(auth);
  apiKey = (await auth.keys.create({ ownerId: "alice", name: "cli", scopes: ["reports:read"] }))
    .key;
  const app = await auth.keys.create({
    ownerId: "reporting-app",
    ownerType: "service",
    name: "reporting",
    scopes: ["reports:read", "reports:write"],
  });
  clientId = app.record.id;
  clientSecret = app.key;
});

afterAll(() => server.close());

afterEach(() => {
  vi.useRealTimers();
  server.exchanges = 0;
  server.apiCalls = 0;
  server.failExchanges = 0;
  server.refused.clear();
  server.seenTokens = [];
});

const tokenUrl = () => `${server.url}/auth/token`;

describe("createTokenClient", () => {
  it("shares one exchange among 20 concurrent callers", async () => {
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getAccessToken()));
    expect(server.exchanges).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    const verified = await auth.tokens.verify(tokens[0]!);
    expect(verified.ok && verified.principal).toMatchObject({
      id: "alice",
      scopes: ["reports:read"],
    });
    // Cached: no second exchange.
    await client.getAccessToken();
    expect(server.exchanges).toBe(1);
  });

  it("exchanges client credentials through HTTP Basic and calls the API with the token", async () => {
    const client = createTokenClient(
      { tokenUrl: tokenUrl(), clientId, clientSecret },
      { scope: "reports:read" },
    );
    const response = await client.fetch(`${server.url}/api/data`);
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({
      id: "reporting-app",
      scopes: ["reports:read"],
    });
  });

  it("renews the token once it is within the skew of expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey }, { refreshSkew: 60 });
    const first = await client.getAccessToken();
    vi.setSystemTime(Date.now() + 13 * 60_000);
    await expect(client.getAccessToken()).resolves.toBe(first);
    expect(server.exchanges).toBe(1);
    // 15-minute token, 60 s skew: renewed from minute 14 on.
    vi.setSystemTime(Date.now() + 60_000 + 1000);
    const second = await client.getAccessToken();
    expect(server.exchanges).toBe(2);
    expect(second).not.toBe(first);
  });

  it("retries a failed exchange on the next call", async () => {
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey });
    server.failExchanges = 1;
    const failure = await client.getAccessToken().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TokenClientError);
    expect(failure).toMatchObject({ code: "exchange_failed", status: 503 });
    await expect(client.getAccessToken()).resolves.toMatch(/^ey/);
    expect(server.exchanges).toBe(2);
  });

  it("reports a refused key with its RFC 6749 error", async () => {
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey: "gh_nope" });
    await expect(client.getAccessToken()).rejects.toMatchObject({
      code: "exchange_refused",
      status: 400,
      oauthError: "invalid_grant",
    });
  });

  it("renews once and retries once after a 401", async () => {
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey });
    const stale = await client.getAccessToken();
    server.refused.add(stale);
    const response = await client.fetch(`${server.url}/api/data`, { headers: { "x-trace": "1" } });
    expect(response.status).toBe(200);
    expect(server.exchanges).toBe(2);
    expect(server.apiCalls).toBe(2);
    expect(server.seenTokens[0]).toBe(`Bearer ${stale}`);
    expect(server.seenTokens[1]).not.toBe(`Bearer ${stale}`);
  });

  it("gives up after one retry when the API keeps answering 401", async () => {
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey });
    const original = server.refused;
    // Refuse every token, including the renewed one.
    server.refused = { has: () => true, clear: () => undefined } as unknown as Set<string>;
    try {
      const response = await client.fetch(new Request(`${server.url}/api/data`));
      expect(response.status).toBe(401);
      expect(server.apiCalls).toBe(2);
      expect(server.exchanges).toBe(2);
    } finally {
      server.refused = original;
    }
  });

  it("sends the token to the token URL's origin only, unless told otherwise", async () => {
    const client = createTokenClient({ tokenUrl: tokenUrl(), apiKey });
    await expect(client.fetch("https://elsewhere.example/data")).rejects.toMatchObject({
      code: "origin_not_allowed",
    });
    expect(server.exchanges).toBe(0);
  });

  it("uses the fetch it is given", async () => {
    const calls: string[] = [];
    const client = createTokenClient(
      { tokenUrl: "https://auth.example/token", apiKey },
      {
        fetch: (input) => {
          calls.push(input instanceof Request ? input.url : input.toString());
          return Promise.resolve(Response.json({ access_token: "t1", expires_in: 60 }));
        },
      },
    );
    await expect(client.getAccessToken()).resolves.toBe("t1");
    expect(calls).toEqual(["https://auth.example/token"]);
  });

  it("refuses configurations without exactly one kind of credential", () => {
    expect(() => createTokenClient({ tokenUrl: tokenUrl() } as never)).toThrow(TypeError);
    expect(() =>
      createTokenClient({
        tokenUrl: tokenUrl(),
        apiKey,
        clientId: "x",
        clientSecret: "y",
      } as never),
    ).toThrow(TypeError);
  });
});

describe("gatehouse/client portability", () => {
  it("imports nothing from Node: no node: modules, no Buffer, no process", () => {
    const dir = new URL("../../src/client/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = readFileSync(new URL(file, dir), "utf8");
      expect(source, file).not.toMatch(/from\s+["'](?:node:|\.\.\/)/);
      expect(source, file).not.toMatch(/\b(?:Buffer|process|require)\b/);
    }
  });
});
