// The cold path: every request carries a token never seen before, so no verifier can answer
// from a cache and each one checks a signature. `npm run bench -- cold` (builds first), or
// `node bench/http/cold.mjs` after `npm run build`.
//
// For HS256, ES256 and EdDSA, 100 000 distinct valid tokens are minted ahead (a fresh key
// pair per algorithm, node:crypto, outside the measurement) and sent in turn, one per request
// (autocannon's setupRequest), to: node:http with no check (the floor), node:http with a
// hand-rolled jose `jwtVerify` and the key imported once, gatehouse's core on node:http, and
// on Express, Hono and Fastify: the no-op middleware, gatehouse, and express-jwt, hono/jwt,
// @fastify/jwt with the key imported once. Every verifier checks signature, exp, iss, aud.
//
// Then the flood: gatehouse on node:http sent distinct well-formed tokens with a bad
// signature (signed by another key), with one good token in every 10th request, while a
// probe sends the good token every 5 ms on a connection of its own. The server counts the
// signature checks made on the good token's bytes (cold-server.mjs), so the good token's cache
// hit rate during the flood is measured, not inferred; the probe's latency is compared with
// the same probe on the idle server.
//
// Environment: GATEHOUSE_BENCH_SECONDS (default 3), GATEHOUSE_BENCH_ROUNDS (default 3),
// GATEHOUSE_BENCH_TOKENS (default 100000), GATEHOUSE_BENCH_ALGS (default HS256,ES256,EdDSA),
// GATEHOUSE_BENCH_OUT (default bench/results/cold.md), GATEHOUSE_BENCH_NODE_FLAGS (flags
// for the server processes).
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { clearInterval, setInterval } from "node:timers";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import {
  ask,
  buildOnce,
  canPin,
  pinSelf,
  prettify,
  serverCpu,
  snapshotDist,
  startServer,
  stopServer,
  uptimeText,
} from "../common.mjs";
import { keysFor, mint } from "../cold-tokens.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.env.GATEHOUSE_BENCH_SECONDS ?? 3);
const rounds = Number(process.env.GATEHOUSE_BENCH_ROUNDS ?? 3);
const tokenCount = Number(process.env.GATEHOUSE_BENCH_TOKENS ?? 100_000);
const algs = (process.env.GATEHOUSE_BENCH_ALGS ?? "HS256,ES256,EdDSA").split(",");
const out = process.env.GATEHOUSE_BENCH_OUT ?? `${root}bench/results/cold.md`;
const CONNECTIONS = 10;
const WARMUP = Number(process.env.GATEHOUSE_BENCH_WARMUP ?? 3000);

const CASES = [
  ["http", "noop"],
  ["http", "jose"],
  ["http", "gatehouse"],
  ["express", "noop-middleware"],
  ["express", "gatehouse-jwt"],
  ["express", "express-jwt"],
  ["hono", "noop-middleware"],
  ["hono", "gatehouse-jwt"],
  ["hono", "hono-jwt"],
  ["fastify", "noop-middleware"],
  ["fastify", "gatehouse-jwt"],
  ["fastify", "fastify-jwt"],
];
// jsonwebtoken 9, under express-jwt, knows no EdDSA.
const unsupported = (alg, benchCase) => alg === "EdDSA" && benchCase === "express-jwt";

buildOnce();
const snapshot = snapshotDist("cold");
const pinned = canPin() && pinSelf(1);
const serverFile = `${root}bench/http/cold-server.mjs`;

/** A cold-server for one case and algorithm, its key (and a good token) in its environment. */
const startColdServer = (framework, benchCase, alg, jwk, good) =>
  startServer([serverFile, framework, benchCase, alg], {
    dist: snapshot,
    pin: pinned,
    env: {
      GATEHOUSE_BENCH_KEY: JSON.stringify(jwk),
      ...(good ? { GATEHOUSE_BENCH_GOOD: good } : {}),
    },
  });

