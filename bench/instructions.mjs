// Instructions per request, counted by valgrind's callgrind: the same benchmark servers as
// bench/http/run.mjs, each run under callgrind, warmed up with `warm` requests, then counted
// over `count` requests. A count does not depend on how fast the machine happens to be or on
// what else it runs (the same binary, inputs and warm-up give the same total to within a few
// hundredths of a percent), so it tells apart the µs over the no-op floor that req/s and
// server CPU time blur on a shared machine.
//
//   npm run build && node bench/instructions.mjs [warm=10000] [count=5000] [selection…]
//
// A selection is a framework or a framework with cases, as run.mjs takes them (default:
// every framework, the no-op floors and gatehouse with a Bearer JWT and with an API key).
// Reported per request: the main thread (the event loop, where the middleware runs) and all
// threads (with V8's compiler and garbage-collector helpers). Only user-space instructions
// are counted: the kernel's share (sockets) is the same for a case and its floor. Under
// callgrind a server runs some 50 times slower, so the JIT needs the long warm-up; a warm-up
// too short shows as compiler threads still busy in the all-threads column.
// Writes bench/results/instructions.md and .json (GATEHOUSE_BENCH_OUT=<path without extension>).
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { benchNodeFlags, buildOnce, prettify, uptimeText } from "./common.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const warm = Number(process.argv[2] ?? 10_000);
const count = Number(process.argv[3] ?? 5_000);
const selection = process.argv.slice(4);
const CONNECTIONS = Number(process.env.GATEHOUSE_BENCH_CONNECTIONS ?? 1);
const out = process.env.GATEHOUSE_BENCH_OUT ?? join(root, "bench/results/instructions");

const FRAMEWORKS = ["express", "express4", "koa", "koa2", "hono", "fastify", "fastify4"];
const CASES = ["noop-middleware", "gatehouse-jwt", "noop-middleware-apikey", "gatehouse-apikey"];
// The floor each gatehouse case is measured against: the same bytes on the wire.
const FLOOR = { "gatehouse-jwt": "noop-middleware", "gatehouse-apikey": "noop-middleware-apikey" };

function plan() {
  if (selection.length === 0) return FRAMEWORKS.flatMap((f) => CASES.map((c) => [f, c]));
  return selection.flatMap((item) => {
    const [framework, cases] = item.split(":");
    return (cases ? cases.split(",") : CASES).map((c) => [framework, c]);
  });
}

for (const tool of ["valgrind", "callgrind_control"]) {
  if (spawnSync(tool, ["--help"], { stdio: "ignore" }).error) {
    throw new Error(`${tool} is not on the PATH (Debian: apt-get install valgrind)`);
  }
}
// GATEHOUSE_DIST: a build to measure as it is (a copy of dist/ inside node_modules/.cache,
// so that its imports resolve), for comparing two builds; else a fresh snapshot of dist/.
let snapshot = process.env.GATEHOUSE_DIST;
if (snapshot === undefined) {
  buildOnce();
  if (!existsSync(join(root, "dist/express.js"))) throw new Error("run `npm run build` first");
  snapshot = join(root, "node_modules/.cache/gatehouse-bench-instructions-dist");
  rmSync(snapshot, { recursive: true, force: true });
  cpSync(join(root, "dist"), snapshot, { recursive: true });
}
const server = join(root, "bench/http/server.mjs");

