/**
 * The example servers start and answer. They import the built package (`gatehouse/express`
 * resolves through this package's own exports to dist/), so they are skipped, saying so,
 * until `npm run build` has run.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const built = existsSync(new URL("../../dist/hono.js", import.meta.url));
if (!built)
  console.warn("examples.test: dist/ is missing; run `npm run build` to test the examples");

function start(file: string): Promise<{ url: string; key: string; stop: () => void }> {
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const key = /x-api-key: (\S+)"/.exec(out)?.[1];
      if (url && key) resolve({ url, key, stop: () => child.kill() });
    });
  });
}

describe.skipIf(!built)("examples", () => {
  for (const framework of ["express", "koa", "hono", "fastify"]) {
    it(`${framework} starts and serves /me with the printed key`, async () => {
      const server = await start(`examples/${framework}/server.mjs`);
      try {
        const res = await fetch(`${server.url}/me`, { headers: { "x-api-key": server.key } });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ id: "alice", via: "apiKey" });
        expect((await fetch(`${server.url}/me`)).status).toBe(401);
      } finally {
        server.stop();
      }
    });
  }
});
