// One benchmark server: `node bench/http/server.mjs <framework> <case>`. It prints one JSON
// line `{ "port", "headers" }` (the headers every request of the case sends) and serves
// GET /hello until killed. Run by run.mjs in a process of its own, away from the load
// generator. Imports the built package: run `npm run build` first. run.mjs points
// GATEHOUSE_BENCH_DIST at a snapshot of dist/, so a rebuild during the run cannot pull the
// files from under it.
import { createSecretKey, hash, webcrypto } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

const snapshot = process.env.GATEHOUSE_BENCH_DIST;
const load = (subpath) =>
  snapshot
    ? import(pathToFileURL(`${snapshot}/${subpath || "index"}.js`).href)
    : import(subpath ? `gatehouse/${subpath}` : "gatehouse");
const { createAuth, memoryKeyStore } = await load("");

const [framework, benchCase] = process.argv.slice(2);
const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const ISSUER = "https://api.example.test";
const AUDIENCE = "api";

const auth = createAuth({
  jwt: { secret: SECRET, algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE, ttl: "1h" },
  apiKeys: { store: memoryKeyStore(), header: "x-api-key", prefix: "gh" },
});
const token = await auth.tokens.issue({ sub: "alice", scopes: ["reports:read"], roles: [] });
const { key } = await auth.keys.create({
  ownerId: "alice",
  name: "bench",
  scopes: ["reports:read"],
});
// Every case gets the same requests as the authenticated case it is compared with, so that
// the middleware is the only difference: the plain route is sent the Bearer token too (it
// ignores it), and plain-apikey, the baseline of gatehouse-apikey, is sent the key.
const bearer = { authorization: `Bearer ${token}` };
const apiKeyHeader = { "x-api-key": key };
const headersFor = {
  "plain-bare": {},
  "gatehouse-anonymous": {},
  "plain-apikey": apiKeyHeader,
  "paired-apikey": apiKeyHeader,
  // The no-op floor sent the key: the floor of gatehouse-apikey, the same bytes on the wire.
  "noop-middleware-apikey": apiKeyHeader,
  "gatehouse-apikey": apiKeyHeader,
};
const secretKeyObject = createSecretKey(Buffer.from(SECRET));
// The design keys both verified-credential caches by a SHA-256 of the credential, so that
// no cache holds one: this is that digest alone, the floor of any cache hit under it.
function headerOf(req, name) {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === name) return raw[i + 1];
  }
  return null;
}
function digestOfHeader(req, name) {
  const value = headerOf(req, name);
  return value === null ? null : hash("sha256", value, "base64url");
}
const digestOfAuthorization = (req) => digestOfHeader(req, "authorization");
const body = { ok: true };

// The paired cases (bench/http/paired.mjs): the no-op floor and gatehouse in one process,
// one route, switched over IPC between timed phases, so that a case and its floor share the
// heap, the JIT's state and the machine's mood of the moment. Both paths pass through the
// same switch, so its cost cancels out of the difference.
const paired = benchCase?.startsWith("paired-");
let pairedMode = "floor";
/** The middleware `floor` or `gatehouse` stands for, whichever the runner chose last. */
const switched = (floor, gatehouse) => (a, b, c) =>
  pairedMode === "floor" ? floor(a, b, c) : gatehouse(a, b, c);
// GATEHOUSE_BENCH_PAIRED_WITH=digest puts, where gatehouse would be, a middleware that only
// finds the credential's header and takes its SHA-256: the share of the gap over the floor
// that the cache key costs by itself; `header` one that only finds the header.
const credentialHeader = benchCase === "paired-apikey" ? "x-api-key" : "authorization";
const stand = paired ? process.env.GATEHOUSE_BENCH_PAIRED_WITH : undefined;
const digestToo = stand === "digest";
/** gatehouse's middleware, or the digest-only (or header-only) one in its place. */
const pairedSide = (gatehouse, digestOnly) =>
  stand === "digest" || stand === "header" ? digestOnly : gatehouse;
const digestCredential = (req) =>
  digestToo ? digestOfHeader(req, credentialHeader) : headerOf(req, credentialHeader);

