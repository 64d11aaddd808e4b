// One cold-path benchmark server: `node bench/http/cold-server.mjs <framework> <case> <alg>`,
// run by cold.mjs, which passes the verification key in GATEHOUSE_BENCH_KEY (a JWK: the
// public half for ES256 and EdDSA, the `oct` secret for HS256) and mints the tokens. Prints
// `{ "port" }` and serves GET /hello; answers "cpu" and "counts" over its IPC channel.
//
// Frameworks and cases:
//   http     noop | jose | gatehouse   node:http alone, a hand-rolled jose jwtVerify with
//                                      the key imported once, gatehouse's core (authenticate
//                                      on a request view of the IncomingMessage)
//   express  noop-middleware | gatehouse-jwt | express-jwt
//   hono     noop-middleware | gatehouse-jwt | hono-jwt
//   fastify  noop-middleware | gatehouse-jwt | fastify-jwt
// Every verifier checks the signature, exp, the issuer and the audience.
//
// GATEHOUSE_BENCH_GOOD (a token) turns on the flood counters: how many requests carried that
// token, and how many signature checks were run on its signing input (node:crypto's createHmac
// and verify, WebCrypto's verify, all wrapped here): the good token's cache misses, counted
// without touching gatehouse's code.
import { createPublicKey, createSecretKey, webcrypto } from "node:crypto";
import { createServer } from "node:http";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { pathToFileURL } from "node:url";
import { AUDIENCE, ISSUER } from "../cold-tokens.mjs";

const [framework, benchCase, alg] = process.argv.slice(2);
const jwk = JSON.parse(process.env.GATEHOUSE_BENCH_KEY);
const body = { ok: true };

const counts = { goodRequests: 0, goodVerifies: 0, verifies: 0 };
const good = process.env.GATEHOUSE_BENCH_GOOD;
if (good) {
  const goodInput = good.slice(0, good.lastIndexOf("."));
  const goodBytes = Buffer.from(goodInput, "latin1");
  const note = (data) => {
    counts.verifies += 1;
    const same =
      typeof data === "string"
        ? data === goodInput
        : Buffer.from(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength).equals(goodBytes);
    if (same) counts.goodVerifies += 1;
  };
  // gatehouse checks signatures with node:crypto (createHmac, verify) and hands other key
  // and algorithm pairs to jose, which uses WebCrypto: all three are wrapped, before the
  // package is imported, and syncBuiltinESMExports carries the wrappers to ESM importers.
  const require = createRequire(import.meta.url);
  const nodeCrypto = require("node:crypto");
  const { createHmac: realHmac, verify: realVerify } = nodeCrypto;
  nodeCrypto.createHmac = (...args) => {
    const hmac = realHmac(...args);
    const update = hmac.update.bind(hmac);
    hmac.update = (data, encoding) => {
      note(data);
      return update(data, encoding);
    };
    return hmac;
  };
  nodeCrypto.verify = (algorithm, data, key, signature, callback) => {
    note(data);
    return realVerify(algorithm, data, key, signature, callback);
  };
  syncBuiltinESMExports();
  const subtle = webcrypto.subtle;
  const verify = subtle.verify.bind(subtle);
  subtle.verify = (algorithm, key, signature, data) => {
    note(data);
    return verify(algorithm, key, signature, data);
  };
}
const goodHeader = good ? `Bearer ${good}` : null;
const countGood = (authorization) => {
  if (authorization === goodHeader) counts.goodRequests += 1;
};

const snapshot = process.env.GATEHOUSE_BENCH_DIST;
const load = (subpath) =>
  snapshot
    ? import(pathToFileURL(`${snapshot}/${subpath || "index"}.js`).href)
    : import(subpath ? `gatehouse/${subpath}` : "gatehouse");
const { createAuth } = await load("");

// The key once, in the form each verifier takes.
const keyObject =
  alg === "HS256"
    ? createSecretKey(Buffer.from(jwk.k, "base64url"))
    : createPublicKey({ key: jwk, format: "jwk" });
const jwtOption =
  alg === "HS256" ? { secret: Buffer.from(jwk.k, "base64url") } : { publicKey: jwk, typ: "at+jwt" };
const auth = createAuth({
  jwt: { ...jwtOption, algorithms: [alg], issuer: ISSUER, audience: AUDIENCE },
});

async function cryptoKey() {
  const algorithm = {
    HS256: { name: "HMAC", hash: "SHA-256" },
    ES256: { name: "ECDSA", namedCurve: "P-256" },
    EdDSA: { name: "Ed25519" },
  }[alg];
  return webcrypto.subtle.importKey("jwk", jwk, algorithm, false, ["verify"]);
}

