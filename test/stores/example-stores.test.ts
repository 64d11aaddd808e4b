/**
 * The example stores of examples/stores (mysql2 and Kysely) against a real MariaDB, through
 * the same conformance suite our own stores pass. Each run makes its own tables in the
 * `test` database and drops them at the end. Outside CI a missing server skips the file with
 * one line; in CI (CI=true) it fails.
 */
import net from "node:net";
import { Kysely, MysqlDialect } from "kysely";
import { createPool as createCallbackPool } from "mysql2";
import { createPool, type Pool } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKyselyKeyTable, kyselyKeyStore } from "../../examples/stores/kysely.js";
import { createTableSql } from "../../examples/stores/key-rows.js";
import { createMysqlKeyTable, mysqlKeyStore } from "../../examples/stores/mysql.js";
import { idMatchingProblems } from "../../src/testing/conformance-ids.js";
import { keyStoreConformance, randomId, sampleKeyRecord } from "../../src/testing/index.js";

const URL_TEXT = process.env.GATEHOUSE_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test";
const config = (() => {
  const url = new URL(URL_TEXT);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    // UTC on the wire, as the example stores require.
    timezone: "Z",
    connectionLimit: 4,
  };
})();

function answers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: config.host, port: config.port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const up = await answers();
if (!up) {
  const message = `MariaDB at ${URL_TEXT} does not answer`;
  if (process.env.CI) throw new Error(`${message} (CI=true: these tests must run)`);
  console.warn(
    `[gatehouse] example store tests skipped: ${message}; start it (service mariadb start), ` +
      "or set GATEHOUSE_TEST_MYSQL_URL.",
  );
}

const run = randomId(4);
const tables = {
  mysql: `gh_mysql_${run}`,
  kysely: `gh_kysely_${run}`,
  // MariaDB's default collation, to show the id case catching it.
  folding: `gh_folding_${run}`,
};

let pool: Pool;
let db: Kysely<object>;

if (up) {
  beforeAll(async () => {
    pool = createPool(config);
    db = new Kysely<object>({ dialect: new MysqlDialect({ pool: createCallbackPool(config) }) });
    await createMysqlKeyTable(pool, tables.mysql);
    await createKyselyKeyTable(db, tables.kysely);
  });

  afterAll(async () => {
    for (const table of Object.values(tables)) await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
    await db.destroy();
  });

  keyStoreConformance(() => mysqlKeyStore(pool, { table: tables.mysql }), {
    name: "examples/stores/mysql.ts conformance",
  });
  keyStoreConformance(() => kyselyKeyStore(db, { table: tables.kysely }), {
    name: "examples/stores/kysely.ts conformance",
  });
}

describe.skipIf(!up)("the example stores on MariaDB", () => {
  it("a table with the server's default collation fails the exact-id case", async () => {
    const folding = createTableSql(tables.folding).replaceAll(
      "COLLATE utf8mb4_nopad_bin",
      "COLLATE utf8mb4_general_ci",
    );
    await pool.query(folding);
    const store = mysqlKeyStore(pool, { table: tables.folding });
    const problems = await idMatchingProblems(store, (record) => store.create!(record));
    const all = problems.join("\n");
    expect(all).toMatch(/get\("key[0-9a-f]+"\) found the key "Key/);
    expect(all).toMatch(/get\("cle-[0-9a-f]+"\) found the key "clé-/);
    expect(all).toMatch(/a key "key[0-9a-f]+" was refused beside "Key/);
    expect(all).toMatch(/listByOwner\("owner-[0-9a-f]+"\) listed keys of Owner-/);
  });

  it("plain utf8mb4_bin is not enough: it ignores trailing spaces", async () => {
    const table = `${tables.folding}_bin`;
    try {
      await pool.query(createTableSql(table).replaceAll("utf8mb4_nopad_bin", "utf8mb4_bin"));
      const store = mysqlKeyStore(pool, { table });
      const problems = await idMatchingProblems(store, (record) => store.create!(record));
      expect(problems).toEqual([
        expect.stringMatching(/^get\("Key[0-9a-f]+ "\) found the key/),
        expect.stringMatching(/^listByOwner\("Owner-[0-9a-f]+ "\) listed keys of Owner-/),
      ]);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    }
  });

  it("both stores read what the other wrote: one table definition, one mapping", async () => {
    const mysql = mysqlKeyStore(pool, { table: tables.mysql });
    const kysely = kyselyKeyStore(db, { table: tables.mysql });
    const record = sampleKeyRecord();
    await mysql.create!(record);
    expect(await kysely.get(record.id)).toEqual(await mysql.get(record.id));
    await kysely.update!(record.id, { name: "renamed by kysely" });
    expect((await mysql.get(record.id))?.name).toBe("renamed by kysely");
  });

  it("refuses a table name that is not a plain identifier", () => {
    expect(() => mysqlKeyStore(pool, { table: "keys; DROP TABLE x" })).toThrow(TypeError);
    expect(() => kyselyKeyStore(db, { table: "a.b" })).toThrow(TypeError);
  });
});
