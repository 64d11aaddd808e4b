#!/usr/bin/env node
/**
 * Loads every `require` entry of the exports map in a Node that cannot require ES modules
 * (`--no-experimental-require-module`), as Node 20 before 20.19 and 22 before 22.12 behave.
 * An entry that reaches an ESM-only dependency (jose, for one) fails there with
 * ERR_REQUIRE_ESM, although it loads fine on the Node running CI. Run after the build.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** The file a `require` condition resolves to, following nested conditions in Node's order. */
function requireTarget(target) {
  if (typeof target === "string") return target;
  if (target === null || typeof target !== "object") return undefined;
  for (const condition of ["node", "require", "default"]) {
    if (condition in target) {
      const found = requireTarget(target[condition]);
      if (found) return found;
    }
  }
  return undefined;
}

const entries = [];
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === "string") {
    // Plain strings are not conditional: only JavaScript files are code entries.
    if (target.endsWith(".cjs")) entries.push([subpath, target]);
    continue;
  }
  const file = requireTarget(target.require ?? target.node ?? target.default);
  if (file?.endsWith(".cjs") || (file?.endsWith(".js") && pkg.type !== "module")) {
    entries.push([subpath, file]);
  }
}
if (entries.length === 0) {
  console.error("check-cjs: the exports map has no require entry");
  process.exit(1);
}

// vitest throws on require() by design, whatever the Node version, so `gatehouse/testing`'s
// CommonJS build is for tooling only (see src/testing/index.ts). Stubbing it lets the check
// still cover everything else that entry loads.
const STUB_VITEST = `
const Module = require("node:module");
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "vitest") return new Proxy({}, { get: () => () => {} });
  return load.call(this, request, ...rest);
};`;

let failures = 0;
for (const [subpath, file] of entries) {
  const path = join(root, file);
  if (!existsSync(path)) {
    console.error(`✗ ${subpath}: ${file} does not exist (build first)`);
    failures++;
    continue;
  }
  // A child per entry: one entry's failure must not hide another's, and each starts from an
  // empty module cache. Optional peer dependencies the entries need are dev dependencies.
  const result = spawnSync(
    process.execPath,
    ["--no-experimental-require-module", "-e", `${STUB_VITEST}\nrequire(${JSON.stringify(path)});`],
    { cwd: root, encoding: "utf8" },
  );
  if (result.status === 0) {
    console.log(`✓ ${subpath} (${file})`);
  } else {
    const reason =
      result.stderr.match(/(?:Error \[\w+\]|\w*Error):[^\n]*/)?.[0] ?? result.stderr.trim();
    console.error(`✗ ${subpath} (${file}): ${reason}`);
    failures++;
  }
}
console.log(`${entries.length - failures} of ${entries.length} CommonJS entries load`);
process.exit(failures === 0 ? 0 : 1);
