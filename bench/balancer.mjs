// Bad-key floods behind a balancer: N gatehouse instances (N = 1, 4, 20) sent requests in
// round robin, so every instance sees every key, on one SQLite file with the real argon2id
// hasher at its default (OWASP) parameters. `npm run bench -- balancer` (builds
// first), or `node bench/balancer.mjs [N…]` after `npm run build`.
//
// Processes: the N instances share one process pinned to CPU 0 (each its own createAuth,
// its own SQLite connection, its own node:http server and port: separate caches, throttles
// and hash gates on one core, so every N has the same hardware); this load generator, which
// is the balancer (request after request to the next instance), runs on CPU 1.
// GATEHOUSE_BENCH_PROXY=1 puts a round-robin HTTP proxy process between them instead, on
// CPU 1 too. That was the default once; on this 2-CPU machine the proxy and the generator
// together saturate CPU 1 at 1,000 req/s, and the good key's latency is then the proxy's
// accept queue, seconds of it even with no argon2 at all (see docs/benchmarks.md).
//
// Each instance's hasher is argon2Hasher() wrapped to count its verifies per stored hash:
// every good key has a hash of its own, so the count per good key per instance is exact.
//
// Per N: first every good key is sent N times in a row (one visit to each instance: the
// first sight, one argon2 verify each), then for GATEHOUSE_BENCH_FLOOD_SECONDS (default 15)
// an open loop sends 1,000 req/s of well-formed bad keys (valid checksum; half random ids that
// exist nowhere, half wrong secrets over 1,000 ids that exist) while a probe sends the good
// keys in turn at 50 req/s. Reported: the probe's p50/p99/max and its 200s, the flood's
// answers, argon2 verifies per good key per instance (flood included), and the flood's
// argon2 verifies per instance.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { clearInterval, setInterval } from "node:timers";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  benchNodeFlags,
  buildOnce,
  canPin,
  importBuild,
  pinSelf,
  pinnedNode,
  prettify,
  uptimeText,
} from "./common.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const here = fileURLToPath(import.meta.url);
// The build, read through GATEHOUSE_DIST (importBuild); the run sets it to a private copy of
// dist/ that its child processes inherit, so a rebuild by someone else during the run cannot
// pull files from under them.
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n) => Array.from(randomBytes(n), (b) => BASE62[b % 62]).join("");
const PREFIX = "gh";
const GOOD_KEYS = 10;
const BAD_IDS = 1000;
// GATEHOUSE_BENCH_BAD_RATE: bad keys per second (default 1,000).
const BAD_RATE = Number(process.env.GATEHOUSE_BENCH_BAD_RATE ?? 1000);
const PROBE_RATE = 50;
// The probe's latency is also reported without its first second of flood: the flood's first
// moments open the open loop's connections, and a start-up wait shows there even with no
// argon2 at all (every id unknown).
const SETTLED_MS = 1000;
// GATEHOUSE_BENCH_UNKNOWN_ONLY=1: every bad key names an id that exists nowhere, so that the
// flood costs no argon2 at all: what is left is the harness's and the HTTP path's.
const UNKNOWN_ONLY = process.env.GATEHOUSE_BENCH_UNKNOWN_ONLY === "1";
// GATEHOUSE_BENCH_PROXY=1: through the proxy process (see the top of this file).
const VIA_PROXY = process.env.GATEHOUSE_BENCH_PROXY === "1";
// GATEHOUSE_BENCH_HASH_MAX sets apiKeys.hashConcurrency.max (default: the package's own).
const HASH_MAX = Number(process.env.GATEHOUSE_BENCH_HASH_MAX ?? 0);
// GATEHOUSE_BENCH_HASH_QUEUE sets apiKeys.hashConcurrency.queue (default: the package's own).
const HASH_QUEUE = process.env.GATEHOUSE_BENCH_HASH_QUEUE;

/** A request view of an IncomingMessage, what gatehouse's core reads. */
const viewOf = (req) => ({
  method: req.method,
  url: req.url,
  headers: {
    get(name) {
      const value = req.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(", ") : value;
    },
  },
  ip: req.socket.remoteAddress,
});

