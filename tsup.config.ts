import { defineConfig } from "tsup";

// One entry per public subpath of the exports map. Splitting is on for both formats so
// that the adapters and stores share one copy of the core (one AuthError class, one cache).
export const entry = {
  index: "src/index.ts",
  client: "src/client/index.ts",
  testing: "src/testing/index.ts",
  "stores/sqlite": "src/stores/sqlite.ts",
  "stores/postgres": "src/stores/postgres.ts",
  "stores/redis": "src/stores/redis.ts",
  express: "adapters/express.ts",
  koa: "adapters/koa.ts",
  hono: "adapters/hono.ts",
  fastify: "adapters/fastify.ts",
  fetch: "adapters/fetch.ts",
  nestjs: "adapters/nestjs.ts",
  // Not a subpath: the `gatehouse` executable (package.json `bin`). Its hashbang is the first
  // line of main.ts, which esbuild keeps, so no banner has to apply to every entry.
  cli: "src/cli/main.ts",
};

// Dependencies published as ES modules only. A CommonJS `require()` of them fails with
// ERR_REQUIRE_ESM on every Node without require(esm) (20 before 20.19, 22 before 22.12), which
// `engines` admits, so the CommonJS build carries its own copy; the ESM build imports them.
// lru-cache and @node-rs/argon2 ship CommonJS and stay external in both.
export const esmOnlyDependencies = ["jose"];

export default defineConfig({
  entry,
  format: ["esm", "cjs"],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  treeshake: true,
  external: [
    "express",
    "koa",
    "hono",
    "fastify",
    /^@nestjs\//,
    "rxjs",
    "reflect-metadata",
    "better-sqlite3",
    "pg",
    "ioredis",
    "vitest",
  ],
  noExternal: esmOnlyDependencies,
  // One config for both formats, so one clean and one dts pass (two configs build in
  // parallel and each would clean the other's output). noExternal above takes the packages
  // out of tsup's externals for both formats; esbuild's own list puts them back for ESM.
  esbuildOptions(options, { format }) {
    if (format === "esm") options.external = [...(options.external ?? []), ...esmOnlyDependencies];
  },
});
