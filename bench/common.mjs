// Helpers the bench runners share: the build and its snapshot, CPU pinning, the server
// processes and what is asked of them, the machine's load.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * A module of the build under test: dist/, or GATEHOUSE_DIST (another build, a copy of dist/
 * inside node_modules/.cache so that its own imports resolve), for measuring two builds.
 */
export const importBuild = (file = "index.js") =>
  import(pathToFileURL(join(process.env.GATEHOUSE_DIST ?? join(root, "dist"), file)).href);

/** Runs `npm run build` (skipped with GATEHOUSE_BENCH_BUILD=0), retrying a broken build. */
export function buildOnce() {
  if (process.env.GATEHOUSE_BENCH_BUILD === "0") return;
  // Someone's work in progress can break a build for a moment: retry before giving up.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const built = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", 2, 2] });
    if (built.status === 0) return;
    if (attempt < 3) {
      console.error(`build failed (attempt ${attempt}); retrying in 60 s`);
      spawnSync("sleep", ["60"]);
    }
  }
  throw new Error("`npm run build` failed three times");
}

/**
 * Whether to pin: `taskset` (util-linux) is on the PATH, the machine has 2 CPUs to split, and
 * GATEHOUSE_BENCH_PIN is not "0".
 */
export const canPin = () =>
  process.env.GATEHOUSE_BENCH_PIN !== "0" &&
  availableParallelism() >= 2 &&
  spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;

/** Pins this process (all its threads) to one CPU; false when that failed. */
export function pinSelf(cpu) {
  const pinned = spawnSync("taskset", ["-a", "-cp", String(cpu), String(process.pid)], {
    stdio: "ignore",
  });
  return pinned.status === 0;
}

/** The command and arguments that run node with `argv` on one CPU (or unpinned). */
export function pinnedNode(cpu, argv, pin) {
  return pin
    ? ["taskset", ["-c", String(cpu), process.execPath, ...argv]]
    : [process.execPath, argv];
}

/**
 * GATEHOUSE_BENCH_NODE_FLAGS split into arguments: the flags every runner passes to the
 * node processes it measures (e.g. `--cpu-prof`, `--import <preload>`).
 */
export const benchNodeFlags = () =>
  (process.env.GATEHOUSE_BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);

/**
 * A private copy of dist/ for one run, named after the runner and this process: inside
 * node_modules/.cache, so that its own imports still resolve, and apart from dist/, so that a
 * rebuild during the run cannot change the files under its servers. Removed at exit.
 */
export function snapshotDist(runner) {
  const dist = join(root, "dist");
  if (!existsSync(join(dist, "express.js"))) throw new Error("no dist/: run `npm run build`");
  const snapshot = join(root, "node_modules", ".cache", `gatehouse-bench-${runner}-${process.pid}`);
  rmSync(snapshot, { recursive: true, force: true });
  cpSync(dist, snapshot, { recursive: true });
  process.once("exit", () => rmSync(snapshot, { recursive: true, force: true }));
  return snapshot;
}

/**
 * Starts one bench server: node with the GATEHOUSE_BENCH_NODE_FLAGS and `argv` (on CPU 0
 * when `pin`), importing the build at `dist`, with an IPC channel. Resolves once it prints
 * its JSON line, to that line's fields and `child`; rejects if it exits first.
 */
export function startServer(argv, { dist, pin, env = {} }) {
  const [command, commandArgs] = pinnedNode(0, [...benchNodeFlags(), ...argv], pin);
  // taskset execs node in place, so the pid and the IPC channel are node's own.
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...env, GATEHOUSE_BENCH_DIST: dist },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${argv.join(" ")} exited: ${code}`)));
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line) }));
  });
}

/** Sends `message` to a server and resolves to its answer. */
export const ask = (child, message) =>
  new Promise((resolve) => {
    child.once("message", resolve);
    child.send(message);
  });

/** A server's own CPU time so far (user + system, µs), as process.cpuUsage() counts it. */
export async function serverCpu(child) {
  const { cpu } = await ask(child, "cpu");
  return cpu.user + cpu.system;
}

/** Stops a server that is expected to exit. */
export function stopServer(child) {
  child.removeAllListeners("exit");
  child.kill();
}

/** The 1, 5 and 15 minute load averages. */
export const loadText = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");

/** `uptime`'s line, or the load averages where it is missing. */
export function uptimeText() {
  const out = spawnSync("uptime", [], { encoding: "utf8" });
  return out.status === 0 ? out.stdout.trim() : `load average ${loadText()}`;
}

/**
 * Formats written result files with the repository's prettier, so that a committed run
 * passes `npm run lint`; a missing prettier leaves them as written.
 */
export function prettify(...paths) {
  spawnSync("npx", ["--no-install", "prettier", "--write", ...paths], {
    cwd: root,
    stdio: "ignore",
  });
}

/** How the tables name each framework the bench servers run. */
export const FRAMEWORK_LABEL = {
  express: "Express 5",
  express4: "Express 4",
  koa: "Koa 3",
  koa2: "Koa 2",
  hono: "Hono 4",
  fastify: "Fastify 5",
  fastify4: "Fastify 4",
  fetch: "fetch (node bridge)",
  nestjs: "NestJS 11 (Express)",
};
