// HTTP adapter benchmark: for each framework, a plain route, the same route behind
// gatehouse's authenticate (a repeated HS256 Bearer token; a repeated API key), and the
// framework's usual JWT middleware (as documented with a string secret, and with a key
// object imported once). Each case gets a fresh server process; autocannon runs here.
//
// Every case runs once per round and the median round is reported: on a shared machine a
// single run says more about the neighbours than about the code. Besides req/s, the
// server's own CPU time per request is read from /proc (Linux): it does not depend on how
// fast the load generator is, so it tells small differences apart that req/s blurs.
//
//   npm run build && node bench/http/run.mjs [seconds=5] [rounds=3] [selection…]
//
// A selection is a framework (`express`, `express4`, `koa`, `koa2`, `hono`, `fastify`,
// `fastify4`) or a framework with cases (`express:plain,gatehouse-jwt`); default: express,
// koa, hono and fastify, all cases.
// GATEHOUSE_BENCH_NODE_FLAGS passes flags to the server processes, e.g.
// `--single-threaded-gc`: on a 2-core machine the server's parallel GC threads otherwise
// take CPU from the load generator, which makes a GC-heavy framework's figures swing.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import autocannon from "autocannon";
import { benchNodeFlags, snapshotDist, startServer, stopServer } from "../common.mjs";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const selection = process.argv.slice(4);
const nodeFlags = benchNodeFlags();

// Every framework: the baselines (each sent the same requests as the cases compared with
// it), the floors, and gatehouse.
const OURS = [
  "plain",
  "plain-apikey",
  "plain-bare",
  "noop-middleware",
  "sha256-only",
  "gatehouse-jwt",
  "gatehouse-apikey",
  "gatehouse-anonymous",
];
const EXPRESS = [
  ...OURS,
  "express-jwt",
  "express-jwt-keyobject",
  "passport-jwt",
  "passport-jwt-keyobject",
];
const KOA = [...OURS, "koa-jwt", "koa-jwt-keyobject"];
const HONO = [...OURS, "hono-jwt", "hono-jwt-cryptokey"];
const FASTIFY = [...OURS, "fastify-jwt", "fastify-jwt-keyobject"];
const ALL = {
  express: EXPRESS,
  express4: EXPRESS,
  koa: KOA,
  koa2: KOA,
  hono: HONO,
  fastify: FASTIFY,
  // The installed @fastify/jwt (10) requires Fastify 5: no peer on the older major.
  fastify4: OURS,
  // No peers: a fetch handler and a Nest guard have no common JWT middleware to compare with.
  fetch: OURS,
  nestjs: OURS,
};
// Cases that only server.mjs knows but no default run includes (experiments).
const EXTRA = {
  express: ["state-symbols", "state-weakmap"],
};

function plan() {
  if (selection.length === 0) {
    return { express: EXPRESS, koa: KOA, hono: HONO, fastify: FASTIFY, fetch: OURS, nestjs: OURS };
  }
  const chosen = {};
  for (const item of selection) {
    const [framework, list] = item.split(":");
    const known = ALL[framework];
    if (!known) throw new Error(`unknown framework ${framework}`);
    const cases = list ? list.split(",") : known;
    for (const c of cases) {
      if (!known.includes(c) && !(EXTRA[framework] ?? []).includes(c)) {
        throw new Error(`unknown case ${framework}:${c}`);
      }
    }
    // The ratio columns need the plain routes (the baselines) of the same run.
    const baselines = [...new Set(cases.map(baselineOf))].filter((b) => !cases.includes(b));
    chosen[framework] = [...baselines, ...cases];
  }
  return chosen;
}
/** The plain case sent the same requests: the key's header for the API-key case. */
function baselineOf(benchCase) {
  if (benchCase === "gatehouse-apikey") return "plain-apikey";
  if (benchCase === "gatehouse-anonymous") return "plain-bare";
  return "plain";
}
const CASES = plan();
const server = new URL("./server.mjs", import.meta.url).pathname;

const snapshot = snapshotDist("run");

/** User + system CPU time of a process in µs, or null where /proc is missing. */
function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime and stime, in clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

async function measure(framework, benchCase) {
  const { child, port, headers } = await startServer([server, framework, benchCase], {
    dist: snapshot,
    pin: false,
  });
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    const check = await fetch(url, { headers });
    if (check.status !== 200) throw new Error(`${framework}/${benchCase}: status ${check.status}`);
    await autocannon({ url, headers, connections: 10, duration: 1 }); // warm-up
    const cpuBefore = cpuMicros(child.pid);
    const result = await autocannon({ url, headers, connections: 10, duration: seconds });
    const cpuAfter = cpuMicros(child.pid);
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${framework}/${benchCase}: ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    const cpu =
      cpuBefore === null || cpuAfter === null
        ? null
        : (cpuAfter - cpuBefore) / result.requests.total;
    return { rps: result.requests.average, p99: result.latency.p99, cpu };
  } finally {
    stopServer(child);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");

const startLoad = load();
const results = new Map(); // "framework case" → [{ rps, p99, cpu }]
for (let round = 0; round < rounds; round += 1) {
  for (const [framework, cases] of Object.entries(CASES)) {
    for (const benchCase of cases) {
      const result = await measure(framework, benchCase);
      const key = `${framework} ${benchCase}`;
      results.set(key, [...(results.get(key) ?? []), result]);
      const cpu = result.cpu === null ? "" : `, server ${result.cpu.toFixed(1)} µs/req`;
      console.error(
        `round ${round + 1}: ${key}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms${cpu}`,
      );
    }
  }
}

const flags = nodeFlags.length > 0 ? `, server flags ${nodeFlags.join(" ")}` : "";
console.log(
  `Node ${process.version}, ${seconds} s per case after 1 s warm-up, 10 connections, ` +
    `median of ${rounds} rounds${flags}; load average ${startLoad} at start, ${load()} at end\n`,
);
console.log(
  "| framework | case | req/s | p99 | authed/plain | server µs/req | plain µs / case µs |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const [framework, cases] of Object.entries(CASES)) {
  for (const benchCase of cases) {
    const plainRuns = results.get(`${framework} ${baselineOf(benchCase)}`);
    const plain = median(plainRuns.map((r) => r.rps));
    const plainCpu = plainRuns[0].cpu === null ? null : median(plainRuns.map((r) => r.cpu));
    const runs = results.get(`${framework} ${benchCase}`);
    const rps = median(runs.map((r) => r.rps));
    const p99 = median(runs.map((r) => r.p99));
    const ratio = (rps / plain).toFixed(2);
    const cpu = plainCpu === null ? null : median(runs.map((r) => r.cpu));
    const cpuCells =
      cpu === null ? "n/a | n/a" : `${cpu.toFixed(1)} | ${(plainCpu / cpu).toFixed(2)}`;
    console.log(
      `| ${framework} | ${benchCase} | ${Math.round(rps).toLocaleString("en-US")} | ${p99} ms | ${ratio} | ${cpuCells} |`,
    );
  }
}
