/**
 * argon2 verifies per key per hour per instance, under the cache's revalidation: one
 * instance, 50 keys each used every 50 ms, over one "hour" compressed in real time. The
 * compression keeps the default ratios: `cache.ttl` 30 s and `cache.revalidateTtl` 1 hour
 * (120 TTLs an hour) become 125 ms and 15 s (also 120 TTLs), so 15 s of this run stand for
 * an hour of an instance with the defaults and keys used 2.5 times per TTL. A counting
 * hasher (around argon2id at a low cost: the count matters here, not the cost) counts the
 * verifies, a counting wrapper around the PostgreSQL store's `get` the reads. The same run
 * with `revalidateTtl` 1 ms shows what an instance paid without revalidation.
 *
 *   npm run build && node bench/fleet-argon2.mjs
 * GATEHOUSE_DIST=<dir> takes the build from elsewhere; GATEHOUSE_TEST_PG_URL overrides the
 * server. The run works in its own schema and drops it afterwards.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";

const here = fileURLToPath(import.meta.url);
const DIST = resolve(process.env.GATEHOUSE_DIST ?? resolve(here, "../../dist"));
const load = (path) => import(pathToFileURL(resolve(DIST, path)).href);
const { createAuth, argon2Hasher } = await load("index.js");
const { postgresKeyStore } = await load("stores/postgres.js");
const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const KEYS = 50;
const USE_EVERY = 50;
const HOUR = 15_000;
const TTL = HOUR / 120;

async function simulate(schema, revalidateTtl) {
  const inner = argon2Hasher({ memoryCost: 256, timeCost: 1 });
  const counts = { verifies: 0, reads: 0, requests: 0, refused: 0 };
  const hasher = {
    id: inner.id,
    hash: (secret) => inner.hash(secret),
    verify: (hash, secret) => {
      counts.verifies++;
      return inner.verify(hash, secret);
    },
  };
  const pgStore = postgresKeyStore({ connectionString: PG_URL, schema, onError: () => {} });
  const store = {
    ...pgStore,
    get: (id) => {
      counts.reads++;
      return pgStore.get(id);
    },
  };
  const auth = createAuth({
    apiKeys: { store, hasher, failureThrottle: false, cache: { ttl: TTL, revalidateTtl } },
  });
  const keys = [];
  for (let i = 0; i < KEYS; i++) {
    keys.push((await auth.keys.create({ ownerId: `o${i % 5}`, name: `k${i}` })).key);
  }
  counts.reads = 0;
  const start = performance.now();
  const users = keys.map(async (key, i) => {
    // Spread the keys over the interval, as independent clients would be.
    await new Promise((r) => setTimeout(r, (i * USE_EVERY) / KEYS));
    while (performance.now() - start < HOUR) {
      const result = await auth.authenticate(
        new globalThis.Request("http://x/", { headers: { "x-api-key": key } }),
      );
      counts.requests++;
      if (!result.ok) counts.refused++;
      await new Promise((r) => setTimeout(r, USE_EVERY));
    }
  });
  await Promise.all(users);
  const elapsed = performance.now() - start;
  await auth.close();
  return {
    revalidateTtl: `${revalidateTtl} ms`,
    "argon2 per key per hour": +(counts.verifies / KEYS).toFixed(2),
    "store reads per key per hour": +(counts.reads / KEYS).toFixed(1),
    "uses per key": +(counts.requests / KEYS).toFixed(0),
    refused: counts.refused,
    "run (ms)": Math.round(elapsed),
  };
}

const schema = `gh_argon_${randomBytes(4).toString("hex")}`;
const rows = [];
try {
  rows.push(await simulate(schema, HOUR));
  rows.push(await simulate(schema, 1));
} finally {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
console.log(
  `node ${process.version}; ${KEYS} keys, each used every ${USE_EVERY} ms; cache.ttl ${TTL} ms; one hour compressed to ${HOUR} ms (120 TTLs)`,
);
console.table(rows);
