// The core's cost on a warm cache: `auth.authenticate` in-process, no HTTP, no framework.
// `node bench/authenticate-hit.mjs [jwt|key|limited-key]` after `npm run build`; a
// limited key has a rate limit (never reached here), so every request asks the limiter.
// Two figures: the public `authenticate` (a promise, awaited), and the promise-free twin
// that every adapter calls (a cached credential is answered in the same tick).
import { importBuild } from "./common.mjs";

const { createAuth, memoryKeyStore } = await importBuild();

const mode = process.argv[2] ?? "jwt";
const auth = createAuth({
  jwt: {
    secret: "bench-secret-0123456789abcdef0123456789abcdef",
    algorithms: ["HS256"],
    issuer: "https://api.example.test",
    audience: "api",
    ttl: "1h",
  },
  apiKeys: { store: memoryKeyStore(), header: "x-api-key" },
});
const token = await auth.tokens.issue({ sub: "alice", scopes: ["reports:read"], roles: [] });
const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "bench",
  ...(mode === "limited-key" ? { rateLimit: { limit: 1e9, window: 60_000 } } : {}),
});
const headers = mode === "jwt" ? { authorization: `Bearer ${token}` } : { "x-api-key": key };
const view = {
  method: "GET",
  url: "http://api.example.test/hello",
  headers: { get: (name) => headers[name] ?? null },
};

const N = 200_000;
for (let i = 0; i < 20_000; i++) await auth.authenticate(view); // warm the cache and the JIT
const started = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  const result = await auth.authenticate(view);
  if (!result.ok) throw result.error;
}
const perCall = Number(process.hrtime.bigint() - started) / 1e3 / N;
console.log(`${mode}: ${perCall.toFixed(2)} µs per authenticate (cache hit, ${N} calls)`);

const twin = auth.authenticate[Symbol.for("gatehouse.cachedAuthenticate")];
if (typeof twin === "function") {
  // A limited key asks its limiter, which answers with a promise: awaited, and said so.
  const awaits = mode === "limited-key";
  for (let i = 0; i < 20_000; i++) await twin(view);
  const from = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    let result = twin(view);
    if (result instanceof Promise) {
      if (!awaits) throw new Error("not answered in this tick");
      result = await result;
    }
    if (!result.ok) throw result.error;
  }
  const sync = Number(process.hrtime.bigint() - from) / 1e3 / N;
  const how = awaits ? "its answer awaited" : "answered in the same tick";
  console.log(`${mode}: ${sync.toFixed(2)} µs per call of the adapters' twin (${how})`);
}
await auth.close();