async function expressServer(pkg = "express") {
  const { default: express } = await import(pkg);
  const ga = await load("express");
  const app = express();
  const hello = (_req, res) => res.json(body);
  switch (benchCase) {
    case "plain":
    case "plain-apikey":
    case "plain-bare":
      app.get("/hello", hello);
      break;
    case "noop-middleware":
    case "noop-middleware-apikey":
      // The framework's own cost of one async middleware, with no auth in it: the floor
      // that any authentication middleware starts from.
      app.get("/hello", async (_req, _res, next) => next(), hello);
      break;
    case "sha256-only":
      app.get(
        "/hello",
        (req, _res, next) => {
          digestOfAuthorization(req);
          next();
        },
        hello,
      );
      break;
    // Two ways a middleware can hand per-request state to the handlers after it, with no
    // auth in them: properties on the request (here two symbols) or a WeakMap keyed by it.
    // The Express adapter uses the WeakMap; docs/benchmarks.md has the measurement.
    case "state-symbols": {
      const principal = Symbol("principal");
      const settings = Symbol("settings");
      app.get(
        "/hello",
        (req, _res, next) => {
          req[principal] = body;
          req[settings] = body;
          next();
        },
        hello,
      );
      break;
    }
    case "state-weakmap": {
      const state = new WeakMap();
      app.get(
        "/hello",
        (req, _res, next) => {
          state.set(req, { principal: body, settings: body });
          next();
        },
        hello,
      );
      break;
    }
    case "gatehouse-jwt":
    case "gatehouse-apikey":
      app.get("/hello", ga.authenticate(auth), hello);
      break;
    case "paired-jwt":
    case "paired-apikey":
      app.get(
        "/hello",
        switched(
          async (_req, _res, next) => next(),
          pairedSide(ga.authenticate(auth), (req, _res, next) => {
            digestCredential(req);
            next();
          }),
        ),
        hello,
      );
      break;
    case "gatehouse-anonymous":
      app.get("/hello", ga.authenticate(auth, { optional: true }), hello);
      break;
    case "express-jwt":
    case "express-jwt-keyobject": {
      const { expressjwt } = await import("express-jwt");
      const secret = benchCase === "express-jwt" ? SECRET : secretKeyObject;
      app.get("/hello", expressjwt({ secret, algorithms: ["HS256"] }), hello);
      break;
    }
    case "passport-jwt":
    case "passport-jwt-keyobject": {
      const { default: passport } = await import("passport");
      const { Strategy, ExtractJwt } = await import("passport-jwt");
      const secretOrKey = benchCase === "passport-jwt" ? SECRET : secretKeyObject;
      passport.use(
        new Strategy(
          {
            jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
            secretOrKey,
            algorithms: ["HS256"],
          },
          (payload, done) => done(null, payload),
        ),
      );
      app.use(passport.initialize());
      app.get("/hello", passport.authenticate("jwt", { session: false }), hello);
      break;
    }
    default:
      throw new Error(`unknown case ${benchCase}`);
  }
  return createServer(app);
}

async function koaServer(pkg = "koa") {
  const { default: Koa } = await import(pkg);
  const ga = await load("koa");
  const app = new Koa();
  switch (benchCase) {
    case "plain":
    case "plain-apikey":
    case "plain-bare":
      break;
    case "noop-middleware":
    case "noop-middleware-apikey":
      app.use(async (_ctx, next) => next());
      break;
    case "sha256-only":
      app.use((ctx, next) => {
        digestOfAuthorization(ctx.req);
        return next();
      });
      break;
    case "gatehouse-jwt":
    case "gatehouse-apikey":
      app.use(ga.authenticate(auth));
      break;
    case "paired-jwt":
    case "paired-apikey":
      app.use(
        switched(
          async (_ctx, next) => next(),
          pairedSide(ga.authenticate(auth), (ctx, next) => {
            digestCredential(ctx.req);
            return next();
          }),
        ),
      );
      break;
    case "gatehouse-anonymous":
      app.use(ga.authenticate(auth, { optional: true }));
      break;
    case "koa-jwt":
    case "koa-jwt-keyobject": {
      const { default: jwt } = await import("koa-jwt");
      app.use(
        jwt({ secret: benchCase === "koa-jwt" ? SECRET : secretKeyObject, algorithms: ["HS256"] }),
      );
      break;
    }
    default:
      throw new Error(`unknown case ${benchCase}`);
  }
  app.use(async function hello(ctx) {
    if (ctx.path === "/hello") ctx.body = body;
  });
  const handle = app.callback();
  return createServer((req, res) => void handle(req, res));
}

