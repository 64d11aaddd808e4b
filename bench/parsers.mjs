// What each request-path parser costs on a normal input and on hostile inputs of 16 KB and
// 32 KB. A linear parser takes about twice as long on the 32 KB input (ratio ≈ 2); a
// quadratic one about four times. `node bench/parsers.mjs`; no build needed: the parsers
// are internal (not in dist/'s exports), so they are bundled from src/ with esbuild first.
// `GATEHOUSE_BENCH_SRC=<another checkout>` measures that checkout's src/ instead, to compare
// two versions on the same machine.
import { mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const repo = new URL("..", import.meta.url).pathname;
const root = process.env.GATEHOUSE_BENCH_SRC ?? repo;
const outfile = `${repo}node_modules/.cache/gatehouse-bench-parsers/parsers.mjs`;
mkdirSync(new URL(".", pathToFileURL(outfile)).pathname, { recursive: true });
await build({
  stdin: {
    contents: [
      'export { parseAuthorization } from "./src/extract/authorization.ts";',
      'export { readCookie } from "./src/extract/cookies.ts";',
      'export { readApiKeyHeader } from "./src/extract/api-key-header.ts";',
      'export { readBasicAuth, readTokenParams } from "./src/tokens/token-params.ts";',
      'export { parseBodyText } from "./src/http/read-body.ts";',
      'export { checkTokenShape } from "./src/verify/jwt/token-shape.ts";',
      'export { formatApiKey, parseApiKey } from "./src/verify/api-key/key-format.ts";',
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outfile,
  logLevel: "warning",
});
const p = await import(pathToFileURL(outfile).href);

/** What the parser answered, for the table: a kind, ok/refused, or null. */
function answerOf(result) {
  if (result === null || typeof result !== "object") return String(result);
  if ("kind" in result) return result.kind;
  if ("present" in result && !result.present) return "absent";
  if ("ok" in result)
    return result.ok ? "ok" : `refused${result.answer ? ` ${result.answer.status}` : ""}`;
  return "parsed";
}

/**
 * µs per call: the best mean of 9 rounds, each at least 20 ms (and 8 calls) long, after one
 * round of warm-up, so that a slow, super-linear case still finishes and a busy machine
 * costs rounds, not the answer.
 */
let sink;
function microsPerCall(fn) {
  let best = Infinity;
  for (let round = 0; round < 10; round++) {
    let calls = 0;
    const started = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < 20_000_000n) {
      for (let i = 0; i < 8; i++) sink = fn();
      calls += 8;
      elapsed = process.hrtime.bigint() - started;
    }
    if (round > 0) best = Math.min(best, Number(elapsed) / calls / 1000);
  }
  return best;
}

const KB = 1024;
const b64url = (text) => Buffer.from(text).toString("base64url");
const claims = { sub: "alice", iss: "https://api.example.test", aud: "api", scope: "a b c" };
const jwtLike = [
  b64url('{"alg":"HS256","typ":"at+jwt"}'),
  b64url(
    JSON.stringify({ ...claims, iat: 1_800_000_000, exp: 1_800_003_600, jti: "x".repeat(40) }),
  ),
  b64url("s".repeat(32)),
].join(".");
const basicNormal = `Basic ${Buffer.from("client-id:client-secret").toString("base64")}`;
const apiKey = p.formatApiKey({ prefix: "gh", id: "0123456789abcdef", secret: "s".repeat(32) });
const algorithms = new Set(["HS256"]);
const view = (value) => ({ get: () => value });
const fill = (unit, size) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
function distinctFields(size) {
  let text = "";
  for (let i = 0; text.length < size; i++) text += `k${i}=v&`;
  return text;
}

// Each case: a parser, a label, and the input of about `size` characters.
const cases = [
  ["authorization", "spaces, then x,", (n) => `Bearer${" ".repeat(n)}x,`],
  ["authorization", "spaces, then a comma", (n) => `Bearer x${" ".repeat(n)},`],
  ["authorization", "many commas", (n) => `Bearer ${",".repeat(n)}`],
  ["authorization", "many ' ,'", (n) => `Bearer x${fill(" ,", n)}`],
  ["authorization", "Bearer elements", (n) => fill("Bearer abc, ", n)],
  ["authorization", "long quoted string", (n) => `Digest realm="${fill("a, ", n)}"`],
  ["authorization", "long b64token then =x", (n) => `Bearer ${"a".repeat(n)}=x`],
  ["cookie", "many ;", (n) => `a=b${";".repeat(n)}`],
  ["cookie", "many =", (n) => `access_token${"=".repeat(n)}`],
  ["cookie", "many commas", (n) => `a=${",".repeat(n)}`],
  ["cookie", "many ', x='", (n) => `a=b${fill(", x=", n)}`],
  ["cookie", "spaces, then a comma", (n) => `a=b${" ".repeat(n)},access_token=x`],
  ["cookie", "many pairs", (n) => fill("ab=cd; ", n)],
  ["cookie", "long quoted value", (n) => `access_token="${"a".repeat(n)}"`],
  ["api-key header", "many commas", (n) => ",".repeat(n)],
  ["api-key header", "spaces, then a comma", (n) => `${" ".repeat(n)}x,`],
  ["api-key header", "many ' , k'", (n) => fill(" , k", n)],
  ["basic", "huge base64", (n) => `Basic ${"QUJD".repeat(n / 4)}`],
  ["basic", "spaces, then x y", (n) => `Basic${" ".repeat(n)}x y`],
  ["basic", "base64 then !", (n) => `Basic ${"A".repeat(n)}!`],
  ["form body", "many &", (n) => "&".repeat(n)],
  ["form body", "many =", (n) => "=".repeat(n)],
  ["form body", "many distinct fields", (n) => distinctFields(n)],
  ["json body", "deep nesting", (n) => `${"[".repeat(n / 2)}${"]".repeat(n / 2)}`],
  ["json body", "long string", (n) => `{"grant_type":"${"a".repeat(n)}"}`],
  ["token shape", "many dots", (n) => ".".repeat(n)],
  ["token shape", "long segments", (n) => `${"a".repeat(n / 2)}.${"a".repeat(n / 2)}.a`],
  [
    "token shape",
    "huge header",
    (n) => `${Buffer.from(`{"alg":"HS256","x":"${"a".repeat(n)}"}`).toString("base64url")}.e30.aa`,
  ],
  ["api key", "long garbage", (n) => "gh_".padEnd(n, "a")],
];

const run = {
  authorization: (input) => p.parseAuthorization(input),
  cookie: (input) => p.readCookie(input, "access_token"),
  "api-key header": (input) => p.readApiKeyHeader(view(input), ["x-api-key"]),
  basic: (input) => p.readBasicAuth(input),
  "form body": (input) => p.parseBodyText(input, "application/x-www-form-urlencoded"),
  "json body": (input) => p.parseBodyText(input, "application/json"),
  "token shape": (input) => p.checkTokenShape(input, 1 << 20, algorithms),
  "api key": (input) => p.parseApiKey(input),
};
const normal = {
  authorization: `Bearer ${jwtLike}`,
  cookie: `theme=dark; lang=en; access_token=${jwtLike}`,
  "api-key header": apiKey,
  basic: basicNormal,
  "form body": "grant_type=client_credentials&client_id=app&client_secret=s3cr3t",
  "json body": '{"grant_type":"client_credentials","client_id":"app","client_secret":"s"}',
  "token shape": jwtLike,
  "api key": apiKey,
};

const rows = [];
const seen = new Set();
for (const [parser, label, make] of cases) {
  if (!seen.has(parser)) {
    seen.add(parser);
    const input = normal[parser];
    const us = microsPerCall(() => run[parser](input));
    rows.push([parser, `normal (${input.length} chars)`, us, null, answerOf(sink)]);
  }
  const small = make(16 * KB);
  const large = make(32 * KB);
  const us16 = microsPerCall(() => run[parser](small));
  const answer = answerOf(sink);
  rows.push([parser, label, us16, microsPerCall(() => run[parser](large)), answer]);
}

const fmt = (us) => (us < 10 ? us.toFixed(2) : us < 1000 ? us.toFixed(1) : us.toFixed(0));
console.log(`node ${process.version}, µs per call`);
console.log("| parser | input | answer | 16 KB | 32 KB | 32/16 |");
console.log("| --- | --- | --- | ---: | ---: | ---: |");
for (const [parser, label, a, b, answer] of rows) {
  const rest = b === null ? `${fmt(a)} | | ` : `${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(1)}`;
  console.log(`| ${parser} | ${label} | ${answer} | ${rest} |`);
}
