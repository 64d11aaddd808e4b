#!/usr/bin/env node
// `npm run demo`: builds what the demo needs, then starts it. From a fresh clone:
//   npm ci && npm run demo
// 1. the package (dist/, for the `gatehouse` CLI the demo prints) when missing or older
//    than its sources; 2. the demo server and the page script, with esbuild, into
//    .data/build/demo/ (gitignored); 3. runs the server in this process.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const out = join(root, ".data", "build", "demo");

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (latest, name) => Math.max(latest, newest(join(path, name))),
    stat.mtimeMs,
  );
}

function packageIsFresh() {
  const sources = Math.max(
    ...["src", "adapters", "tsup.config.ts", "package.json"].map((p) => newest(join(root, p))),
  );
  return ["index.js", "cli.js"].every((f) => newest(join(root, "dist", f)) >= sources);
}

// GATEHOUSE_DEMO_PREBUILT=1: a test harness has built dist already for its run.
if (process.env.GATEHOUSE_DEMO_PREBUILT !== "1" && !packageIsFresh()) {
  console.log("demo: building the package (npm run build), once…");
  const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) {
    console.error(`${result.stdout}${result.stderr}\ndemo: npm run build failed (output above)`);
    process.exit(1);
  }
}

try {
  await Promise.all([
    build({
      entryPoints: [join(here, "main.ts")],
      outfile: join(out, "server.mjs"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // express, jose, better-sqlite3… load from node_modules as in any app.
      packages: "external",
      sourcemap: true,
      logLevel: "error",
    }),
    build({
      entryPoints: [join(here, "page", "app.ts")],
      outfile: join(out, "page", "app.js"),
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      sourcemap: true,
      logLevel: "error",
    }),
  ]);
} catch {
  console.error("demo: compiling the demo failed; see above");
  process.exit(1);
}

const { main } = await import(pathToFileURL(join(out, "server.mjs")).href);
try {
  await main(process.argv.slice(2), { root, pageBuildDir: join(out, "page") });
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
