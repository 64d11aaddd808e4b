// Helpers the bench runners share: the build, CPU pinning, the machine's load.
import { spawnSync } from "node:child_process";
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
