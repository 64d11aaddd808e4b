// Instructions per first-seen token, counted by valgrind's callgrind: bench/cold-in-process.mjs
// run twice, with n1 and n2 tokens, and the difference of the two totals divided by n2 − n1,
// so that start-up, imports and the JIT's first compilations cancel out. Minting counts in
// every mode alike. Unlike a count of warm requests these are not repeatable to the
// hundredth: how much garbage-collection work falls to which thread depends on timing, so the
// main thread's count of one build spread by up to 8% over runs, and the all-threads count
// (with V8's compiler and GC helpers) by up to 15% on a busy machine. Compare builds over
// several interleaved runs.
//
//   npm run build && GATEHOUSE_BENCH_PREDICTABLE=1 node bench/cold-instructions.mjs [mode=gatehouse] [n1=5000] [n2=25000]
//
// Modes as cold-in-process.mjs takes them (gatehouse, jose, hmac); GATEHOUSE_DIST and
// GATEHOUSE_BENCH_CACHE_MAX pass through to it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./cold-in-process.mjs", import.meta.url));
const mode = process.argv[2] ?? "gatehouse";
const n1 = Number(process.argv[3] ?? 5_000);
const n2 = Number(process.argv[4] ?? 25_000);
if (!(n2 > n1 && n1 > 0)) throw new Error("need 0 < n1 < n2");

// GATEHOUSE_BENCH_PREDICTABLE=1 runs V8 with --predictable: garbage collection and
// compilation on the main thread, on heuristics that do not read the clock. Two runs of one
// build then agree to about 0.05%, against 8% without it; the count is of that mode, so
// compare builds in it, not with counts taken without it.
const nodeFlags = process.env.GATEHOUSE_BENCH_PREDICTABLE === "1" ? ["--predictable"] : [];

function instructions(tokens) {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cold-callgrind-"));
  try {
    const run = spawnSync(
      "valgrind",
      [
        "--tool=callgrind",
        // V8 writes the machine code it then runs: have valgrind notice code that changed.
        "--smc-check=all-non-file",
        "--separate-threads=yes",
        `--callgrind-out-file=${join(dir, "cg.%p")}`,
        process.execPath,
        ...nodeFlags,
        script,
        mode,
      ],
      { env: { ...process.env, GATEHOUSE_BENCH_TOKENS: String(tokens) }, encoding: "utf8" },
    );
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`cold-in-process failed:\n${run.stderr}`);
    let main = 0;
    let all = 0;
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), "utf8");
      const line = /^(?:totals|summary): (\d+)/m.exec(text);
      if (!line) continue;
      all += Number(line[1]);
      // Thread 1 is the main thread; the others are V8's compiler and GC helpers.
      if (file.endsWith("-01")) main += Number(line[1]);
    }
    return { main, all };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const first = instructions(n1);
const second = instructions(n2);
const per = (thread) =>
  Math.round((second[thread] - first[thread]) / (n2 - n1)).toLocaleString("en-US");
console.log(
  `${mode}: ${per("main")} instructions per first-seen token on the main thread, ` +
    `${per("all")} on all threads (${n1.toLocaleString("en-US")} and ` +
    `${n2.toLocaleString("en-US")} tokens)`,
);