/** An autocannon run that sends `pick(n)` as the Bearer token of the n-th request. */
function cycle(url, pick, duration, amount) {
  let n = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    ...(amount ? { amount } : { duration }),
    requests: [
      {
        method: "GET",
        setupRequest(req) {
          req.headers = { authorization: `Bearer ${pick(n++)}` };
          return req;
        },
      },
    ],
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

const startUptime = uptimeText();
const started = new Date();
const keys = {};
let next = 0; // the next unused token, across cases: no server sees a token twice
for (const alg of algs) {
  const { jwk, sign } = keysFor(alg);
  const t0 = Date.now();
  const tokens = mint(alg, sign, tokenCount, "good");
  const bad = mint(alg, keysFor(alg).sign, tokenCount, "bad");
  keys[alg] = { jwk, tokens, bad };
  console.error(`${alg}: minted ${2 * tokenCount} tokens in ${Date.now() - t0} ms`);
}

async function measureCase(framework, benchCase, alg) {
  const { jwk, tokens } = keys[alg];
  const { child, port } = await startColdServer(framework, benchCase, alg, jwk);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    const pick = () => tokens[next++ % tokens.length];
    // Warm-up by count (V8 must have optimised the path before the measurement).
    await cycle(url, pick, 0, WARMUP);
    const before = await serverCpu(child);
    const started = process.hrtime.bigint();
    const result = await cycle(url, pick, seconds);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = (await serverCpu(child)) - before;
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${framework}/${benchCase}/${alg}: ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    return {
      rps: result.requests.total / wall,
      cpu: cpu / result.requests.total,
      p99: result.latency.p99,
    };
  } finally {
    stopServer(child);
  }
}

/** Sends the good token every 5 ms on one keep-alive connection; resolves to latencies (ms). */
function probe(port, token, duration) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let status200 = 0;
  return new Promise((resolve) => {
    const end = Date.now() + duration * 1000;
    const timer = setInterval(() => {
      if (Date.now() >= end) {
        clearInterval(timer);
        setTimeout(() => {
          agent.destroy();
          resolve({ latencies: latencies.sort((a, b) => a - b), status200 });
        }, 200);
        return;
      }
      const sent = process.hrtime.bigint();
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/hello",
          agent,
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) status200 += 1;
            latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
          });
        },
      );
      req.on("error", () => {});
      req.end();
    }, 5);
  });
}

async function flood(alg) {
  const { jwk, tokens, bad } = keys[alg];
  const good = tokens[next++ % tokens.length];
  const { child, port } = await startColdServer("http", "gatehouse", alg, jwk, good);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    const idle = await probe(port, good, 2);
    const { counts: countsBefore } = await ask(child, "counts");
    const cpuBefore = await serverCpu(child);
    let b = 0;
    const pick = (n) => (n % 10 === 0 ? good : bad[b++ % bad.length]);
    const [result, busy] = await Promise.all([
      cycle(url, pick, seconds + 2),
      probe(port, good, seconds + 2),
    ]);
    const cpu = (await serverCpu(child)) - cpuBefore;
    const { counts } = await ask(child, "counts");
    const goodRequests = counts.goodRequests - countsBefore.goodRequests;
    const goodVerifies = counts.goodVerifies - countsBefore.goodVerifies;
    return {
      alg,
      rps: result.requests.total / (seconds + 2),
      non2xx: result.non2xx,
      cpu: cpu / (result.requests.total + busy.latencies.length),
      goodRequests,
      goodVerifies,
      signatureChecks: counts.verifies - countsBefore.verifies,
      hitRate: 1 - goodVerifies / goodRequests,
      probeOk: busy.status200 / busy.latencies.length,
      idle: { p50: quantile(idle.latencies, 0.5), p99: quantile(idle.latencies, 0.99) },
      busy: { p50: quantile(busy.latencies, 0.5), p99: quantile(busy.latencies, 0.99) },
    };
  } finally {
    stopServer(child);
  }
}

const results = new Map();
for (let round = 0; round < rounds; round += 1) {
  for (const alg of algs) {
    for (const [framework, benchCase] of CASES) {
      if (unsupported(alg, benchCase)) continue;
      const row = await measureCase(framework, benchCase, alg);
      const key = `${alg} ${framework} ${benchCase}`;
      results.set(key, [...(results.get(key) ?? []), row]);
      console.error(
        `round ${round + 1}/${rounds}: ${key}: ${Math.round(row.rps)} req/s, ${row.cpu.toFixed(1)} µs/req`,
      );
    }
  }
}
const floods = [];
for (const alg of algs) {
  floods.push(await flood(alg));
  console.error(`flood ${alg}: ${JSON.stringify(floods.at(-1))}`);
}
const endUptime = uptimeText();

