// The warm path against its floor, paired: `npm run bench -- paired` (or
// `node bench/http/paired.mjs [framework[:jwt|apikey]…]` after `npm run build`).
//
// The matrix (bench/compare.mjs) starts a fresh server per case, and on this kind of machine
// two processes of the same code differ by 4–45 µs of server CPU per request, more than the
// 1.5 µs it is asked to resolve. Here one server process per framework and credential serves
// both the no-op middleware and gatehouse's `authenticate` on one route, switched over IPC
// (bench/http/server.mjs, the `paired-*` cases), and the load alternates between them in
// short phases, in blocks of four (floor, gatehouse, gatehouse, floor: a drift of the
// machine's speed within a block cancels). Each block gives one difference of server CPU per
// request (gatehouse's two phases against the floor's two) and one ratio of req/s; the
// median over the blocks is reported, with the spread of the middle half.
//
// Server pinned to CPU 0, autocannon here on CPU 1, as in the matrix. Environment:
// GATEHOUSE_BENCH_PHASE (seconds per phase, default 1.5), GATEHOUSE_BENCH_BLOCKS (default 8),
// GATEHOUSE_BENCH_CONNECTIONS (default "10,50"), GATEHOUSE_BENCH_WARMUP (requests per mode
// before the first block, default 5000), GATEHOUSE_BENCH_OUT (default
// bench/results/paired.md; the raw figures beside it as .json), GATEHOUSE_BENCH_PAIRED_WITH
// ("digest": a middleware that only digests the credential's header stands where gatehouse
// would, to measure that share of the gap; "header": one that only finds the header).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import {
  ask,
  benchNodeFlags,
  buildOnce,
  canPin,
  FRAMEWORK_LABEL as LABEL,
  pinSelf,
  prettify,
  serverCpu,
  snapshotDist,
  startServer,
  stopServer,
  uptimeText,
} from "../common.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const FRAMEWORKS = ["express", "express4", "koa", "koa2", "hono", "fastify", "fastify4", "fetch"];
const CREDENTIALS = ["jwt", "apikey"];

const phaseSeconds = Number(process.env.GATEHOUSE_BENCH_PHASE ?? 1.5);
const blocks = Number(process.env.GATEHOUSE_BENCH_BLOCKS ?? 8);
const warmup = Number(process.env.GATEHOUSE_BENCH_WARMUP ?? 5000);
const connectionCounts = (process.env.GATEHOUSE_BENCH_CONNECTIONS ?? "10,50")
  .split(",")
  .map(Number);
const out = process.env.GATEHOUSE_BENCH_OUT ?? `${root}bench/results/paired.md`;
const args = process.argv.slice(2).filter((a) => a !== "paired");
const stand = process.env.GATEHOUSE_BENCH_PAIRED_WITH;
if (stand !== undefined && stand !== "digest" && stand !== "header") {
  throw new Error(`GATEHOUSE_BENCH_PAIRED_WITH: "digest" or "header", not ${stand}`);
}