/** The request view gatehouse's core reads: method, url and joined header values. */
function viewOf(req) {
  return {
    method: req.method,
    url: req.url,
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : value;
      },
    },
    ip: req.socket.remoteAddress,
  };
}

const send = (res, status, payload) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(payload));
};

async function httpServer() {
  const { jwtVerify } = await import("jose");
  const key = alg === "HS256" ? keyObject : await cryptoKey();
  const handlers = {
    noop: async (req, res) => send(res, 200, body),
    jose: async (req, res) => {
      const header = req.headers.authorization ?? "";
      try {
        await jwtVerify(header.slice(7), key, {
          algorithms: [alg],
          issuer: ISSUER,
          audience: AUDIENCE,
        });
      } catch {
        return send(res, 401, { error: "invalid_token" });
      }
      send(res, 200, body);
    },
    gatehouse: async (req, res) => {
      const result = await auth.authenticate(viewOf(req));
      if (!result.ok) return send(res, 401, { error: result.error.code });
      send(res, 200, body);
    },
  };
  const handler = handlers[benchCase];
  if (!handler) throw new Error(`unknown case ${benchCase}`);
  return createServer((req, res) => {
    countGood(req.headers.authorization);
    void handler(req, res);
  });
}

async function expressServer() {
  const { default: express } = await import("express");
  const ga = await load("express");
  const app = express();
  app.use((req, _res, next) => {
    countGood(req.headers.authorization);
    next();
  });
  const hello = (_req, res) => res.json(body);
  if (benchCase === "noop-middleware") app.get("/hello", async (_req, _res, next) => next(), hello);
  else if (benchCase === "gatehouse-jwt") app.get("/hello", ga.authenticate(auth), hello);
  else if (benchCase === "express-jwt") {
    if (alg === "EdDSA") throw new Error("express-jwt (jsonwebtoken 9) has no EdDSA");
    const { expressjwt } = await import("express-jwt");
    app.get(
      "/hello",
      expressjwt({ secret: keyObject, algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }),
      hello,
    );
  } else throw new Error(`unknown case ${benchCase}`);
  // express-jwt's refusals arrive as errors: answer them as the others do.
  // Express tells an error handler by its four parameters, so `next` stays in the list.
  app.use((err, _req, res, next) => {
    void next;
    send(res, err.status ?? 500, { error: err.code });
  });
  return createServer(app);
}

async function honoServer() {
  const { Hono } = await import("hono");
  const { getRequestListener } = await import("@hono/node-server");
  const ga = await load("hono");
  const app = new Hono();
  app.use("/hello", (c, next) => {
    countGood(c.req.header("authorization"));
    return next();
  });
  if (benchCase === "noop-middleware") app.use("/hello", async (_c, next) => next());
  else if (benchCase === "gatehouse-jwt") app.use("/hello", ga.authenticate(auth));
  else if (benchCase === "hono-jwt") {
    const { jwt } = await import("hono/jwt");
    app.use(
      "/hello",
      jwt({
        secret: await cryptoKey(),
        alg,
        verification: { typ: "at+jwt", iss: ISSUER, aud: AUDIENCE },
      }),
    );
  } else throw new Error(`unknown case ${benchCase}`);
  app.get("/hello", (c) => c.json(body));
  return createServer(getRequestListener(app.fetch));
}

async function fastifyServer() {
  const { default: Fastify } = await import("fastify");
  const ga = await load("fastify");
  const app = Fastify();
  app.addHook("onRequest", (request, _reply, done) => {
    countGood(request.headers.authorization);
    done();
  });
  let onRequest;
  if (benchCase === "noop-middleware") onRequest = async () => undefined;
  else if (benchCase === "gatehouse-jwt") onRequest = ga.authenticate(auth);
  else if (benchCase === "fastify-jwt") {
    const { default: fastifyJwt } = await import("@fastify/jwt");
    const secret =
      alg === "HS256"
        ? Buffer.from(jwk.k, "base64url")
        : { public: keyObject.export({ format: "pem", type: "spki" }) };
    await app.register(fastifyJwt, {
      secret,
      verify: { algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE },
    });
    onRequest = async (request, reply) => {
      try {
        await request.jwtVerify();
      } catch (err) {
        reply.send(err);
      }
    };
  } else throw new Error(`unknown case ${benchCase}`);
  app.get("/hello", { onRequest }, async () => body);
  await app.ready();
  return app.server;
}

const build = {
  http: httpServer,
  express: expressServer,
  hono: honoServer,
  fastify: fastifyServer,
}[framework];
if (!build) throw new Error(`unknown framework ${framework}`);
const server = await build();
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("message", (message) => {
  if (message === "cpu") process.send({ cpu: process.cpuUsage() });
  if (message === "counts") process.send({ counts });
});
