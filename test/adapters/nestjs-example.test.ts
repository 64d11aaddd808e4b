/**
 * The NestJS example as its README walks through it: its application module served over
 * HTTP on both platforms, and its start script, which builds it with esbuild and prints a
 * key to try.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { appModule } from "../../examples/nestjs/app.module.js";
import { useFixture } from "./fixture.js";
import { nestExpress, nestFastify } from "./servers-nestjs.js";

const fx = useFixture();

async function walkThrough(url: string, key: string) {
  expect(await (await fetch(url)).json()).toEqual({ hello: "anonymous" });
  const me = await fetch(`${url}/me`, { headers: { "x-api-key": key } });
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({
    id: "alice",
    via: "apiKey",
    keys: expect.any(Number) as unknown,
  });
  expect((await fetch(`${url}/me`)).status).toBe(401);
  const login = await fetch(`${url}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=password&username=alice&password=wonderland",
  });
  expect(login.status).toBe(200);
  const { access_token } = (await login.json()) as { access_token: string };
  const bearer = { authorization: `Bearer ${access_token}` };
  expect((await fetch(`${url}/users/keys`, { headers: bearer })).status).toBe(200);
  expect((await fetch(`${url}/reports`, { headers: bearer })).status).toBe(200);
  // alice's password-grant token carries no admin role here (the fixture's verifyUser).
  expect((await fetch(`${url}/admin`, { headers: bearer })).status).toBe(403);
}

describe("examples/nestjs", () => {
  for (const [name, start] of [
    ["express", nestExpress],
    ["fastify", nestFastify],
  ] as const) {
    it(`the application module on ${name}`, async () => {
      const server = await start(appModule(fx.auth, fx.verifyUser));
      try {
        await walkThrough(server.url, fx.keys.alice);
      } finally {
        await server.close();
      }
    });
  }

  it("start.mjs builds and serves it, printing a key that works", async () => {
    const child = spawn(process.execPath, ["examples/nestjs/start.mjs"], {
      env: { ...process.env, PORT: "0", PLATFORM: "fastify" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const { url, key } = await new Promise<{ url: string; key: string }>((resolve, reject) => {
        let out = "";
        child.once("exit", (code) => reject(new Error(`start.mjs exited with ${code}`)));
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (chunk: string) => {
          out += chunk;
          const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
          const key = /x-api-key: (\S+)"/.exec(out)?.[1];
          if (url && key) resolve({ url, key });
        });
      });
      const me = await fetch(`${url}/me`, { headers: { "x-api-key": key } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ id: "alice", via: "apiKey", keys: 1 });
      const admin = await fetch(`${url}/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=password&username=alice&password=wonderland",
      });
      const { access_token } = (await admin.json()) as { access_token: string };
      const res = await fetch(`${url}/admin`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      child.kill();
    }
  }, 60_000);
});