function plan() {
  const items = args.length > 0 ? args : FRAMEWORKS;
  return items.flatMap((item) => {
    const [framework, list] = item.split(":");
    if (!FRAMEWORKS.includes(framework)) throw new Error(`unknown framework ${framework}`);
    const credentials = list ? list.split(",") : CREDENTIALS;
    for (const c of credentials) {
      if (!CREDENTIALS.includes(c)) throw new Error(`unknown credential ${c}`);
    }
    return credentials.map((credential) => ({ framework, credential }));
  });
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
/** The 25th and 75th percentiles (nearest rank): the middle half of the blocks. */
const quartiles = (values) => {
  const s = sorted(values);
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return [at(0.25), at(0.75)];
};

buildOnce();
const snapshot = snapshotDist("paired");
const pinned = canPin() && pinSelf(1);
const nodeFlags = benchNodeFlags();
const serverScript = `${root}bench/http/server.mjs`;

async function pairedRun({ framework, credential }) {
  const benchCase = `paired-${credential}`;
  const { child, port, headers, paths } = await startServer([serverScript, framework, benchCase], {
    dist: snapshot,
    pin: pinned,
  });
  const urlOf = (mode) => `http://127.0.0.1:${port}${paths[mode]}`;
  try {
    for (const mode of ["floor", "gatehouse"]) {
      await ask(child, mode);
      const check = await fetch(urlOf(mode), { headers });
      if (check.status !== 200)
        throw new Error(`${framework}/${benchCase} ${mode}: ${check.status}`);
      await autocannon({
        url: urlOf(mode),
        headers,
        connections: connectionCounts[0],
        amount: warmup,
      });
    }
    async function phase(mode, connections) {
      await ask(child, mode);
      const cpuBefore = await serverCpu(child);
      const started = process.hrtime.bigint();
      const result = await autocannon({
        url: urlOf(mode),
        headers,
        connections,
        duration: phaseSeconds,
      });
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const cpuAfter = await serverCpu(child);
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(
          `${framework}/${benchCase} ${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`,
        );
      }
      const requests = result.requests.total;
      return { rps: requests / wall, cpu: (cpuAfter - cpuBefore) / requests };
    }
    const rows = [];
    for (const connections of connectionCounts) {
      const perBlock = [];
      for (let block = 0; block < blocks; block += 1) {
        const f1 = await phase("floor", connections);
        const g1 = await phase("gatehouse", connections);
        const g2 = await phase("gatehouse", connections);
        const f2 = await phase("floor", connections);
        perBlock.push({
          floorRps: (f1.rps + f2.rps) / 2,
          rps: (g1.rps + g2.rps) / 2,
          floorCpu: (f1.cpu + f2.cpu) / 2,
          cpu: (g1.cpu + g2.cpu) / 2,
        });
      }
      const ratios = perBlock.map((b) => b.rps / b.floorRps);
      const over = perBlock.map((b) => b.cpu - b.floorCpu);
      const row = {
        framework,
        credential,
        connections,
        floorRps: median(perBlock.map((b) => b.floorRps)),
        rps: median(perBlock.map((b) => b.rps)),
        ratio: median(ratios),
        ratioQuartiles: quartiles(ratios),
        floorCpu: median(perBlock.map((b) => b.floorCpu)),
        cpu: median(perBlock.map((b) => b.cpu)),
        overFloor: median(over),
        overQuartiles: quartiles(over),
        blocks: perBlock,
      };
      rows.push(row);
      console.error(
        `${framework} ${credential} c=${connections}: ratio ${row.ratio.toFixed(3)} ` +
          `(${row.ratioQuartiles.map((q) => q.toFixed(3)).join("–")}), ` +
          `over floor ${row.overFloor.toFixed(2)} µs (${row.overQuartiles.map((q) => q.toFixed(2)).join(" to ")}), ` +
          `floor ${row.floorCpu.toFixed(1)} µs/req`,
      );
    }
    return rows;
  } finally {
    stopServer(child);
  }
}

const started = new Date();
const startUptime = uptimeText();
const rows = [];
for (const item of plan()) rows.push(...(await pairedRun(item)));
const endUptime = uptimeText();
const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);

const fixed = (n, digits) => n.toFixed(digits).replace("-", "−");
const lines = [
  `Run of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes} min: ` +
    `\`${stand ? `GATEHOUSE_BENCH_PAIRED_WITH=${stand} ` : ""}node bench/http/paired.mjs${args.length ? ` ${args.join(" ")}` : ""}\`; Node ${process.version}, ` +
    `${cpus().length} CPUs, ` +
    (pinned ? "server pinned to CPU 0, load generator to CPU 1" : "no CPU pinning") +
    `; ${blocks} blocks of 4 phases of ${phaseSeconds} s per row, after ${warmup} requests per mode` +
    (nodeFlags.length ? `, server flags ${nodeFlags.join(" ")}` : "") +
    ".",
  "",
  `- uptime at start: \`${startUptime}\``,
  `- uptime at end: \`${endUptime}\``,
  "",
  "One server process per row serves both the no-op middleware (the floor) and gatehouse,",
  "switched between phases; medians over the blocks, the middle half of the blocks in",
  "brackets.",
  ...(stand
    ? [
        "",
        `GATEHOUSE_BENCH_PAIRED_WITH=${stand}: the gatehouse columns are a middleware that only`,
        stand === "digest"
          ? "finds the credential's header and takes its SHA-256, not gatehouse."
          : "finds the credential's header, not gatehouse.",
      ]
    : []),
  "",
  "| framework | credential | conns | floor req/s | gatehouse req/s | ratio | floor µs/req | µs over floor |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
];
for (const r of rows) {
  lines.push(
    `| ${LABEL[r.framework]} | ${r.credential === "jwt" ? "Bearer JWT" : "API key"} | ${r.connections} | ` +
      `${Math.round(r.floorRps).toLocaleString("en-US")} | ${Math.round(r.rps).toLocaleString("en-US")} | ` +
      `${r.ratio.toFixed(3)} (${r.ratioQuartiles.map((q) => q.toFixed(2)).join("–")}) | ` +
      `${r.floorCpu.toFixed(1)} | ${fixed(r.overFloor, 2)} (${r.overQuartiles.map((q) => fixed(q, 1)).join(" to ")}) |`,
  );
}
const markdown = lines.join("\n") + "\n";
console.log(markdown);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, markdown);
const json = out.replace(/\.md$/, "") + ".json";
writeFileSync(json, JSON.stringify(rows, null, 1) + "\n");
prettify(out, json);
console.error(`written to ${out}`);
