/**
 * Revocation across a fleet: 3 instances, each a separate Node process with its own
 * `createAuth` (verified-key cache TTL 10 minutes, so only the change feed can make them
 * refuse), on one PostgreSQL and then on one Redis. A fourth process (this one) makes 50
 * revocations, one at a time; for each, every instance has the key cached and asks for it
 * in a loop until it is refused. Every 5th revocation is made right after the instances'
 * listening connections were cut (PostgreSQL: `pg_terminate_backend` of their LISTEN
 * backends; Redis: `CLIENT KILL TYPE pubsub`), i.e. while they reconnect. Reported: the
 * time from the start of the revoke call to the moment the last of the 3 instances refused
 * (p50, p99, max), the same for the revocations made during a reconnect, and how many were
 * never refused within 10 s ("lost").
 *
 * Redis runs on a throwaway redis-server of this script's own (CLIENT KILL TYPE pubsub
 * would cut every subscriber of a shared server); PostgreSQL is the one on 127.0.0.1, where
 * only this run's backends (by application_name) are terminated.
 *
 *   npm run build && node bench/fleet-revocation.mjs
 * GATEHOUSE_DIST=<dir> takes the build from elsewhere; GATEHOUSE_TEST_PG_URL overrides the
 * server; GATEHOUSE_FLEET_REDIS_PORT the throwaway Redis port (default 6391).
 */
import { fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(import.meta.url);
const DIST = resolve(process.env.GATEHOUSE_DIST ?? resolve(here, "../../dist"));
const load = (path) => import(pathToFileURL(resolve(DIST, path)).href);
const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_PORT = Number(process.env.GATEHOUSE_FLEET_REDIS_PORT ?? 6391);
const INSTANCES = 3;
const ROUNDS = 50;
const FAULT_EVERY = 5;
const LOST_AFTER = 10_000;
const now = () => performance.timeOrigin + performance.now();

/** The store both sides open: the instance's and the revoker's, by backend. */
async function openStore(backend, config) {
  if (backend === "postgres") {
    const { postgresKeyStore } = await load("stores/postgres.js");
    return postgresKeyStore({
      connectionString: PG_URL,
      schema: config.schema,
      poolOptions: { application_name: config.application },
      onError: () => {},
    });
  }
  const { redisKeyStore } = await load("stores/redis.js");
  return redisKeyStore({ url: `redis://127.0.0.1:${REDIS_PORT}`, prefix: config.prefix });
}

async function makeAuth(store) {
  const { createAuth, argon2Hasher } = await load("index.js");
  return createAuth({
    apiKeys: {
      store,
      // Cheap argon2: this measures the feed, not the hash.
      hasher: argon2Hasher({ memoryCost: 256, timeCost: 1 }),
      failureThrottle: false,
      cache: { ttl: 600_000 },
    },
  });
}

const ask = (auth, key) =>
  auth.authenticate(new globalThis.Request("http://x/", { headers: { "x-api-key": key } }));

// ---- an instance -------------------------------------------------------------------------
async function instance() {
  const config = JSON.parse(process.env.FLEET_CONFIG);
  const store = await openStore(config.backend, config);
  const auth = await makeAuth(store);
  process.on("message", async (message) => {
    if (message.type === "warm") {
      for (const key of message.keys) {
        const result = await ask(auth, key);
        if (!result.ok) throw new Error(`warm-up refused: ${result.error.code}`);
      }
      process.send({ type: "warm" });
    } else if (message.type === "watch") {
      process.send({ type: "watching" });
      const until = now() + LOST_AFTER;
      let code = "lost";
      let served = 0;
      while (now() < until) {
        const result = await ask(auth, message.key);
        if (result.ok) served++;
        else if (result.error.code !== "unavailable") {
          code = result.error.code;
          break;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      process.send({ type: "refused", at: now(), code, served });
    } else if (message.type === "close") {
      await auth.close();
      process.exit(0);
    }
  });
  process.send({ type: "ready" });
}

// ---- the revoker -------------------------------------------------------------------------
function next(child, type) {
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`an instance exited (${code})`));
    const onMessage = (message) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const ms = (v) => (v === undefined ? "—" : `${v.toFixed(1)} ms`);
  return {
    n: sorted.length,
    p50: ms(percentile(sorted, 50)),
    p99: ms(percentile(sorted, 99)),
    max: ms(sorted.at(-1)),
  };
}

async function run(backend, config, cut) {
  const children = Array.from({ length: INSTANCES }, () =>
    fork(here, ["instance"], {
      env: { ...process.env, FLEET_CONFIG: JSON.stringify({ backend, ...config }) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  await Promise.all(children.map((c) => next(c, "ready")));
  const store = await openStore(backend, { ...config, application: `${config.application}_admin` });
  const auth = await makeAuth(store);
  const keys = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { key, record } = await auth.keys.create({ ownerId: `owner${i % 10}`, name: `k${i}` });
    keys.push({ key, id: record.id });
  }
  await Promise.all(
    children.map((c) => {
      const done = next(c, "warm");
      c.send({ type: "warm", keys: keys.map((k) => k.key) });
      return done;
    }),
  );
  // Let every feed settle up after the warm-up.
  await new Promise((r) => setTimeout(r, 500));

  const all = [];
  const faulted = [];
  let lost = 0;
  let served = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const { key, id } = keys[i];
    const refusals = children.map((c) => next(c, "refused"));
    await Promise.all(
      children.map((c) => {
        const watching = next(c, "watching");
        c.send({ type: "watch", key });
        return watching;
      }),
    );
    const fault = i % FAULT_EVERY === FAULT_EVERY - 1;
    if (fault) {
      await cut();
      // Give the instances a moment to see the cut, so that the revoke lands in the gap.
      await new Promise((r) => setTimeout(r, 5));
    }
    const start = now();
    await auth.keys.admin.update(id, { enabled: false });
    const answers = await Promise.all(refusals);
    served += answers.reduce((sum, a) => sum + a.served, 0);
    if (answers.some((a) => a.code === "lost")) {
      lost++;
      continue;
    }
    const last = Math.max(...answers.map((a) => a.at)) - start;
    all.push(last);
    if (fault) faulted.push(last);
    // A fault's reconnect settles before the next round, which measures a healthy feed.
    if (fault) await new Promise((r) => setTimeout(r, 1000));
  }
  for (const c of children) c.send({ type: "close" });
  await Promise.all(children.map((c) => once(c, "exit")));
  await auth.close();
  return { all, faulted, lost, served };
}

async function main() {
  const suffix = randomBytes(4).toString("hex");
  const rows = [];

  // PostgreSQL
  {
    const pg = (await import("pg")).default;
    const config = { schema: `gh_fleet_${suffix}`, application: `gh_fleet_${suffix}` };
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const result = await run("postgres", config, async () => {
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
          [config.application],
        );
      });
      rows.push({
        store: "postgres",
        what: "all 50",
        ...stats(result.all),
        lost: result.lost,
        "200s while watching": result.served,
      });
      rows.push({
        store: "postgres",
        what: "during a reconnect",
        ...stats(result.faulted),
        lost: "",
        "200s while watching": "",
      });
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${config.schema}" CASCADE`);
      await admin.end();
    }
  }

  // Redis, on a server of its own
  {
    const { Redis } = await import("ioredis");
    const server = spawn(
      "redis-server",
      ["--port", String(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    const admin = new Redis({ port: REDIS_PORT, maxRetriesPerRequest: 1 });
    admin.on("error", () => {});
    try {
      for (let i = 0; ; i++) {
        try {
          await admin.ping();
          break;
        } catch (error) {
          if (i > 50) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const config = { prefix: `gh-fleet-${suffix}:` };
      const result = await run("redis", config, async () => {
        await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
      });
      rows.push({
        store: "redis",
        what: "all 50",
        ...stats(result.all),
        lost: result.lost,
        "200s while watching": result.served,
      });
      rows.push({
        store: "redis",
        what: "during a reconnect",
        ...stats(result.faulted),
        lost: "",
        "200s while watching": "",
      });
    } finally {
      admin.disconnect();
      server.kill("SIGKILL");
    }
  }

  console.log(
    `node ${process.version}, ${INSTANCES} instance processes, ${ROUNDS} revocations per store, every ${FAULT_EVERY}th during a forced reconnect; time from the start of the revoke to the last instance's refusal`,
  );
  console.table(rows);
}

if (process.argv[2] === "instance") await instance();
else await main();
