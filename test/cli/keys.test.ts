/**
 * `gatehouse keys …` end to end against each shipped store: the built CLI in a child
 * process, and the library verifying the keys it issued.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyStore } from "../../src/types.js";
import { ensureBuild } from "../e2e/ensure-build.js";
import { PG_URL, REDIS_URL, postgresUp, redisUp } from "../stores/servers.js";
import { authenticates as libraryAccepts, gatehouse, isOneLine } from "./run-cli.js";

const KEY_SHAPE = /^gatehouse_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/;

interface StoreCase {
  name: string;
  up: () => Promise<boolean>;
  url: () => string;
  open: () => Promise<KeyStore>;
  cleanup: () => Promise<void>;
}

const tag = randomBytes(4).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
const schema = `gh_cli_${tag}`;
const redisPrefix = `gh-cli-${tag}:`;

function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

const cases: StoreCase[] = [
  {
    name: "sqlite",
    up: () => Promise.resolve(true),
    url: () => `sqlite:${join(dir, "keys.db")}`,
    open: async () =>
      (await import("../../src/stores/sqlite.js")).sqliteKeyStore({ path: join(dir, "keys.db") }),
    cleanup: () => Promise.resolve(),
  },
  {
    name: "postgres",
    up: postgresUp,
    url: () => withParam(PG_URL, "schema", schema),
    open: async () =>
      (await import("../../src/stores/postgres.js")).postgresKeyStore({
        connectionString: PG_URL,
        schema,
      }),
    cleanup: async () => {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  },
  {
    name: "redis",
    up: redisUp,
    url: () => withParam(REDIS_URL, "prefix", redisPrefix),
    open: async () =>
      (await import("../../src/stores/redis.js")).redisKeyStore({
        url: REDIS_URL,
        prefix: redisPrefix,
      }),
    cleanup: async () => {
      const { Redis } = await import("ioredis");
      const client = new Redis(REDIS_URL);
      const keys = await client.keys(`${redisPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    },
  },
];

beforeAll(ensureBuild, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(cases)("gatehouse keys against $name", (store) => {
  let up = false;
  let env: Record<string, string>;

  beforeAll(async () => {
    up = await store.up();
    env = { GATEHOUSE_STORE: store.url() };
  });
  afterAll(async () => {
    if (up) await store.cleanup();
  });

  /** Asks the library, through the same store, whether `key` authenticates. */
  async function authenticates(key: string): Promise<boolean> {
    return libraryAccepts(await store.open(), key);
  }

  it("creates, lists, shows, disables, enables, rotates and revokes a key", async (t) => {
    if (!up) t.skip();
    const owner = `alice-${tag}`;

    const created = await gatehouse(
      [
        "keys",
        "create",
        "--owner",
        owner,
        "--name",
        "ci",
        "--scopes",
        "reports:read,keys:write",
        "--expires",
        "30d",
      ],
      { env },
    );
    expect(created.code).toBe(0);
    // stdout is the key alone, so `KEY=$(gatehouse keys create …)` works; notes go to stderr.
    const key = created.stdout.trim();
    expect(key).toMatch(KEY_SHAPE);
    expect(created.stderr).toMatch(/cannot be shown again/);
    expect(await authenticates(key)).toBe(true);

    const listed = await gatehouse(["keys", "list", "--owner", owner, "--json"], { env });
    expect(listed.code).toBe(0);
    const records = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record).toMatchObject({
      ownerId: owner,
      name: "ci",
      scopes: ["reports:read", "keys:write"],
      status: "active",
    });
    expect(record).not.toHaveProperty("hash");
    expect(key).toContain(`_${String(record.id)}_`);
    const id = String(record.id);

    const shown = await gatehouse(["keys", "get", id], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/name:\s+ci/);
    expect(shown.stdout).not.toContain(key);

    expect((await gatehouse(["keys", "disable", id], { env })).code).toBe(0);
    expect(
      JSON.parse((await gatehouse(["keys", "get", id, "--json"], { env })).stdout),
    ).toMatchObject({ enabled: false });
    expect(await authenticates(key)).toBe(false);
    expect((await gatehouse(["keys", "enable", id], { env })).code).toBe(0);
    expect(await authenticates(key)).toBe(true);

    const rotated = await gatehouse(["keys", "rotate", id, "--overlap", "1h", "--json"], { env });
    expect(rotated.code).toBe(0);
    const replacement = JSON.parse(rotated.stdout) as {
      key: string;
      record: { id: string };
      replaced: string;
    };
    expect(replacement.key).toMatch(KEY_SHAPE);
    expect(replacement.replaced).toBe(id);
    // During the overlap both keys work; the new one carries the same settings.
    expect(await authenticates(replacement.key)).toBe(true);
    expect(await authenticates(key)).toBe(true);
    const both = JSON.parse(
      (await gatehouse(["keys", "list", "--owner", owner, "--json"], { env })).stdout,
    ) as Array<{
      scopes: string[];
    }>;
    expect(both).toHaveLength(2);
    expect(both.map((r) => r.scopes)).toEqual([
      ["reports:read", "keys:write"],
      ["reports:read", "keys:write"],
    ]);

    const revoked = await gatehouse(["keys", "revoke", id], { env });
    expect(revoked.code).toBe(0);
    expect(await authenticates(key)).toBe(false);
    const gone = await gatehouse(["keys", "get", id], { env });
    expect(gone.code).toBe(2);
    expect(isOneLine(gone.stderr)).toBe(true);
    expect((await gatehouse(["keys", "revoke", id], { env })).code).toBe(2);
    expect(await authenticates(replacement.key)).toBe(true);
  });

  it("rotates without overlap by disabling the old key at once", async (t) => {
    if (!up) t.skip();
    const owner = `bob-${tag}`;
    const key = (
      await gatehouse(
        ["keys", "create", "--owner", owner, "--name", "job", "--owner-type", "service"],
        { env },
      )
    ).stdout.trim();
    const id = key.split("_")[1]!;
    const rotated = await gatehouse(["keys", "rotate", id], { env });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout.trim()).toMatch(KEY_SHAPE);
    expect(await authenticates(key)).toBe(false);
    expect(await authenticates(rotated.stdout.trim())).toBe(true);
  });
  it("reports the old key's real end when the overlap outlasts its expiry", async (t) => {
    if (!up) t.skip();
    const owner = `carol-${tag}`;
    const key = (
      await gatehouse(["keys", "create", "--owner", owner, "--name", "soon", "--expires", "1h"], {
        env,
      })
    ).stdout.trim();
    const id = key.split("_")[1]!;
    const before = JSON.parse((await gatehouse(["keys", "get", id, "--json"], { env })).stdout) as {
      expiresAt: string;
    };
    const rotated = await gatehouse(["keys", "rotate", id, "--overlap", "1d"], { env });
    expect(rotated.code).toBe(0);
    // Rotation never pushes an earlier expiry later: the message says the old key's own end.
    expect(rotated.stderr).toContain(`keeps working until ${before.expiresAt}`);
  });
});