async function honoServer() {
  const { Hono } = await import("hono");
  const { getRequestListener } = await import("@hono/node-server");
  const ga = await load("hono");
  const app = new Hono();
  switch (benchCase) {
    case "plain":
    case "plain-apikey":
    case "plain-bare":
      break;
    case "noop-middleware":
    case "noop-middleware-apikey":
      app.use("/hello", async (_c, next) => next());
      break;
    case "sha256-only":
      app.use("/hello", (c, next) => {
        digestOfAuthorization(c.env.incoming);
        return next();
      });
      break;
    case "gatehouse-jwt":
    case "gatehouse-apikey":
      app.use("/hello", ga.authenticate(auth));
      break;
    case "paired-jwt":
    case "paired-apikey":
      app.use(
        "/hello",
        switched(
          async (_c, next) => next(),
          pairedSide(ga.authenticate(auth), (c, next) => {
            digestCredential(c.env.incoming);
            return next();
          }),
        ),
      );
      break;
    case "gatehouse-anonymous":
      app.use("/hello", ga.authenticate(auth, { optional: true }));
      break;
    case "hono-jwt":
    case "hono-jwt-cryptokey": {
      const { jwt } = await import("hono/jwt");
      const secret =
        benchCase === "hono-jwt"
          ? SECRET
          : await webcrypto.subtle.importKey(
              "raw",
              Buffer.from(SECRET),
              { name: "HMAC", hash: "SHA-256" },
              false,
              ["verify"],
            );
      // Our tokens are RFC 9068 access tokens (typ at+jwt); hono/jwt accepts only "JWT"
      // unless told the typ, so it is told.
      app.use("/hello", jwt({ secret, alg: "HS256", verification: { typ: "at+jwt" } }));
      break;
    }
    default:
      throw new Error(`unknown case ${benchCase}`);
  }
  app.get("/hello", (c) => c.json(body));
  return createServer(getRequestListener(app.fetch));
}

async function fastifyServer(pkg = "fastify") {
  const { default: Fastify } = await import(pkg);
  const ga = await load("fastify");
  const app = Fastify();
  const route = (onRequest) => (onRequest ? { onRequest } : {});
  let options;
  switch (benchCase) {
    case "plain":
    case "plain-apikey":
    case "plain-bare":
      options = route();
      break;
    case "noop-middleware":
    case "noop-middleware-apikey":
      options = route(async () => undefined);
      break;
    case "sha256-only":
      options = route((request, _reply, done) => {
        digestOfAuthorization(request.raw);
        done();
      });
      break;
    case "gatehouse-jwt":
    case "gatehouse-apikey":
      options = route(ga.authenticate(auth));
      break;
    case "paired-jwt":
    case "paired-apikey":
      // Fastify tells a callback hook from an async one by its arity, so the two cannot share
      // a switch: two routes instead, of one name length, found by the same radix tree.
      app.get(
        "/hellp",
        route(
          pairedSide(ga.authenticate(auth), (request, _reply, done) => {
            digestCredential(request.raw);
            done();
          }),
        ),
        async () => body,
      );
      options = route(async () => undefined);
      break;
    case "gatehouse-anonymous":
      options = route(ga.authenticate(auth, { optional: true }));
      break;
    case "fastify-jwt":
    case "fastify-jwt-keyobject": {
      const { default: fastifyJwt } = await import("@fastify/jwt");
      // @fastify/jwt takes no KeyObject (neither as `secret` nor as `{ public, private }`);
      // the key imported ahead is the bytes of the secret, which fast-jwt turns into a key
      // once per verifier, and @fastify/jwt keeps its verifiers.
      const secret = benchCase === "fastify-jwt" ? SECRET : Buffer.from(SECRET);
      await app.register(fastifyJwt, { secret, verify: { algorithms: ["HS256"] } });
      // As its README shows: an onRequest hook that awaits request.jwtVerify().
      options = route(async (request, reply) => {
        try {
          await request.jwtVerify();
        } catch (err) {
          reply.send(err);
        }
      });
      break;
    }
    default:
      throw new Error(`unknown case ${benchCase}`);
  }
  app.get("/hello", options, async () => body);
  await app.ready();
  return app.server;
}

