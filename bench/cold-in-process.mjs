// The core's cost on a first-seen token: `auth.authenticate` in-process, no HTTP, every
// call a distinct valid HS256 token. `node bench/cold-in-process.mjs [gatehouse|jose|hmac]`
// after `npm run build` (pin it with `taskset -c 0` on a shared machine). The other modes
// are the floors and peers beside it, with the key imported once: jose's `jwtVerify` with
// the same checks (signature, typ, iss, aud, exp); the verifiers under @fastify/jwt
// (`fast-jwt`, its cache off, as @fastify/jwt leaves it) and express-jwt (`jsonwebtoken`,
// with a KeyObject), with iss and aud; and a bare node:crypto HMAC compare plus the
// payload's JSON.parse, which checks nothing else.
import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { createVerifier } from "fast-jwt";
import { jwtVerify } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { importBuild } from "./common.mjs";
import { AUDIENCE, ISSUER, flat, keysFor, mint } from "./cold-tokens.mjs";

const { createAuth } = await importBuild();

const mode = process.argv[2] ?? "gatehouse";
const N = Number(process.env.GATEHOUSE_BENCH_TOKENS ?? 100_000);
// GATEHOUSE_BENCH_CACHE_MAX: the verified-token cache's bound (0 turns it off), to tell
// what caching a first-seen token costs from what verifying it does.
const cacheMax =
  process.env.GATEHOUSE_BENCH_CACHE_MAX === undefined
    ? undefined
    : Number(process.env.GATEHOUSE_BENCH_CACHE_MAX);
const secret = Buffer.from("bench-secret-0123456789abcdef0123456789abcdef");
const key = createSecretKey(secret);
const auth = createAuth({
  jwt: { secret, algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE, cacheMax },
});

const tokens = mint("HS256", keysFor("HS256", secret).sign, N, "cold");
const views = tokens.map((token) => {
  const headers = { authorization: flat(`Bearer ${token}`) };
  return { method: "GET", url: "/hello", headers: { get: (name) => headers[name] ?? null } };
});

const modes = {
  async gatehouse(i) {
    const result = await auth.authenticate(views[i]);
    if (!result.ok) throw result.error;
  },
  async jose(i) {
    await jwtVerify(tokens[i], key, {
      typ: "at+jwt",
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
  },
  "fast-jwt": (() => {
    const verify = createVerifier({
      key: secret,
      algorithms: ["HS256"],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      cache: false,
    });
    return async (i) => {
      if (verify(tokens[i]).sub === undefined) throw new Error("no sub");
    };
  })(),
  async jsonwebtoken(i) {
    const claims = jsonwebtoken.verify(tokens[i], key, {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    if (claims.sub === undefined) throw new Error("no sub");
  },
  async hmac(i) {
    const token = tokens[i];
    const dot = token.lastIndexOf(".");
    const expected = createHmac("sha256", key).update(token.slice(0, dot)).digest();
    if (!timingSafeEqual(expected, Buffer.from(token.slice(dot + 1), "base64url"))) {
      throw new Error("bad signature");
    }
    JSON.parse(Buffer.from(token.slice(token.indexOf(".") + 1, dot), "base64url").toString());
  },
};
const run = modes[mode];
if (!run) throw new Error(`unknown mode ${mode}: ${Object.keys(modes).join(", ")}`);

// The first tenth warms the JIT; each of the rest is seen once.
const warm = Math.floor(N / 10);
for (let i = 0; i < warm; i++) await run(i);
const started = process.hrtime.bigint();
for (let i = warm; i < N; i++) await run(i);
const perCall = Number(process.hrtime.bigint() - started) / 1e3 / (N - warm);
console.log(`${mode}: ${perCall.toFixed(2)} µs per first-seen token (${N - warm} tokens)`);
await auth.close();