// ---- the instances' process: `node bench/balancer.mjs instances <N> <sqlite file>`
async function instances(count, path) {
  // A normal exit on kill(), so that a --cpu-prof in GATEHOUSE_BENCH_NODE_FLAGS is written.
  process.once("SIGTERM", () => process.exit(0));
  const { createAuth, argon2Hasher, statusOf } = await importBuild("index.js");
  const { sqliteKeyStore } = await importBuild("stores/sqlite.js");
  const all = [];
  let goodServerMs = [];
  for (let i = 0; i < count; i += 1) {
    const inner = argon2Hasher();
    const counts = { byHash: {}, verifies: 0 };
    const hasher = {
      ...inner,
      id: inner.id,
      hash: (secret) => inner.hash(secret),
      verify: (hash, secret) => {
        counts.verifies += 1;
        counts.byHash[hash] = (counts.byHash[hash] ?? 0) + 1;
        return inner.verify(hash, secret);
      },
    };
    const auth = createAuth({
      apiKeys: {
        store: sqliteKeyStore({ path }),
        hasher,
        prefix: PREFIX,
        hashConcurrency: {
          ...(HASH_MAX ? { max: HASH_MAX } : {}),
          ...(HASH_QUEUE === undefined ? {} : { queue: Number(HASH_QUEUE) }),
        },
      },
    });
    const statuses = {};
    const server = createServer(async (req, res) => {
      const arrived = process.hrtime.bigint();
      const result = await auth.authenticate(viewOf(req));
      const status = result.ok ? 200 : statusOf(result.error.code);
      statuses[status] = (statuses[status] ?? 0) + 1;
      // The instance's own time for a good key, arrival to answer: the part of the probe's
      // latency that is gatehouse's and not the proxy's or the load generator's.
      if (result.ok) goodServerMs.push(Number(process.hrtime.bigint() - arrived) / 1e6);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(result.ok ? '{"ok":true}' : `{"error":"${result.error.code}"}`);
    });
    server.keepAliveTimeout = 60_000;
    // A deep accept queue: with the default (511) a burst of new connections overflows it
    // and the kernel's SYN retries add whole seconds that are the harness's, not the code's.
    await new Promise((resolve) =>
      server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
    );
    all.push({ port: server.address().port, counts, statuses });
  }
  // How long a ready callback waits for the event loop: with argon2 on the same core, the
  // wait a request spends before any of gatehouse's code runs.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  process.on("message", (message) => {
    if (message === "counts") {
      const ms = goodServerMs;
      goodServerMs = [];
      const loopDelay = { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6 };
      delay.reset();
      process.send({
        loopDelay,
        cpu: process.cpuUsage(),
        goodServerMs: ms,
        instances: all.map(({ counts, statuses }) => ({ ...counts, statuses })),
      });
    }
  });
  process.send({ ports: all.map((a) => a.port) });
}

// ---- the proxy's process: `node bench/balancer.mjs proxy <port,port,…>`
async function proxy(ports) {
  // No cap on upstream connections: a capped pool would queue good requests behind bad ones
  // in the proxy, a head-of-line wait of the harness, not of the instances.
  const agent = new Agent({ keepAlive: true });
  let next = 0;
  const server = createServer((req, res) => {
    const port = ports[next++ % ports.length];
    const upstream = request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) =>
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve),
  );
  process.on("message", () => process.send({ cpu: process.cpuUsage() }));
  process.send({ port: server.address().port });
}

// ---- the run
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

function get(agent, port, key) {
  const sent = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/hello", agent, headers: { "x-api-key": key } },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - sent) / 1e6 }),
        );
      },
    );
    req.on("error", () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - sent) / 1e6 }));
    req.end();
  });
}

function started(child) {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`child exited: ${code}`)));
    child.once("message", resolve);
  });
}
const ask = (child) =>
  new Promise((resolve) => {
    child.once("message", resolve);
    child.send("counts");
  });