function startServer(framework, benchCase, dir) {
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      // V8 writes the machine code it then runs: have valgrind notice code that changed.
      "--smc-check=all-non-file",
      "--instr-atstart=no",
      "--separate-threads=yes",
      `--callgrind-out-file=${join(dir, "cg.%p")}`,
      process.execPath,
      ...benchNodeFlags(),
      server,
      framework,
      benchCase,
    ],
    {
      env: { ...process.env, GATEHOUSE_BENCH_DIST: snapshot },
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${framework}/${benchCase} exited: ${code}`)));
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line) }));
  });
}

function control(pid, ...args) {
  const done = spawnSync("callgrind_control", [...args, String(pid)], { stdio: "ignore" });
  if (done.status !== 0) throw new Error(`callgrind_control ${args.join(" ")} failed`);
}

/** The counted dump's instructions: the main thread's and every thread's. */
function totals(dir) {
  let main = 0;
  let all = 0;
  for (const name of readdirSync(dir)) {
    // The first dump, per thread: cg.<pid>.1-<thread>; thread 01 is the main thread.
    const match = /^cg\.\d+\.1-(\d+)$/.exec(name);
    if (!match) continue;
    const text = readFileSync(join(dir, name), "utf8");
    const summary = /^totals: (\d+)/m.exec(text);
    const instructions = summary ? Number(summary[1]) : 0;
    all += instructions;
    if (match[1] === "01") main += instructions;
  }
  return { main, all };
}

async function measure(framework, benchCase) {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-callgrind-"));
  const { child, port, headers } = await startServer(framework, benchCase, dir);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    const run = (amount) =>
      autocannon({ url, headers, connections: CONNECTIONS, amount, timeout: 60 });
    const warmed = await run(warm);
    if (warmed.non2xx > 0) throw new Error(`${framework}/${benchCase}: ${warmed.non2xx} non-2xx`);
    control(child.pid, "-i", "on");
    const counted = await run(count);
    control(child.pid, "-i", "off");
    control(child.pid, "-d");
    if (counted.non2xx > 0 || counted.errors > 0) {
      throw new Error(
        `${framework}/${benchCase}: ${counted.non2xx} non-2xx, ${counted.errors} errors`,
      );
    }
    const requests = counted.requests.total;
    // The dump is written by the server's process: wait for it to land.
    let counts = totals(dir);
    for (let waited = 0; counts.main === 0 && waited < 50; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      counts = totals(dir);
    }
    const { main, all } = counts;
    if (main === 0) throw new Error(`${framework}/${benchCase}: callgrind wrote no counts`);
    return { framework, case: benchCase, requests, main: main / requests, all: all / requests };
  } finally {
    child.removeAllListeners("exit");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    // GATEHOUSE_BENCH_KEEP=1 keeps the dumps, for callgrind_annotate.
    if (process.env.GATEHOUSE_BENCH_KEEP === "1") console.error(`callgrind dumps in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const startedAt = new Date();
const startUptime = uptimeText();
const rows = [];
for (const [framework, benchCase] of plan()) {
  const row = await measure(framework, benchCase);
  rows.push(row);
  console.error(
    `${framework} ${benchCase}: ${Math.round(row.main)} main-thread, ${Math.round(row.all)} all-thread instructions per request`,
  );
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const signed = (n) => `${n >= 0 ? "+" : "−"}${fmt(Math.abs(n))}`;
const lines = [
  `Run of ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: \`node bench/instructions.mjs ${warm} ${count}${selection.length ? ` ${selection.join(" ")}` : ""}\`; Node ${process.version}, valgrind callgrind; ${fmt(warm)} requests of warm-up, then ${fmt(count)} counted, ${CONNECTIONS} connection(s).`,
  "",
  `- uptime at start: \`${startUptime}\``,
  "",
  "| framework | case | main thread / req | all threads / req | main over floor | all over floor |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
];
for (const row of rows) {
  const floor = rows.find((r) => r.framework === row.framework && r.case === FLOOR[row.case]);
  lines.push(
    `| ${row.framework} | ${row.case} | ${fmt(row.main)} | ${fmt(row.all)} | ${floor ? signed(row.main - floor.main) : ""} | ${floor ? signed(row.all - floor.all) : ""} |`,
  );
}
writeFileSync(`${out}.md`, `${lines.join("\n")}\n`);
writeFileSync(
  `${out}.json`,
  `${JSON.stringify({ startedAt, node: process.version, warm, count, rows }, null, 2)}\n`,
);
prettify(`${out}.md`, `${out}.json`);
console.log(lines.join("\n"));
console.log(`\nwritten to ${out}.md`);
