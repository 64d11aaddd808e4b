/**
 * SQLite across processes: another process's writes to the same file reach this process's
 * subscribers through the change log within the poll interval, and a process that holds the
 * write lock costs this one a short wait and a 503, never a 500 nor a stalled event loop
 * for seconds. The other process is a real child process with its own better-sqlite3.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import express from "express";
import { afterAll, describe, expect, it } from "vitest";
import * as ex from "../../adapters/express.js";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { sampleKeyRecord, waitUntil } from "../../src/testing/index.js";
import type { KeyStoreChange } from "../../src/types.js";
import { byKey, byToken, instance, mint, untilRefused } from "./feed-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-sqlite-procs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `keys-${files++}.db`);

/** The documented bound: one poll interval (200 ms), with room for a loaded machine. */
const BOUND = 1000;

/** Runs `script` in a child Node process with the file as argv[1]; says when it printed `line`. */
function child(
  script: string,
  args: string[],
): { proc: ChildProcess; said: (line: string) => Promise<number> } {
  const proc = spawn(process.execPath, ["-e", script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const waiters: Array<{ line: string; resolve: (at: number) => void }> = [];
  proc.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const at = performance.now();
    for (const w of [...waiters]) {
      if (out.split("\n").includes(w.line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
    }
  });
  return {
    proc,
    said: (line) =>
      new Promise((resolve, reject) => {
        waiters.push({ line, resolve });
        proc.once("exit", (code) => reject(new Error(`child exited (${code}) before "${line}"`)));
      }),
  };
}

const REVOKE = `const D = require("better-sqlite3"); const db = new D(process.argv[1]);
  db.pragma("busy_timeout = 5000");
  db.prepare(process.argv[2]).run(process.argv[3]);
  db.close(); console.log("done");`;

// Takes the write lock and keeps it until told on stdin.
const HOLD = `const D = require("better-sqlite3"); const db = new D(process.argv[1]);
  db.pragma("busy_timeout = 5000"); db.exec("BEGIN IMMEDIATE"); console.log("locked");
  process.stdin.once("data", () => { db.exec("COMMIT"); db.close(); console.log("released"); process.exit(0); });`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("sqliteKeyStore across processes", () => {
  it("a revoke by another process is refused here within the bound, key and token alike", async () => {
    const path = freshFile();
    const store = sqliteKeyStore({ path });
    const auth = instance(store);
    try {
      const {
        key,
        record: { id },
      } = await auth.keys.create({ ownerId: "alice", name: "ci" });
      expect((await byKey(auth, key)).ok).toBe(true);
      const token = await mint(auth, key);
      expect((await byToken(auth, token)).ok).toBe(true);

      const { said } = child(REVOKE, [
        path,
        "UPDATE gatehouse_api_keys SET enabled = 0 WHERE id = ?",
        id,
      ]);
      const since = await said("done");
      const refusedKey = await untilRefused(() => byKey(auth, key), since, BOUND);
      const refusedToken = await untilRefused(() => byToken(auth, token), since, BOUND);
      console.log(
        `[sqlite processes] refused ${refusedKey.after.toFixed(1)} ms (key), ${refusedToken.after.toFixed(1)} ms (token) after the other process committed`,
      );
      expect(refusedKey.code).toBe("key_disabled");
      expect(refusedToken.code).not.toBe("unavailable");
    } finally {
      await auth.close();
    }
  });

  it("hears a delete and an id renamed by hand in another process", async () => {
    const path = freshFile();
    const store = sqliteKeyStore({ path });
    try {
      const deleted = sampleKeyRecord();
      const renamed = sampleKeyRecord();
      await store.create(deleted);
      await store.create(renamed);
      const heard: KeyStoreChange[] = [];
      await store.subscribe((change) => heard.push(change));
      await child(REVOKE, [path, "DELETE FROM gatehouse_api_keys WHERE id = ?", deleted.id]).said(
        "done",
      );
      await child(REVOKE, [
        path,
        "UPDATE gatehouse_api_keys SET id = 'moved' WHERE id = ?",
        renamed.id,
      ]).said("done");
      await waitUntil(() => heard.length >= 3, BOUND, "three announcements");
      expect(heard).toEqual([
        { type: "delete", id: deleted.id },
        { type: "delete", id: renamed.id },
        { type: "update", id: "moved" },
      ]);
    } finally {
      await store.close();
    }
  });

  it("does not announce last-used writes, and announces a bulk delete as one reset", async () => {
    const path = freshFile();
    const writer = sqliteKeyStore({ path });
    const reader = sqliteKeyStore({ path });
    try {
      const records = Array.from({ length: 1001 }, () => sampleKeyRecord());
      for (const r of records) await writer.create(r);
      expect(await reader.get(records[1000]!.id)).not.toBeNull();
      const heard: KeyStoreChange[] = [];
      await reader.subscribe((change) => heard.push(change));
      await writer.touch(records.map((r) => ({ id: r.id, lastUsedAt: new Date() })));
      await writer.update(records[0]!.id, { name: "marker" });
      await waitUntil(() => heard.length > 0, BOUND, "the marker");
      expect(heard).toEqual([{ type: "update", id: records[0]!.id }]);
      writer.database.exec("DELETE FROM gatehouse_api_keys");
      await waitUntil(() => heard.length > 1, BOUND, "the reset");
      expect(heard.slice(1)).toEqual([{ type: "reset", id: "" }]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("announces a reset when entries it had not read yet were pruned", async () => {
    const path = freshFile();
    const writer = sqliteKeyStore({ path });
    const reader = sqliteKeyStore({ path, pollInterval: 50 });
    try {
      const record = sampleKeyRecord();
      await writer.create(record);
      const heard: KeyStoreChange[] = [];
      await reader.subscribe((change) => heard.push(change));
      // Written and pruned within one poll interval, as if the reader had been asleep.
      writer.database.transaction(() => {
        writer.database
          .prepare("UPDATE gatehouse_api_keys SET enabled = 0 WHERE id = ?")
          .run(record.id);
        writer.database.exec("DELETE FROM gatehouse_api_keys_changes");
      })();
      await waitUntil(() => heard.length > 0, BOUND, "the reset");
      expect(heard).toEqual([{ type: "reset", id: "" }]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("reports the feed up before subscribe returns, and stops polling after unsubscribe", async () => {
    const path = freshFile();
    const store = sqliteKeyStore({ path });
    const other = sqliteKeyStore({ path });
    try {
      const statuses: string[] = [];
      const heard: KeyStoreChange[] = [];
      const off = await store.subscribe(
        (change) => heard.push(change),
        (status) => statuses.push(status),
      );
      expect(statuses).toEqual(["up"]);
      off();
      const record = sampleKeyRecord();
      await other.create(record);
      await other.update(record.id, { enabled: false });
      const again: KeyStoreChange[] = [];
      const offAgain = await store.subscribe((change) => again.push(change));
      await other.update(record.id, { name: "after" });
      await waitUntil(() => again.length > 0, BOUND, "the later change");
      // Changes count from the new subscription, not from where the old one stopped.
      expect(again).toEqual([{ type: "update", id: record.id }]);
      expect(heard).toEqual([]);
      offAgain();
    } finally {
      await store.close();
      await other.close();
    }
  });

  it("while another process holds the write lock: reads answer, writes 503 after a short wait, last-used writes are dropped", async () => {
    const path = freshFile();
    const store = sqliteKeyStore({ path });
    const auth = instance(store, { touchInterval: 1 });
    const app = express();
    app.get("/me", ex.authenticate(auth), (req, res) => {
      res.json({ id: ex.getCurrentUser(req)?.id });
    });
    app.use("/keys", ex.authenticate(auth), ex.keyRoutes(auth));
    const server = createServer(app);
    const url = await listen(server);
    const warnings: Array<{ code?: string }> = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w);
    process.on("warning", onWarning);
    const holder = child(HOLD, [path]);
    try {
      const {
        key,
        record: { id },
      } = await auth.keys.create({
        ownerId: "alice",
        name: "admin",
        scopes: ["keys:write"],
      });
      const fresh = await auth.keys.create({ ownerId: "bob", name: "later" });
      await holder.said("locked");

      // WAL readers do not wait for writers: an uncached key verifies during the lock.
      const read = await fetch(`${url}/me`, { headers: { "x-api-key": fresh.key } });
      expect(read.status).toBe(200);

      // A write waits busyTimeout (100 ms), then answers as a store failure.
      let stalled = 0;
      let last = performance.now();
      const watch = setInterval(() => {
        const now = performance.now();
        stalled = Math.max(stalled, now - last);
        last = now;
      }, 5);
      const patched = await fetch(`${url}/keys/${id}`, {
        method: "PATCH",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({ name: "renamed" }),
      });
      clearInterval(watch);
      expect(patched.status).toBe(503);
      expect(patched.headers.get("retry-after")).not.toBeNull();
      console.log(
        `[sqlite lock] longest event-loop stall during the 503: ${stalled.toFixed(0)} ms`,
      );

      // The last-used writes of those uses meet the lock: dropped, one warning.
      await expect(store.touch([{ id, lastUsedAt: new Date() }])).resolves.toBeUndefined();
      await expect(store.touch([{ id, lastUsedAt: new Date() }])).resolves.toBeUndefined();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.code === "GATEHOUSE_SQLITE_BUSY")).toHaveLength(1);
      expect(warnings.filter((w) => w.code === "GATEHOUSE_TOUCH_FAILED")).toHaveLength(0);

      holder.proc.stdin!.write("go\n");
      await holder.said("released");
      const after = await fetch(`${url}/keys/${id}`, {
        method: "PATCH",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({ name: "renamed" }),
      });
      expect(after.status).toBe(200);
    } finally {
      process.off("warning", onWarning);
      if (holder.proc.exitCode === null) holder.proc.kill();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await auth.close();
    }
  });
});