// A fetch handler, served as Bun or Deno would serve it: here through @hono/node-server's
// bridge, the same for every case, so the handler is the only difference.
async function fetchServer() {
  const { getRequestListener } = await import("@hono/node-server");
  const ga = await load("fetch");
  const hello = () => Response.json(body);
  const handlers = {
    plain: hello,
    "plain-apikey": hello,
    "plain-bare": hello,
    // The same wrapper shape as withAuth, with nothing in it.
    "noop-middleware": async (req) => hello(req),
    "noop-middleware-apikey": async (req) => hello(req),
    "sha256-only": (req) => {
      const value = req.headers.get("authorization");
      if (value !== null) hash("sha256", value, "base64url");
      return hello(req);
    },
    "gatehouse-jwt": ga.withAuth(auth, hello),
    "gatehouse-apikey": ga.withAuth(auth, hello),
    "gatehouse-anonymous": ga.withAuth(auth, hello, { optional: true }),
  };
  handlers["paired-jwt"] = handlers["paired-apikey"] = switched(
    handlers["noop-middleware"],
    pairedSide(handlers["gatehouse-jwt"], (req) => {
      const value = req.headers.get(credentialHeader);
      if (digestToo && value !== null) hash("sha256", value, "base64url");
      return hello(req);
    }),
  );
  const handler = handlers[benchCase];
  if (!handler) throw new Error(`unknown case ${benchCase}`);
  return createServer(getRequestListener(handler));
}

// NestJS 11 on its Express platform. Nest's decorators are applied as functions: this file
// is plain JavaScript, and the adapter itself needs no emitted metadata.
async function nestServer() {
  await import("reflect-metadata");
  const { Controller, Get, Module } = await import("@nestjs/common");
  const { APP_GUARD, NestFactory } = await import("@nestjs/core");
  const { ExpressAdapter } = await import("@nestjs/platform-express");
  const ga = await load("nestjs");
  class Hello {
    hello() {
      return body;
    }
  }
  const method = Object.getOwnPropertyDescriptor(Hello.prototype, "hello");
  Get("hello")(Hello.prototype, "hello", method);
  Controller()(Hello);
  const imports = [];
  const providers = [];
  switch (benchCase) {
    case "plain":
    case "plain-apikey":
    case "plain-bare":
      break;
    case "noop-middleware":
    case "noop-middleware-apikey":
      // Nest's idiom for a check in front of a route is a guard: one async guard that lets
      // every request through.
      providers.push({ provide: APP_GUARD, useValue: { canActivate: async () => true } });
      break;
    case "sha256-only":
      providers.push({
        provide: APP_GUARD,
        useValue: {
          canActivate: (context) => {
            digestOfAuthorization(context.switchToHttp().getRequest());
            return true;
          },
        },
      });
      break;
    case "gatehouse-anonymous":
      ga.OptionalAuth()(Hello);
    // falls through
    case "gatehouse-jwt":
    case "gatehouse-apikey":
      imports.push(ga.GatehouseModule.forRoot(auth));
      providers.push({ provide: APP_GUARD, useClass: ga.AuthGuard });
      break;
    default:
      throw new Error(`unknown case ${benchCase}`);
  }
  class AppModule {}
  Module({ imports, controllers: [Hello], providers })(AppModule);
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.init();
  return app.getHttpServer();
}

// express4, koa2 and fastify4 are the older majors, installed under npm aliases.
const build = {
  express: () => expressServer(),
  express4: () => expressServer("express4"),
  koa: () => koaServer(),
  koa2: () => koaServer("koa2"),
  hono: honoServer,
  fastify: () => fastifyServer(),
  fastify4: () => fastifyServer("fastify4"),
  fetch: fetchServer,
  nestjs: nestServer,
}[framework];
if (!build) throw new Error(`unknown framework ${framework}`);
const server = await build();
server.listen(0, "127.0.0.1", () => {
  const headers = headersFor[benchCase] ?? bearer;
  // The path each mode of a paired case is served on: one route, except on Fastify.
  const paths = {
    floor: "/hello",
    gatehouse: paired && framework.startsWith("fastify") ? "/hellp" : "/hello",
  };
  console.log(JSON.stringify({ port: server.address().port, headers, paths }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
// Under bench/run.mjs (an IPC channel): the process's own CPU time on request, at µs
// resolution, where /proc's clock ticks (10 ms) would blur a few µs per request.
if (process.send) {
  process.on("message", (message) => {
    if (message === "cpu") process.send({ cpu: process.cpuUsage() });
    else if (message === "floor" || message === "gatehouse") {
      pairedMode = message;
      process.send({ mode: message });
    }
  });
}
