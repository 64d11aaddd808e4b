// Garbage-collection time of one benchmark server under load:
// `node bench/http/gc.mjs <framework> <case> [seconds]` after `npm run build`. Runs
// server.mjs with --trace-gc, drives it with autocannon (10 connections) and prints req/s
// and the milliseconds per second the server spent in GC pauses.
import { loadOne } from "./load-one.mjs";

const [framework, benchCase, seconds = "5"] = process.argv.slice(2);
const { result, output } = await loadOne({
  flags: ["--trace-gc"],
  framework,
  benchCase,
  seconds,
});
const lines = output.split("\n");
const pauses = lines
  .map((line) => /MB, ([\d.]+) \//.exec(line))
  .filter(Boolean)
  .reduce((sum, match) => sum + Number(match[1]), 0);
const markCompacts = lines.filter((line) => line.includes("Mark-Compact")).length;
console.log(
  `${framework} ${benchCase}: ${Math.round(result.requests.average)} req/s, ` +
    `GC ${(pauses / Number(seconds)).toFixed(1)} ms/s, ${markCompacts} mark-compacts`,
);
