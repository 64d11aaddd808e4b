/**
 * The CLI and demo tests run what users run: the built package. This builds it once when
 * dist is missing or older than the sources (CI tests before its build step), and several
 * test files asking at once share one build through a lock directory.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli.js");

const LOCK = join(ROOT, ".data", "build.lock");
// Who built dist last: the vitest run (the parent of every test fork) that did it.
const STAMP = join(ROOT, ".data", "build.stamp");
const OUTPUTS = [join(ROOT, "dist", "index.js"), CLI];
const SOURCES = ["src", "adapters", "tsup.config.ts", "package.json"];

function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function isFresh(): boolean {
  // Built by this very run: never build twice in one run, even if someone edits a source
  // meanwhile, because a second build would delete dist under the feet of running tests.
  let stamp = "";
  try {
    stamp = readFileSync(STAMP, "utf8");
  } catch {
    /* no stamp yet */
  }
  if (stamp === String(process.ppid) && OUTPUTS.every((file) => existsSync(file))) return true;
  const sources = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  return OUTPUTS.every(
    (file) => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= sources,
  );
}

async function lock(): Promise<void> {
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK, { recursive: false });
      return;
    } catch {
      // A lock older than the slowest build belongs to a run that died: take it over.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000) rmSync(LOCK, { recursive: true, force: true });
      if (waited > 240_000) throw new Error("gave up waiting for another test's build");
      await sleep(200);
    }
  }
}

export async function ensureBuild(): Promise<void> {
  if (isFresh()) return;
  mkdirSync(join(ROOT, ".data"), { recursive: true });
  await lock();
  try {
    if (isFresh()) return; // another file built it while this one waited
    const started = Date.now() - 1000;
    // JavaScript only: declaration files take most of a full build's time and nothing run
    // here reads them (`npm run build` makes them; CI's build step runs after the tests).
    const result = spawnSync("npx", ["tsup", "--no-dts"], { cwd: ROOT, encoding: "utf8" });
    const built = (file: string) =>
      (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= started;
    if (!OUTPUTS.every(built)) {
      throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`);
    }
    writeFileSync(STAMP, String(process.ppid));
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
