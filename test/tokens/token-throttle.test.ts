/**
 * Throttling without lockout at the token endpoint, over real HTTP from distinct loopback
 * addresses: a client id is public and a username guessable, so one address's failures
 * refuse that address, not the client or the user elsewhere, until the softer budget per
 * name is spent.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt } from "jose";
import express from "express";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import { hashPassword, verifyPassword } from "../../src/crypto/argon2.js";
import type { TokenEndpointAuth, VerifyUser } from "../../src/tokens/grants.js";
import type { TokenRouteOptions } from "../../src/tokens/token-endpoint.js";
import { send, verifierSetup, wrongSecret } from "../keys/throttle-fixture.js";
import type { VerifierSetup } from "../keys/throttle-fixture.js";
import { makeAuth } from "./endpoint-fixture.js";

const CHEAP = { memoryCost: 256, timeCost: 1 };
let aliceHash = "";
beforeAll(async () => {
  aliceHash = await hashPassword("correct horse", CHEAP);
});

/** Alice's password checked with argon2, as an application's hook would. */
const verifyUser: VerifyUser = async (username, password) =>
  username === "alice" && (await verifyPassword(aliceHash, password))
    ? { id: "user-alice", scopes: ["profile"] }
    : null;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

async function serve(
  auth: TokenEndpointAuth,
  options: TokenRouteOptions,
  run: (
    post: (from: string, form: Record<string, string>) => ReturnType<typeof send>,
  ) => Promise<void>,
): Promise<void> {
  const app = express();
  app.use("/auth", ex.tokenRoutes(auth, options));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run((from, form) =>
      send(url, from, { path: "/auth/token", form: new URLSearchParams(form).toString() }),
    );
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const claimsOf = (body: string) =>
  decodeJwt((JSON.parse(body) as { access_token: string }).access_token);

describe("password grant", () => {
  it("10 wrong passwords from A refuse A; the right password from B succeeds", async () => {
    const auth = makeAuth();
    cleanups.push(() => auth.close());
    await serve(auth, { verifyUser }, async (post) => {
      const login = (from: string, password: string) =>
        post(from, { grant_type: "password", username: "alice", password });
      for (let i = 0; i < 10; i++)
        expect((await login("127.0.0.2", `guess ${i}`)).status).toBe(400);
      const refused = await login("127.0.0.2", "correct horse");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(1);
      const ok = await login("127.0.0.3", "correct horse");
      expect(ok.status).toBe(200);
      expect(claimsOf(ok.body)).toMatchObject({
        sub: "user-alice",
        client_id: "gatehouse:password",
      });
    });
  });

  it("past the softer budget per username, the user is refused from every address", async () => {
    const auth = makeAuth();
    cleanups.push(() => auth.close());
    const attempts = { perSubject: 2, perSubjectGlobal: 4 };
    await serve(auth, { verifyUser, attempts, clientId: "portal" }, async (post) => {
      const login = (from: string, password: string) =>
        post(from, { grant_type: "password", username: "Alice", password });
      for (const from of ["127.0.0.2", "127.0.0.4"]) {
        for (let i = 0; i < 2; i++) expect((await login(from, "nope")).status).toBe(400);
      }
      expect((await login("127.0.0.3", "correct horse")).status).toBe(429);
    });
  });

  it("a success forgets that address's failures only", async () => {
    const auth = makeAuth();
    cleanups.push(() => auth.close());
    const attempts = { perSubject: 2, perSubjectGlobal: 3 };
    await serve(auth, { verifyUser, attempts, clientId: "portal" }, async (post) => {
      const login = (from: string, password: string) =>
        post(from, { grant_type: "password", username: "alice", password });
      expect((await login("127.0.0.2", "nope")).status).toBe(400);
      expect((await login("127.0.0.3", "nope")).status).toBe(400);
      const ok = await login("127.0.0.3", "correct horse");
      expect(claimsOf(ok.body).client_id).toBe("portal");
      // The failure from .3 is forgotten; the softer count still holds both.
      expect((await login("127.0.0.3", "nope")).status).toBe(400);
      expect((await login("127.0.0.2", "correct horse")).status).toBe(429);
    });
  });

  it("refuses a user whose id is the endpoint's client id", async () => {
    const auth = makeAuth();
    cleanups.push(() => auth.close());
    const clash: VerifyUser = () => Promise.resolve({ id: "gatehouse:password" });
    await serve(auth, { verifyUser: clash }, async (post) => {
      const answer = await post("127.0.0.2", {
        grant_type: "password",
        username: "x",
        password: "y",
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_grant" });
    });
  });
});

describe("client_credentials (client_id is the public key id)", () => {
  it("wrong secrets from A for the client id refuse A; the real client at B gets its token", async () => {
    const auth = makeAuth();
    cleanups.push(() => auth.close());
    const { key, record } = await auth.keys.create({
      ownerId: "billing",
      ownerType: "service",
      name: "billing",
    });
    await serve(auth, {}, async (post) => {
      const token = (from: string, secret: string) =>
        post(from, {
          grant_type: "client_credentials",
          client_id: record.id,
          client_secret: secret,
        });
      for (let n = 0; n < 10; n++) {
        expect((await token("127.0.0.2", wrongSecret(key, n))).status).toBe(400);
      }
      expect((await token("127.0.0.2", key)).status).toBe(429);
      const ok = await token("127.0.0.3", key);
      expect(ok.status).toBe(200);
      expect(claimsOf(ok.body)).toMatchObject({ client_id: record.id, key_id: record.id });
    });
  });

  it("the key verification is told the caller's address, so several attacking addresses do not add up against it", async () => {
    // A verifier with the default budget (20 failures per id and address): three addresses
    // of 10 failures each would have spent a budget per id alone.
    const setup: VerifierSetup = verifierSetup({ failureThrottle: { max: 20, window: 60_000 } });
    cleanups.push(() => setup.close());
    const issuer = makeAuth();
    cleanups.push(() => issuer.close());
    const clients: Array<string | undefined> = [];
    const auth: TokenEndpointAuth = {
      tokens: issuer.tokens,
      config: issuer.config,
      verifyApiKey(raw, client) {
        clients.push(client);
        return Promise.resolve(setup.verifier.verify(raw, client));
      },
    };
    const { key, id } = await setup.create("billing", "service");
    await serve(auth, {}, async (post) => {
      const token = (from: string, secret: string) =>
        post(from, { grant_type: "client_credentials", client_id: id, client_secret: secret });
      let n = 0;
      for (const from of ["127.0.0.2", "127.0.0.4", "127.0.0.5"]) {
        for (let i = 0; i < 10; i++)
          expect((await token(from, wrongSecret(key, n++))).status).toBe(400);
      }
      expect((await token("127.0.0.3", key)).status).toBe(200);
      // refresh_token passes the address on too.
      const refreshed = await post("127.0.0.6", {
        grant_type: "refresh_token",
        refresh_token: key,
      });
      expect(refreshed.status).toBe(200);
      expect(claimsOf(refreshed.body)).toMatchObject({ client_id: id, key_id: id });
    });
    expect(clients.at(-1)).toBe("127.0.0.6");
    expect(new Set(clients)).toEqual(
      new Set(["127.0.0.2", "127.0.0.4", "127.0.0.5", "127.0.0.3", "127.0.0.6"]),
    );
  });
});
