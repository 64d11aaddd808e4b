/**
 * `token_issued`: every token the endpoint issues is reported over HTTP with its grant,
 * subject, client and key, never the token or a credential; refusals report none; a
 * listener that throws changes no answer.
 */
import { describe, expect, it } from "vitest";
import type { AuthEvent } from "../../src/types.js";
import { parseApiKey } from "../../src/verify/api-key/key-format.js";
import { STORES, withKeyServer } from "../keys/key-server.js";

const issued = (events: AuthEvent[]) => events.filter((e) => e.type === "token_issued");

const verifyUser = (username: string, password: string) =>
  Promise.resolve(
    username === "alice" && password === "correct horse"
      ? { id: "user-alice", scopes: ["reports:read"], roles: [] }
      : null,
  );

async function token(url: string, form: Record<string, string>) {
  const response = await fetch(`${url}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.each(STORES.map((s) => s.name))("token_issued over HTTP, %s store", (store) => {
  it("reports each grant's token with its subject, client and key, never a secret", async () => {
    await withKeyServer(
      store,
      {},
      async ({ auth, events, url }) => {
        const user = await auth.keys.create({
          ownerId: "alice",
          name: "cli",
          scopes: ["reports:read"],
        });
        const service = await auth.keys.create({
          ownerId: "billing",
          ownerType: "service",
          name: "svc",
        });
        events.length = 0;

        const refreshed = await token(url, {
          grant_type: "refresh_token",
          refresh_token: user.key,
        });
        expect(refreshed.status).toBe(200);
        const client = await token(url, {
          grant_type: "client_credentials",
          client_id: service.record.id,
          client_secret: service.key,
        });
        expect(client.status).toBe(200);
        const password = await token(url, {
          grant_type: "password",
          username: "alice",
          password: "correct horse",
        });
        expect(password.status).toBe(200);

        expect(issued(events)).toEqual([
          {
            type: "token_issued",
            grant: "refresh_token",
            sub: "alice",
            clientId: user.record.id,
            keyId: user.record.id,
          },
          {
            type: "token_issued",
            grant: "client_credentials",
            sub: "billing",
            clientId: service.record.id,
            keyId: service.record.id,
          },
          {
            type: "token_issued",
            grant: "password",
            sub: "user-alice",
            clientId: "gatehouse:password",
          },
        ]);
        const everything = JSON.stringify(events);
        for (const body of [refreshed.body, client.body, password.body]) {
          expect(everything).not.toContain(body.access_token as string);
        }
        for (const key of [user.key, service.key]) {
          expect(everything).not.toContain(key);
          expect(everything).not.toContain(parseApiKey(key)!.secret);
        }
        expect(everything).not.toContain("correct horse");
      },
      undefined,
      { verifyUser },
    );
  });

  it("reports no token for a refused grant", async () => {
    await withKeyServer(
      store,
      {},
      async ({ events, url }) => {
        expect(
          (await token(url, { grant_type: "password", username: "alice", password: "no" })).status,
        ).toBe(400);
        expect(
          (await token(url, { grant_type: "refresh_token", refresh_token: "gatehouse_nope" }))
            .status,
        ).toBe(400);
        expect(issued(events)).toEqual([]);
      },
      undefined,
      { verifyUser },
    );
  });

  it("issues the token when the listener throws", async () => {
    let calls = 0;
    await withKeyServer(
      store,
      {},
      async ({ url }) => {
        const answer = await token(url, {
          grant_type: "password",
          username: "alice",
          password: "correct horse",
        });
        expect(answer.status).toBe(200);
        expect(typeof answer.body.access_token).toBe("string");
        expect(calls).toBeGreaterThanOrEqual(1);
      },
      () => {
        calls++;
        throw new Error("logger down");
      },
      { verifyUser },
    );
  });
});
