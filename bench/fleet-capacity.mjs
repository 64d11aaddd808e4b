/**
 * Sustained distinct active keys per instance with 0 503s: one instance (this process) on
 * PostgreSQL with the real argon2id hasher (OWASP parameters), asked at a fixed rate (open
 * loop: a request every 10 ms whether or not the previous ones answered, so an overload
 * shows as 503s, not as a slower client), the keys of the active set in turn. The set
 * grows level by level; at each level the keys new to it are first verified once (the
 * warm-up, not counted: an active key is one the instance has seen), then the level runs
 * for 20 s and its answers are counted. The ramp stops at the first level with a 503.
 *
 * Run twice: with the default cache (`max` 10 000, so `revalidateMax` 40 000), and with
 * `cache.max` 100 (`revalidateMax` 400), which moves the point where the instance must run
 * argon2 again on every use down to where a short run can reach it.
 *
 * Keys share one secret, hashed once, under distinct ids: argon2's cost does not depend on
 * the secret, and the verifier cannot know (it verifies per id), so the instance does the
 * same work as for distinct secrets while the set-up skips thousands of hash computations.
 *
 *   npm run build && node bench/fleet-capacity.mjs
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
const { createAuth, argon2Hasher, formatApiKey } = await load("index.js");
const { postgresKeyStore } = await load("stores/postgres.js");
const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const RATE = 100;
const WINDOW = 20_000;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n) => Array.from(randomBytes(n), (b) => BASE62[b % 62]).join("");

const ask = (auth, key) =>
  auth.authenticate(new globalThis.Request("http://x/", { headers: { "x-api-key": key } }));

async function makeKeys(store, hash, secret, count) {
  const keys = [];
  const records = [];
  for (let i = 0; i < count; i++) {
    const id = base62(16);
    keys.push(formatApiKey({ prefix: "gh", id, secret }));
    records.push({
      id,
      ownerId: `o${i % 100}`,
      ownerType: "user",
      name: `k${i}`,
      prefix: "gh",
      hash,
      scopes: [],
      roles: [],
      enabled: true,
      createdAt: new Date(),
      expiresAt: null,
      lastUsedAt: null,
      metadata: null,
      rateLimit: null,
      disabledBy: null,
      disabledAt: null,
    });
  }
  for (let i = 0; i < records.length; i += 50) {
    await Promise.all(records.slice(i, i + 50).map((r) => store.create(r)));
  }
  return keys;
}

async function warm(auth, keys) {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      for (;;) {
        const result = await ask(auth, key);
        if (result.ok) break;
        if (result.error.code !== "unavailable") throw new Error(result.error.code);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function level(auth, keys) {
  const counts = { ok: 0, unavailable: 0, other: 0, slowest: 0 };
  const pending = [];
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < WINDOW) {
    const key = keys[i++ % keys.length];
    const sent = performance.now();
    pending.push(
      ask(auth, key).then((result) => {
        counts.slowest = Math.max(counts.slowest, performance.now() - sent);
        if (result.ok) counts.ok++;
        else if (result.error.code === "unavailable") counts.unavailable++;
        else counts.other++;
      }),
    );
    // Open loop: the next request leaves on schedule, answered or not.
    const due = start + (i * 1000) / RATE;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await Promise.all(pending);
  return { ...counts, rate: +((i * 1000) / (performance.now() - start)).toFixed(1) };
}

async function ramp(label, schema, cache, levels) {
  const hasher = argon2Hasher();
  const secret = base62(32);
  const hash = await hasher.hash(secret);
  const store = postgresKeyStore({ connectionString: PG_URL, schema, onError: () => {} });
  const auth = createAuth({ apiKeys: { store, hasher, failureThrottle: false, cache } });
  const rows = [];
  const keys = [];
  try {
    for (const size of levels) {
      const fresh = await makeKeys(store, hash, secret, size - keys.length);
      const warmStart = performance.now();
      await warm(auth, fresh);
      const warmMs = performance.now() - warmStart;
      keys.push(...fresh);
      const counts = await level(auth, keys);
      rows.push({
        cache: label,
        "active keys": size,
        "req/s": counts.rate,
        200: counts.ok,
        503: counts.unavailable,
        other: counts.other,
        "slowest (ms)": Math.round(counts.slowest),
        "warm-up argon2/s": +((fresh.length * 1000) / warmMs).toFixed(1),
      });
      console.log(rows.at(-1));
      if (counts.unavailable > 0) break;
    }
  } finally {
    await auth.close();
  }
  return rows;
}

const schema = `gh_cap_${randomBytes(4).toString("hex")}`;
const rows = [];
try {
  rows.push(...(await ramp("default", `${schema}_a`, {}, [500, 1000, 2000])));
  rows.push(...(await ramp("max 100", `${schema}_b`, { max: 100 }, [250, 500])));
} finally {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}_a" CASCADE`);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}_b" CASCADE`);
  await admin.end();
}
console.log(
  `node ${process.version}; ${RATE} req/s open loop, ${WINDOW / 1000} s per level, real argon2id (OWASP), PostgreSQL store`,
);
console.table(rows);
