// Where a benchmark server spends its time under load:
// `node bench/http/profile.mjs <framework> <case> [seconds=5] [top=30]` after `npm run build`.
// Runs server.mjs with --cpu-prof, drives it with autocannon (10 connections), then prints
// the functions with the most self time, and the share of samples by origin (gatehouse,
// the framework, Node internals, GC, idle).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOne } from "./load-one.mjs";

const [framework, benchCase, seconds = "5", top = "30"] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "gatehouse-prof-"));
const { result } = await loadOne({
  flags: ["--cpu-prof", "--cpu-prof-dir", dir],
  framework,
  benchCase,
  seconds,
});

const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const origin = new Map();
const deltas = profile.timeDeltas;
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = deltas[i] ?? 0;
  total += dt;
  const { callFrame } = byId.get(id);
  const where = callFrame.url
    .replace(/^.*\/(node_modules\/)/, "$1")
    .replace(/^file:\/\/.*\/(dist|gatehouse-bench-dist)\//, "gatehouse:");
  const name = `${callFrame.functionName || "(anonymous)"} ${where}:${callFrame.lineNumber + 1}`;
  self.set(name, (self.get(name) ?? 0) + dt);
  const kind = callFrame.url.includes("node_modules/")
    ? callFrame.url.includes("gatehouse")
      ? "gatehouse"
      : callFrame.url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, "$1")
    : callFrame.url.includes("/dist/")
      ? "gatehouse"
      : callFrame.url.startsWith("node:")
        ? "node"
        : callFrame.url === ""
          ? callFrame.functionName || "(native)"
          : "other";
  origin.set(kind, (origin.get(kind) ?? 0) + dt);
});
// Per request as well as in percent, so that two runs (plain, authenticated) compare.
const requests = result.requests.total;
const pct = (us) =>
  `${((100 * us) / total).toFixed(1).padStart(5)}% ${(us / requests).toFixed(2).padStart(6)} µs/req`;
console.log(`${framework} ${benchCase}: ${Math.round(result.requests.average)} req/s`);
console.log("-- by origin");
for (const [kind, us] of [...origin].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`${pct(us)}  ${kind}`);
console.log("-- self time");
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
  console.log(`${pct(us)}  ${name}`);