const floorCase = (framework) => (framework === "http" ? "noop" : "noop-middleware");
const lines = [
  `Run of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC: \`npm run bench -- cold\`; ` +
    `Node ${process.version}, ${cpus().length} CPUs, ` +
    (pinned ? "server pinned to CPU 0, load generator to CPU 1" : "no CPU pinning") +
    `; ${tokenCount.toLocaleString("en-US")} distinct tokens per algorithm, each sent once; ` +
    `${CONNECTIONS} connections, ${seconds} s per case after a warm-up of ${WARMUP} requests, median of ${rounds} rounds.`,
  "",
  `- uptime at start: \`${startUptime}\``,
  `- uptime at end: \`${endUptime}\``,
  "",
  "| alg | framework | case | req/s | ratio to floor | server µs/req | µs over floor | vs gatehouse (req/s) |",
  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
];
const summary = [];
for (const alg of algs) {
  for (const [framework, benchCase] of CASES) {
    if (unsupported(alg, benchCase)) {
      lines.push(`| ${alg} | ${framework} | ${benchCase} | n/a | | | | |`);
      continue;
    }
    const get = (c) => results.get(`${alg} ${framework} ${c}`);
    const rps = median(get(benchCase).map((r) => r.rps));
    const cpu = median(get(benchCase).map((r) => r.cpu));
    const floorRps = median(get(floorCase(framework)).map((r) => r.rps));
    const floorCpu = median(get(floorCase(framework)).map((r) => r.cpu));
    const ours = framework === "http" ? "gatehouse" : "gatehouse-jwt";
    const oursRps = median(get(ours).map((r) => r.rps));
    const isFloor = benchCase === floorCase(framework);
    summary.push({
      alg,
      framework,
      case: benchCase,
      rps,
      cpu,
      floorRps,
      floorCpu,
      rounds: get(benchCase),
    });
    lines.push(
      `| ${alg} | ${framework} | ${benchCase} | ${Math.round(rps).toLocaleString("en-US")} | ` +
        `${(rps / floorRps).toFixed(2)} | ${cpu.toFixed(1)} | ${isFloor ? "" : (cpu - floorCpu).toFixed(1)} | ` +
        `${isFloor || benchCase.startsWith("gatehouse") ? "" : (rps / oursRps).toFixed(2)} |`,
    );
  }
}
lines.push(
  "",
  "Flood: gatehouse on node:http, 9 of every 10 requests a distinct well-formed token with a bad",
  `signature, every 10th the one good token, ${CONNECTIONS} connections for ${seconds + 2} s; a probe sends the`,
  "good token every 5 ms on a connection of its own (latency idle = the same probe before the flood).",
  "",
  "| alg | flood req/s | refused | good-token requests | signature checks of the good token | good-token cache hit rate | probe p50 / p99 idle | probe p50 / p99 in flood | server µs/req |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const f of floods) {
  lines.push(
    `| ${f.alg} | ${Math.round(f.rps).toLocaleString("en-US")} | ${f.non2xx.toLocaleString("en-US")} | ` +
      `${f.goodRequests.toLocaleString("en-US")} | ${f.goodVerifies} | ${(f.hitRate * 100).toFixed(2)}% | ` +
      `${f.idle.p50.toFixed(2)} / ${f.idle.p99.toFixed(2)} ms | ${f.busy.p50.toFixed(2)} / ${f.busy.p99.toFixed(2)} ms | ${f.cpu.toFixed(1)} |`,
  );
}
const markdown = lines.join("\n") + "\n";
console.log(markdown);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, markdown);
writeFileSync(
  out.replace(/\.md$/, "") + ".json",
  JSON.stringify({ summary, floods }, null, 1) + "\n",
);
prettify(out, out.replace(/\.md$/, "") + ".json");
console.error(`written to ${out}`);
