// Instructions per first-seen token, counted by valgrind's callgrind: bench/cold-in-process.mjs
// run twice, with n1 and n2 tokens, and the difference of the two totals divided by n2 − n1,
// so that start-up, imports and the JIT's first compilations cancel out. Minting and the
// garbage collector count as they fall (all threads), the same for every mode. A count does
// not depend on the machine's load, which the timed run's µs per token does here.
//
//   npm run build && node bench/cold-instructions.mjs [mode=gatehouse] [n1=5000] [n2=25000]
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

function instructions(tokens) {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cold-callgrind-"));
  try {
    const run = spawnSync(
      "valgrind",
      [
        "--tool=callgrind",
        // V8 writes the machine code it then runs: have valgrind notice code that changed.
        "--smc-check=all-non-file",
        `--callgrind-out-file=${join(dir, "cg.%p")}`,
        process.execPath,
        script,
        mode,
      ],
      { env: { ...process.env, GATEHOUSE_BENCH_TOKENS: String(tokens) }, encoding: "utf8" },
    );
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`cold-in-process failed:\n${run.stderr}`);
    let total = 0;
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), "utf8");
      const line = /^(?:totals|summary): (\d+)/m.exec(text);
      if (line) total += Number(line[1]);
    }
    return total;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const first = instructions(n1);
const second = instructions(n2);
const perToken = Math.round((second - first) / (n2 - n1));
console.log(
  `${mode}: ${perToken.toLocaleString("en-US")} instructions per first-seen token ` +
    `(${n1.toLocaleString("en-US")} and ${n2.toLocaleString("en-US")} tokens: ` +
    `${first.toLocaleString("en-US")} and ${second.toLocaleString("en-US")})`,
);
