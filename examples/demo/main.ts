/**
 * `npm run demo`: one example API on the SQLite store, with everything it prints. start.mjs
 * compiles this file and calls {@link main}.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { createAuth } from "../../src/index.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { instructions } from "./instructions.js";
import { readOptions } from "./options.js";
import { provision } from "./provision.js";
import { createDemoApp } from "./server.js";
import { userDirectory } from "./users.js";

/** The HS256 secret, kept in the data folder so tokens and cookies survive a restart. */
function jwtSecret(dataDir: string): string {
  const file = join(dataDir, "jwt-secret");
  if (!existsSync(file))
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

export async function main(argv: string[], paths: { root: string; pageBuildDir: string }) {
  const options = readOptions(argv, paths.root, paths.pageBuildDir);
  if (options.reset) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const dbPath = resolve(options.dataDir, "gatehouse.db");

  const auth = createAuth({
    jwt: {
      secret: jwtSecret(options.dataDir),
      algorithms: ["HS256"],
      issuer: "gatehouse-demo",
      audience: "demo-api",
      ttl: "15m",
    },
    apiKeys: {
      store: sqliteKeyStore({ path: dbPath }),
      // X-API-Key (FastAPI template) and x-api-auth (Barbell) both carry a key.
      header: ["x-api-key", "x-api-auth"],
      // No prefix of its own: the printed CLI lines issue keys with the default one, and
      // those must verify here too.
      // A key-shaped Bearer token goes to the key verifier (Trivial's client keys).
      acceptBearer: true,
      // Last-used times reach the store within seconds, so the page shows them while you
      // try things; a real server keeps the default minute to spare its store.
      touchInterval: 5_000,
    },
    // Plain http on 127.0.0.1: a Secure cookie would never be sent back. tokenRoutes sets
    // the cookie with these attributes too.
    cookie: { name: "access_token", secure: false },
  });

  const users = await userDirectory(join(options.dataDir, "users.json"));
  const provisioned = await provision(auth, users);
  const app = createDemoApp({
    auth,
    users,
    pageDir: join(paths.root, "examples", "demo", "page"),
    pageBuildDir: options.pageBuildDir,
  });

  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    await auth.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`${options.host}:${options.port} is in use; try PORT=3001 npm run demo`);
    }
    throw error;
  }
  // Handlers first: whoever reads the printed lines may stop the demo at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping; flushing last-used times…\n`);
    server.closeAllConnections();
    server.close();
    auth
      .close()
      .then(() => {
        process.stdout.write("stopped.\n");
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`demo: close failed: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  // Absolute paths: the lines may be pasted into a shell in any directory.
  const dbUrl = `sqlite:${dbPath}`;
  process.stdout.write(
    instructions({
      baseUrl: `http://${host}:${port}`,
      provisioned,
      cli: `node ${join(paths.root, "dist", "cli.js")}`,
      store: dbUrl,
    }),
  );
}
