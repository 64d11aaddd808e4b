// Garbage-collection time of one benchmark server under load:
// `node bench/http/gc.mjs <framework> <case> [seconds]` after `npm run build`. Runs
// server.mjs with --trace-gc, drives it with autocannon (10 connections) and prints req/s
// and the milliseconds per second the server spent in GC pauses.
import { spawn } from "node:child_process";
import autocannon from "autocannon";

const [framework, benchCase, seconds = "5"] = process.argv.slice(2);
const server = new URL("./server.mjs", import.meta.url).pathname;
const child = spawn(process.execPath, ["--trace-gc", server, framework, benchCase], {
  stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
child.stdout.on("data", (chunk) => (out += chunk));
while (!out.split("\n").some((line) => line.startsWith("{"))) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const { port, headers } = JSON.parse(out.split("\n").find((line) => line.startsWith("{")));
out = "";
const result = await autocannon({
  url: `http://127.0.0.1:${port}/hello`,
  connections: 10,
  duration: Number(seconds),
  headers,
});
child.kill("SIGTERM");
await new Promise((resolve) => child.once("exit", resolve));
const lines = out.split("\n");
const pauses = lines
  .map((line) => /MB, ([\d.]+) \//.exec(line))
  .filter(Boolean)
  .reduce((sum, match) => sum + Number(match[1]), 0);
const markCompacts = lines.filter((line) => line.includes("Mark-Compact")).length;
console.log(
  `${framework} ${benchCase}: ${Math.round(result.requests.average)} req/s, ` +
    `GC ${(pauses / Number(seconds)).toFixed(1)} ms/s, ${markCompacts} mark-compacts`,
);
