// `npm run bench`: the whole HTTP comparison in one command, on a fresh clone after `npm ci`.
// It builds the package (GATEHOUSE_BENCH_BUILD=0 skips that), then for every adapter runs
// the framework's no-op middleware (the floor), gatehouse with a repeated Bearer JWT and with
// a repeated API key, and the framework's usual JWT middleware, interleaved: every case once
// per round, rounds one after another, the median round reported. Each case is a fresh
// server process (bench/http/server.mjs) pinned to CPU 0; this process, which runs
// autocannon, is pinned to CPU 1 (where `taskset` exists and the machine has 2 CPUs or more),
// so the server never waits for the load generator's core. Every server is measured at each
// connection count in turn (10 then 50 by default) after one warm-up.
//
// Server CPU per request is the server's own process.cpuUsage() (user + system, µs), asked
// over an IPC channel before and after each measurement, over the requests answered. It
// does not depend on how fast the load generator is, so it separates costs req/s blurs.
// The load generator's own CPU share is reported too: near 100% the client, not the
// server, set the req/s of that row.
//
//   npm run bench                              whole matrix, ~15–20 min on 2 cores
//   npm run bench -- express koa:gatehouse-jwt narrower: frameworks, or framework:cases
//   npm run bench -- cold | balancer | paired | all
//                                              the cold-path run, the balancer run, the warm
//                                              path paired with its floor in one process, all
//
// Environment: GATEHOUSE_BENCH_SECONDS (per measurement, default 3), GATEHOUSE_BENCH_ROUNDS
// (default 3), GATEHOUSE_BENCH_CONNECTIONS (default "10,50"), GATEHOUSE_BENCH_WARMUP (requests
// sent before measuring, default 3000), GATEHOUSE_BENCH_NODE_FLAGS
// (flags for the server processes), GATEHOUSE_BENCH_OUT (the Markdown file, default
// bench/results/latest.md; the raw figures go next to it as .json).
import { spawnSync } from "node:child_process";
import {
  benchNodeFlags,
  buildOnce,
  canPin,
  FRAMEWORK_LABEL as LABEL,
  pinSelf,
  prettify,
  serverCpu,
  snapshotDist,
  startServer,
  stopServer,
  uptimeText,
} from "./common.mjs";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);

// The other runs of `npm run bench -- <name>`: scripts of their own, run as they are.
const OTHER = {
  cold: "bench/http/cold.mjs",
  balancer: "bench/balancer.mjs",
  paired: "bench/http/paired.mjs",
};
const wanted = args.filter((a) => a in OTHER || a === "all");
const selection = args.filter((a) => !(a in OTHER) && a !== "all");
const runMatrix = wanted.length === 0 || wanted.includes("all") || selection.length > 0;

const FLOOR = "noop-middleware";
const FLOOR_KEY = "noop-middleware-apikey";
const OURS = [FLOOR, FLOOR_KEY, "gatehouse-jwt", "gatehouse-apikey"];
const PEERS = {
  express: ["express-jwt", "express-jwt-keyobject", "passport-jwt", "passport-jwt-keyobject"],
  express4: ["express-jwt", "express-jwt-keyobject", "passport-jwt", "passport-jwt-keyobject"],
  koa: ["koa-jwt", "koa-jwt-keyobject"],
  koa2: ["koa-jwt", "koa-jwt-keyobject"],
  hono: ["hono-jwt", "hono-jwt-cryptokey"],
  fastify: ["fastify-jwt", "fastify-jwt-keyobject"],
  // The installed @fastify/jwt (10) requires Fastify 5; a fetch handler and a Nest guard have
  // no common JWT middleware to compare with.
  fastify4: [],
  fetch: [],
  nestjs: [],
};
/** The floor a case is compared with: the no-op middleware sent the same credential. */
const floorOf = (benchCase) => (benchCase.includes("apikey") ? FLOOR_KEY : FLOOR);

function plan() {
  const chosen = {};
  const items = selection.length > 0 ? selection : Object.keys(PEERS);
  for (const item of items) {
    const [framework, list] = item.split(":");
    if (!(framework in PEERS)) throw new Error(`unknown framework ${framework}`);
    const known = [...OURS, ...PEERS[framework]];
    const cases = list ? list.split(",") : known;
    for (const c of cases) {
      if (!known.includes(c)) throw new Error(`unknown case ${framework}:${c}`);
    }
    const floors = [...new Set(cases.map(floorOf))].filter((f) => !cases.includes(f));
    chosen[framework] = [...new Set([...(chosen[framework] ?? []), ...floors, ...cases])];
  }
  return chosen;
}

