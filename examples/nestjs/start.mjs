#!/usr/bin/env node
// Builds the NestJS example with esbuild (its decorators are TypeScript's legacy ones, which
// Node does not run) into .data/build/nestjs/ (gitignored), then runs it in this process.
// Dependencies stay imports of node_modules; the gatehouse sources are bundled.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const outfile = join(root, ".data", "build", "nestjs", "main.mjs");

await build({
  entryPoints: [join(here, "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: join(root, "tsconfig.json"),
  logLevel: "warning",
});
await import(pathToFileURL(outfile).href);
