// HTTP adapter benchmark: for each framework, a plain route, the same route behind
// gatehouse's authenticate (a repeated HS256 Bearer token; a repeated API key), and the
// framework's usual JWT middleware (as documented with a string secret, and with a key
// object imported once). Each case gets a fresh server process; autocannon runs here.
//
// Every case runs once per round and the median round is reported: on a shared machine a
// single run says more about the neighbours than about the code.
//
//   npm run build && node bench/http/run.mjs [seconds=5] [rounds=3] [framework…]
import { spawn } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import autocannon from "autocannon";

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const only = process.argv.slice(4);
const CASES = {
  express: [
    "plain",
    "noop-middleware",
    "gatehouse-jwt",
    "gatehouse-apikey",
    "express-jwt",
    "express-jwt-keyobject",
    "passport-jwt",
    "passport-jwt-keyobject",
  ],
  koa: [
    "plain",
    "noop-middleware",
    "gatehouse-jwt",
    "gatehouse-apikey",
    "koa-jwt",
    "koa-jwt-keyobject",
  ],
  hono: [
    "plain",
    "noop-middleware",
    "gatehouse-jwt",
    "gatehouse-apikey",
    "hono-jwt",
    "hono-jwt-cryptokey",
  ],
};
const server = new URL("./server.mjs", import.meta.url).pathname;

// A private copy of dist/ (inside node_modules, so that its own imports still resolve).
const dist = new URL("../../dist", import.meta.url).pathname;
const snapshot = new URL("../../node_modules/.cache/gatehouse-bench-dist", import.meta.url)
  .pathname;
if (!existsSync(`${dist}/express.js`)) throw new Error("run `npm run build` first");
rmSync(snapshot, { recursive: true, force: true });
cpSync(dist, snapshot, { recursive: true });

function startServer(framework, benchCase) {
  const child = spawn(process.execPath, [server, framework, benchCase], {
    env: { ...process.env, GATEHOUSE_BENCH_DIST: snapshot },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${framework}/${benchCase} exited: ${code}`)));
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line) }));
  });
}

async function measure(framework, benchCase) {
  const { child, port, headers } = await startServer(framework, benchCase);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    const check = await fetch(url, { headers });
    if (check.status !== 200) throw new Error(`${framework}/${benchCase}: status ${check.status}`);
    const result = await autocannon({
      url,
      headers,
      connections: 10,
      duration: seconds,
      warmup: { connections: 10, duration: 1 },
    });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${framework}/${benchCase}: ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    return { rps: result.requests.average, p99: result.latency.p99 };
  } finally {
    child.removeAllListeners("exit");
    child.kill();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");

const startLoad = load();
const results = new Map(); // "framework case" → [{ rps, p99 }]
for (let round = 0; round < rounds; round += 1) {
  for (const [framework, cases] of Object.entries(CASES)) {
    if (only.length > 0 && !only.includes(framework)) continue;
    for (const benchCase of cases) {
      const result = await measure(framework, benchCase);
      const key = `${framework} ${benchCase}`;
      results.set(key, [...(results.get(key) ?? []), result]);
      console.error(
        `round ${round + 1}: ${key}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms`,
      );
    }
  }
}

console.log(
  `Node ${process.version}, ${seconds} s per case after 1 s warm-up, 10 connections, ` +
    `median of ${rounds} rounds; load average ${startLoad} at start, ${load()} at end\n`,
);
console.log("| framework | case | req/s | p99 | authed/plain |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const [framework, cases] of Object.entries(CASES)) {
  if (only.length > 0 && !only.includes(framework)) continue;
  const plain = median(results.get(`${framework} plain`).map((r) => r.rps));
  for (const benchCase of cases) {
    const runs = results.get(`${framework} ${benchCase}`);
    const rps = median(runs.map((r) => r.rps));
    const p99 = median(runs.map((r) => r.p99));
    const ratio = (rps / plain).toFixed(2);
    console.log(
      `| ${framework} | ${benchCase} | ${Math.round(rps).toLocaleString("en-US")} | ${p99} ms | ${ratio} |`,
    );
  }
}