// GATEHOUSE_BENCH_NODE_FLAGS: flags for the instances' process (e.g. --cpu-prof).
const NODE_FLAGS = benchNodeFlags();

async function run(count, path, goodKeys, goodHashes, badIds, pinned, floodSeconds) {
  const instanceArgv = [...NODE_FLAGS, here, "instances", String(count), path];
  const [command, argv] = pinnedNode(0, instanceArgv, pinned);
  const inst = spawn(command, argv, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const { ports } = await started(inst);
  let prox;
  let nextInstance = 0;
  let target;
  if (VIA_PROXY) {
    const [pcommand, pargv] = pinnedNode(1, [here, "proxy", ports.join(",")], pinned);
    prox = spawn(pcommand, pargv, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const { port } = await started(prox);
    prox.removeAllListeners("exit");
    target = () => port;
  } else {
    // The balancer's one rule: each request, good or bad, to the next instance.
    target = () => ports[nextInstance++ % ports.length];
  }
  inst.removeAllListeners("exit");
  // The proxy's CPU time so far, when there is a proxy.
  const proxyCpu = async () => (prox ? (await ask(prox)).cpu : undefined);
  try {
    // No socket cap on either side: a capped pool queues requests in this process, and that
    // queue, not the instances, would then set the latency.
    const probeAgent = new Agent({ keepAlive: true });
    const floodAgent = new Agent({ keepAlive: true });
    // First sight: each good key once per instance, nothing else running.
    const warm = [];
    for (const key of goodKeys) {
      for (let i = 0; i < count; i += 1) warm.push(await get(probeAgent, target(), key));
    }
    const warmFailed = warm.filter((r) => r.status !== 200).length;

    const before = await ask(inst);
    const proxyBefore = await proxyCpu();
    const selfBefore = process.cpuUsage();
    const flood = { sent: 0, statuses: {}, latencies: [] };
    const probe = { sent: 0, statuses: {}, latencies: [], settled: [] };
    const pending = [];
    const t0 = Date.now();
    const end = t0 + floodSeconds * 1000;
    const record = (into) => (r) => {
      into.statuses[r.status] = (into.statuses[r.status] ?? 0) + 1;
      into.latencies.push(r.ms);
    };
    // Open loop: the schedule is the clock's, not the answers'. Each tick sends what the
    // clock says is due, so a late timer catches up rather than lowering the rate.
    await new Promise((resolve) => {
      let g = 0;
      const timer = setInterval(() => {
        const now = Math.min(Date.now(), end);
        const elapsed = now - t0;
        while (flood.sent < Math.floor((elapsed * BAD_RATE) / 1000)) {
          const n = flood.sent++;
          // By a coin, not by parity: with an even N, parity would send each kind to
          // half of the instances only.
          const id = UNKNOWN_ONLY || Math.random() < 0.5 ? base62(16) : badIds[n % badIds.length];
          pending.push(get(floodAgent, target(), makeKey(id, base62(32))).then(record(flood)));
        }
        while (probe.sent < Math.floor((elapsed * PROBE_RATE) / 1000)) {
          const key = goodKeys[g++ % goodKeys.length];
          probe.sent++;
          const at = Date.now() - t0;
          pending.push(
            get(probeAgent, target(), key).then((r) => {
              if (at >= SETTLED_MS) probe.settled.push(r.ms);
              record(probe)(r);
            }),
          );
        }
        if (now >= end) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const sentFor = (Date.now() - t0) / 1000;
    await Promise.all(pending);
    const drained = (Date.now() - t0) / 1000;
    const after = await ask(inst);
    const proxyAfter = await proxyCpu();
    const self = process.cpuUsage(selfBefore);

    const perGood = [];
    for (const hash of goodHashes) {
      for (const instance of after.instances) perGood.push(instance.byHash[hash] ?? 0);
    }
    const goodSet = new Set(goodHashes);
    const badVerifies = after.instances.map((instance, i) => {
      const total = Object.entries(instance.byHash)
        .filter(([hash]) => !goodSet.has(hash))
        .reduce((sum, [, n]) => sum + n, 0);
      const earlier = Object.entries(before.instances[i].byHash)
        .filter(([hash]) => !goodSet.has(hash))
        .reduce((sum, [, n]) => sum + n, 0);
      return total - earlier;
    });
    const cpu = after.cpu.user + after.cpu.system - (before.cpu.user + before.cpu.system);
    const sorted = probe.latencies.sort((a, b) => a - b);
    const settled = probe.settled.sort((a, b) => a - b);
    const inside = after.goodServerMs.sort((a, b) => a - b);
    const floodSorted = flood.latencies.sort((a, b) => a - b);
    return {
      instances: count,
      warmFailed,
      floodSent: flood.sent,
      floodRate: flood.sent / sentFor,
      floodAnswered: flood.latencies.length / drained,
      floodStatuses: flood.statuses,
      floodP50: quantile(floodSorted, 0.5),
      floodP99: quantile(floodSorted, 0.99),
      probeSent: probe.sent,
      probeStatuses: probe.statuses,
      probeRate: probe.latencies.length / sentFor,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1),
      settledP99: quantile(settled, 0.99),
      settledMax: settled.at(-1),
      insideP50: quantile(inside, 0.5),
      insideP99: quantile(inside, 0.99),
      goodArgon2Min: Math.min(...perGood),
      goodArgon2Max: Math.max(...perGood),
      badArgon2PerInstance: badVerifies,
      badArgon2Total: badVerifies.reduce((a, b) => a + b, 0),
      serverCpuShare: cpu / (drained * 1e6),
      loopDelayP50: after.loopDelay.p50,
      loopDelayP99: after.loopDelay.p99,
      proxyCpuShare:
        proxyAfter &&
        (proxyAfter.user + proxyAfter.system - proxyBefore.user - proxyBefore.system) /
          (drained * 1e6),
      clientCpuShare: (self.user + self.system) / (drained * 1e6),
    };
  } finally {
    inst.kill();
    prox?.kill();
  }
}

let makeKey;

async function main() {
  buildOnce();
  const counts = process.argv.slice(2).map(Number).filter(Boolean);
  const list = counts.length ? counts : [1, 4, 20];
  const floodSeconds = Number(process.env.GATEHOUSE_BENCH_FLOOD_SECONDS ?? 15);
  const out = process.env.GATEHOUSE_BENCH_OUT ?? join(root, "bench/results/balancer.md");
  if (!process.env.GATEHOUSE_DIST) {
    const snapshot = join(root, "node_modules/.cache/gatehouse-bench-balancer-dist");
    rmSync(snapshot, { recursive: true, force: true });
    cpSync(join(root, "dist"), snapshot, { recursive: true });
    process.env.GATEHOUSE_DIST = snapshot;
  }
  const { argon2Hasher, formatApiKey } = await importBuild("index.js");
  const { sqliteKeyStore } = await importBuild("stores/sqlite.js");
  makeKey = (id, secret) => formatApiKey({ prefix: PREFIX, id, secret });
  const pinned = canPin() && pinSelf(1);
  const startUptime = uptimeText();
  const startedAt = new Date();
  const rows = [];
  for (const count of list) {
    // A fresh file per N, so that no instance inherits another run's throttle or cache.
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-balancer-"));
    const path = join(dir, "keys.db");
    try {
      const store = sqliteKeyStore({ path });
      const hasher = argon2Hasher();
      const record = (id, hash, i) => ({
        id,
        ownerId: `o${i % 100}`,
        ownerType: "user",
        name: `k${i}`,
        prefix: PREFIX,
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
      const goodKeys = [];
      const goodHashes = [];
      for (let i = 0; i < GOOD_KEYS; i += 1) {
        const id = base62(16);
        const secret = base62(32);
        const hash = await hasher.hash(secret);
        await store.create(record(id, hash, i));
        goodKeys.push(makeKey(id, secret));
        goodHashes.push(hash);
      }
      // The existing ids the wrong secrets go to share one hash: argon2's cost does not
      // depend on the secret, and the instance verifies per id either way.
      const badHash = await hasher.hash(base62(32));
      const badIds = [];
      for (let i = 0; i < BAD_IDS; i += 1) {
        const id = base62(16);
        await store.create(record(id, badHash, GOOD_KEYS + i));
        badIds.push(id);
      }
      await store.close?.();
      const row = await run(count, path, goodKeys, goodHashes, badIds, pinned, floodSeconds);
      rows.push(row);
      console.error(JSON.stringify(row));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const endUptime = uptimeText();
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  const statuses = (s) =>
    Object.entries(s)
      .map(([code, n]) => `${code}: ${fmt(n)}`)
      .join(", ");
  const lines = [
    `Run of ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: \`npm run bench -- balancer\`; ` +
      `Node ${process.version}, ${cpus().length} CPUs, ` +
      (pinned
        ? `the N instances in one process pinned to CPU 0, ${VIA_PROXY ? "a round-robin proxy and " : ""}the load generator (${VIA_PROXY ? "" : "the balancer, "}round robin) on CPU 1`
        : "no CPU pinning") +
      `; SQLite, argon2id at the default parameters; ${GOOD_KEYS} good keys, ${BAD_IDS} existing ids for ` +
      `the wrong secrets${UNKNOWN_ONLY ? " (GATEHOUSE_BENCH_UNKNOWN_ONLY: none sent)" : ""}; hashConcurrency.max ${HASH_MAX || "default"}, queue ${HASH_QUEUE ?? "default"}; ${BAD_RATE} req/s of bad keys (open loop) for ${floodSeconds} s, good keys at ${PROBE_RATE} req/s.`,
    "",
    `- uptime at start: \`${startUptime}\``,
    `- uptime at end: \`${endUptime}\``,
    "",
    "| instances | bad keys sent, req/s | bad answered, req/s | bad answers | bad p50 / p99 | good req/s | good answers | good p50 | good p99 | good max | good p99 / max after 1 s | good p50 / p99 inside the instance | argon2 per good key per instance | flood argon2 per instance | instances' CPU | event-loop delay p50 / p99 | proxy CPU | client CPU |",
    "| ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const bad = r.badArgon2PerInstance;
    const badText =
      bad.length === 1
        ? fmt(bad[0])
        : `${Math.min(...bad)}–${Math.max(...bad)} (total ${fmt(r.badArgon2Total)})`;
    lines.push(
      `| ${r.instances} | ${fmt(r.floodRate)} | ${fmt(r.floodAnswered)} | ${statuses(r.floodStatuses)} | ` +
        `${r.floodP50.toFixed(1)} / ${r.floodP99.toFixed(1)} ms | ${r.probeRate.toFixed(0)} | ${statuses(r.probeStatuses)} | ` +
        `${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.max.toFixed(1)} ms | ` +
        `${r.settledP99.toFixed(2)} / ${r.settledMax.toFixed(1)} ms | ` +
        `${r.insideP50.toFixed(2)} / ${r.insideP99.toFixed(2)} ms | ` +
        `${r.goodArgon2Min === r.goodArgon2Max ? r.goodArgon2Min : `${r.goodArgon2Min}–${r.goodArgon2Max}`} | ${badText} | ` +
        `${(r.serverCpuShare * 100).toFixed(0)}% | ` +
        `${r.loopDelayP50.toFixed(1)} / ${r.loopDelayP99.toFixed(1)} ms | ` +
        `${r.proxyCpuShare === undefined ? "none" : `${(r.proxyCpuShare * 100).toFixed(0)}%`} | ${(r.clientCpuShare * 100).toFixed(0)}% |`,
    );
  }
  const markdown = lines.join("\n") + "\n";
  console.log(markdown);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdown);
  writeFileSync(out.replace(/\.md$/, "") + ".json", JSON.stringify(rows, null, 1) + "\n");
  prettify(out, out.replace(/\.md$/, "") + ".json");
  console.error(`written to ${out}`);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "instances") await instances(Number(rest[0]), rest[1]);
else if (mode === "proxy") await proxy(rest[0].split(",").map(Number));
else await main();
