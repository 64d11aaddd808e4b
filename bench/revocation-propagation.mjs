/**
 * Revocation propagation between two store instances on one shared server: the time from
 * the start of `update(id, { enabled: false })` on instance A to the change reaching the
 * `subscribe` listener of instance B (separate connections, as two servers would have).
 * 100 revocations per backend, one at a time, after 10 unmeasured warm-up rounds.
 *
 * Run after a build, with PostgreSQL and Redis on 127.0.0.1:
 *   npm run build && node bench/revocation-propagation.mjs
 * Override the servers with GATEHOUSE_TEST_PG_URL / GATEHOUSE_TEST_REDIS_URL.
 * Each run works in its own PostgreSQL schema / Redis key prefix and removes it afterwards.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { Redis } from "ioredis";
import { postgresKeyStore } from "../dist/stores/postgres.js";
import { redisKeyStore } from "../dist/stores/redis.js";
import { sampleKeyRecord } from "../dist/testing.js";

const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = 100;
const WARMUP = 10;
const suffix = randomBytes(4).toString("hex");

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(name, a, b) {
  const waiting = new Map();
  await b.subscribe((change) => {
    const resolve = waiting.get(change.id);
    if (change.type === "update" && resolve) resolve(performance.now());
  });
  const samples = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const record = sampleKeyRecord();
    await a.create(record);
    const heard = new Promise((resolve) => waiting.set(record.id, resolve));
    const start = performance.now();
    await a.update(record.id, { enabled: false });
    const at = await Promise.race([
      heard,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${name}: no announcement in 5 s`)), 5000),
      ),
    ]);
    waiting.delete(record.id);
    if (i >= WARMUP) samples.push(at - start);
  }
  samples.sort((x, y) => x - y);
  const ms = (v) => `${v.toFixed(2)} ms`;
  return {
    store: name,
    n: samples.length,
    p50: ms(percentile(samples, 50)),
    p99: ms(percentile(samples, 99)),
    max: ms(samples.at(-1)),
  };
}

const rows = [];

const schema = `gh_bench_${suffix}`;
const pgA = postgresKeyStore({ connectionString: PG_URL, schema });
const pgB = postgresKeyStore({ connectionString: PG_URL, schema });
try {
  rows.push(await measure("postgres (LISTEN/NOTIFY)", pgA, pgB));
} finally {
  await pgA.close();
  await pgB.close();
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

const prefix = `gh-bench-${suffix}:`;
const redisA = redisKeyStore({ url: REDIS_URL, prefix });
const redisB = redisKeyStore({ url: REDIS_URL, prefix });
try {
  rows.push(await measure("redis (pub/sub)", redisA, redisB));
} finally {
  await redisA.close();
  await redisB.close();
  const admin = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  await admin.quit();
}

console.log(`node ${process.version}, ${ROUNDS} revocations per store after ${WARMUP} warm-up`);
console.table(rows);
