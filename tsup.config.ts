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
  // Not a subpath: the `gatehouse` executable (package.json `bin`). Its hashbang is the first
  // line of main.ts, which esbuild keeps, so no banner has to apply to every entry.
  cli: "src/cli/main.ts",
};

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
  external: ["express", "koa", "hono", "better-sqlite3", "pg", "ioredis", "vitest"],
});
