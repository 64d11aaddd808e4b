/** `?table=` on the store URL: the CLI writes where a server with a custom table reads. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresKeyStore } from "../../src/stores/postgres.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { ensureBuild } from "../e2e/ensure-build.js";
import { PG_URL, postgresUp } from "../stores/servers.js";
import { authenticates, gatehouse } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-table-"));
const schema = `gh_cli_table_${randomBytes(4).toString("hex")}`;

beforeAll(ensureBuild, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function issue(store: string): Promise<string> {
  const result = await gatehouse(["keys", "create", "--owner", "o", "--name", "t"], {
    env: { GATEHOUSE_STORE: store },
  });
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

describe("a custom table", () => {
  it("sqlite:<path>?table=", async () => {
    const path = join(dir, "app.db");
    const key = await issue(`sqlite:${path}?table=app_keys`);
    expect(await authenticates(sqliteKeyStore({ path, table: "app_keys" }), key)).toBe(true);
    expect(await authenticates(sqliteKeyStore({ path }), key)).toBe(false);
  });

  it("postgres://…?schema=&table=", async (t) => {
    if (!(await postgresUp())) t.skip();
    const url = new URL(PG_URL);
    url.searchParams.set("schema", schema);
    url.searchParams.set("table", "app_keys");
    try {
      const key = await issue(url.toString());
      const store = postgresKeyStore({ connectionString: PG_URL, schema, table: "app_keys" });
      expect(await authenticates(store, key)).toBe(true);
    } finally {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
