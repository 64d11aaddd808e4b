// HTTP adapter benchmark: for each framework, a plain route, the same route behind
// gatehouse's authenticate (a repeated HS256 Bearer token; a repeated API key), and the
// framework's usual JWT middleware (as documented with a string secret, and with a key
// object imported once). Each case gets a fresh server process; autocannon runs here.
//
//   npm run build && node bench/http/run.mjs [seconds=5] [framework…]
import { spawn } from "node:child_process";
import autocannon from "autocannon";

const seconds = Number(process.argv[2] ?? 5);
const only = process.argv.slice(3);
const CASES = {
  express: [
    "plain",
    "gatehouse-jwt",
    "gatehouse-apikey",
    "express-jwt",
    "express-jwt-keyobject",
    "passport-jwt",
    "passport-jwt-keyobject",
  ],
  koa: ["plain", "gatehouse-jwt", "gatehouse-apikey", "koa-jwt", "koa-jwt-keyobject"],
  hono: ["plain", "gatehouse-jwt", "gatehouse-apikey", "hono-jwt", "hono-jwt-cryptokey"],
};
const server = new URL("./server.mjs", import.meta.url).pathname;

function startServer(framework, benchCase) {
  const child = spawn(process.execPath, [server, framework, benchCase], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${framework}/${benchCase} exited: ${code}`)));
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line) }));
  });
}

async function measure(framework, benchCase) {
  const { child, port, headers } = await startServer(framework, benchCase);
  try {
    const url = `http://127.0.0.1:${port}/hello`;
    const check = await fetch(url, { headers });
    if (check.status !== 200) throw new Error(`${framework}/${benchCase}: status ${check.status}`);
    const result = await autocannon({
      url,
      headers,
      connections: 10,
      duration: seconds,
      warmup: { connections: 10, duration: 1 },
    });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${framework}/${benchCase}: ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    return { rps: result.requests.average, p99: result.latency.p99 };
  } finally {
    child.removeAllListeners("exit");
    child.kill();
  }
}

const rows = [];
for (const [framework, cases] of Object.entries(CASES)) {
  if (only.length > 0 && !only.includes(framework)) continue;
  let plain = 0;
  for (const benchCase of cases) {
    const { rps, p99 } = await measure(framework, benchCase);
    if (benchCase === "plain") plain = rps;
    const ratio = plain > 0 ? (rps / plain).toFixed(2) : "";
    rows.push(
      `| ${framework} | ${benchCase} | ${Math.round(rps).toLocaleString("en-US")} | ${p99} ms | ${ratio} |`,
    );
    console.error(rows.at(-1));
  }
}
console.log(`Node ${process.version}, ${seconds} s per case, 10 connections, 1 s warm-up\n`);
console.log("| framework | case | req/s | p99 | authed/plain |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