const WARMUP = Number(process.env.GATEHOUSE_BENCH_WARMUP ?? 3000);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
async function matrix() {
  const seconds = Number(process.env.GATEHOUSE_BENCH_SECONDS ?? 3);
  const rounds = Number(process.env.GATEHOUSE_BENCH_ROUNDS ?? 3);
  const connectionCounts = (process.env.GATEHOUSE_BENCH_CONNECTIONS ?? "10,50")
    .split(",")
    .map(Number);
  const nodeFlags = benchNodeFlags();
  const out = process.env.GATEHOUSE_BENCH_OUT ?? `${root}bench/results/latest.md`;
  const CASES = plan();

  // A copy per run (by pid): two runs at once cannot swap each other's copy.
  const snapshot = snapshotDist("compare");
  const pinned = canPin() && pinSelf(1);
  const server = `${root}bench/http/server.mjs`;

  async function measure(framework, benchCase) {
    const { child, port, headers } = await startServer([server, framework, benchCase], {
      dist: snapshot,
      pin: pinned,
    });
    try {
      const url = `http://127.0.0.1:${port}/hello`;
      const check = await fetch(url, { headers });
      if (check.status !== 200) throw new Error(`${framework}/${benchCase}: ${check.status}`);
      // Warm-up by count, not time: on a busy machine a second can be a few hundred
      // requests, too few for V8 to have optimised the request path, and the first
      // measurement would then pay for the compilation.
      await autocannon({ url, headers, connections: connectionCounts[0], amount: WARMUP });
      const rows = [];
      for (const connections of connectionCounts) {
        const cpuBefore = await serverCpu(child);
        const clientBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        const result = await autocannon({ url, headers, connections, duration: seconds });
        const wall = Number(process.hrtime.bigint() - started) / 1000;
        const client = process.cpuUsage(clientBefore);
        const cpuAfter = await serverCpu(child);
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(
            `${framework}/${benchCase}: ${result.non2xx} non-2xx, ${result.errors} errors`,
          );
        }
        rows.push({
          connections,
          rps: result.requests.total / (wall / 1e6),
          p99: result.latency.p99,
          cpu: (cpuAfter - cpuBefore) / result.requests.total,
          serverShare: (cpuAfter - cpuBefore) / wall,
          clientShare: (client.user + client.system) / wall,
        });
      }
      return rows;
    } finally {
      stopServer(child);
    }
  }

  const started = new Date();
  const startUptime = uptimeText();
  const results = new Map(); // "framework case connections" → [row, …] (one per round)
  for (let round = 0; round < rounds; round += 1) {
    for (const [framework, cases] of Object.entries(CASES)) {
      for (const benchCase of cases) {
        for (const row of await measure(framework, benchCase)) {
          const key = `${framework} ${benchCase} ${row.connections}`;
          results.set(key, [...(results.get(key) ?? []), row]);
          console.error(
            `round ${round + 1}/${rounds}: ${framework} ${benchCase} c=${row.connections}: ` +
              `${Math.round(row.rps)} req/s, server ${row.cpu.toFixed(1)} µs/req, ` +
              `client CPU ${(row.clientShare * 100).toFixed(0)}%`,
          );
        }
      }
    }
  }
  const endUptime = uptimeText();
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);

  const lines = [];
  lines.push(
    `Run of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes} min: ` +
      `\`npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}\`; Node ${process.version}, ` +
      `${cpus().length} CPUs, ` +
      (pinned ? "server pinned to CPU 0, load generator to CPU 1" : "no CPU pinning") +
      `; ${seconds} s per measurement after a warm-up of ${WARMUP} requests, median of ${rounds} rounds` +
      (nodeFlags.length ? `, server flags ${nodeFlags.join(" ")}` : "") +
      ".",
  );
  lines.push("", `- uptime at start: \`${startUptime}\``, `- uptime at end: \`${endUptime}\``, "");
  lines.push(
    "Floor: the framework's no-op middleware sent the same credential header (Bearer token, or",
    "API key for the API-key rows). ratio = req/s over the floor's; over floor = server µs/req",
    "minus the floor's; client CPU = the load generator's share of its core (near 100%, the",
    "client set the req/s).",
    "",
  );
  lines.push(
    "| framework | case | conns | req/s | ratio to no-op | server µs/req | µs over floor | p99 ms | client CPU |",
  );
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const summary = [];
  for (const connections of connectionCounts) {
    for (const [framework, cases] of Object.entries(CASES)) {
      for (const benchCase of cases) {
        const runs = results.get(`${framework} ${benchCase} ${connections}`);
        const floorRuns = results.get(`${framework} ${floorOf(benchCase)} ${connections}`);
        const rps = median(runs.map((r) => r.rps));
        const cpu = median(runs.map((r) => r.cpu));
        const floorRps = median(floorRuns.map((r) => r.rps));
        const floorCpu = median(floorRuns.map((r) => r.cpu));
        const row = {
          framework,
          case: benchCase,
          connections,
          rps,
          ratio: rps / floorRps,
          cpu,
          overFloor: cpu - floorCpu,
          p99: median(runs.map((r) => r.p99)),
          client: median(runs.map((r) => r.clientShare)),
          rounds: runs,
        };
        summary.push(row);
        const over = benchCase.startsWith("noop") ? "" : row.overFloor.toFixed(1);
        lines.push(
          `| ${LABEL[framework]} | ${benchCase} | ${connections} | ` +
            `${Math.round(rps).toLocaleString("en-US")} | ${row.ratio.toFixed(2)} | ` +
            `${cpu.toFixed(1)} | ${over} | ${row.p99} | ${(row.client * 100).toFixed(0)}% |`,
        );
      }
    }
  }
  const markdown = lines.join("\n") + "\n";
  console.log(markdown);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdown);
  writeFileSync(out.replace(/\.md$/, "") + ".json", JSON.stringify(summary, null, 1) + "\n");
  prettify(out, out.replace(/\.md$/, "") + ".json");
  console.error(`written to ${out}`);
}

buildOnce();
if (runMatrix) await matrix();
for (const name of Object.keys(OTHER)) {
  if (!wanted.includes(name) && !wanted.includes("all")) continue;
  const run = spawnSync(process.execPath, [`${root}${OTHER[name]}`], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, GATEHOUSE_BENCH_BUILD: "0" },
  });
  if (run.status !== 0) process.exitCode = 1;
}
