/**
 * The observability recipe (examples/observability/observe.ts) as an `onEvent` of a real
 * auth: every event becomes one pino line at its level, audit lines are marked, and no line
 * holds a key or its secret. OpenTelemetry runs through its no-op API here (no SDK is
 * registered), which must not throw.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { observe } from "../../examples/observability/observe.js";
import { createAuth } from "../../src/create-auth.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import { parseApiKey } from "../../src/verify/api-key/key-format.js";
import { cheapArgon2 } from "./helpers.js";

describe("examples/observability observe()", () => {
  it("logs every event once, at its level, without a secret", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    const logger = pino({ level: "debug" }, sink);
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2() },
      onEvent: observe({ logger }),
    });
    let key = "";
    try {
      const created = await auth.keys.create({ ownerId: "alice", name: "ci" });
      key = created.key;
      const { record } = created;
      const request = (value: string) =>
        new Request("http://x/", { headers: { "x-api-key": value } });
      expect((await auth.authenticate(request(key))).ok).toBe(true);
      expect((await auth.authenticate(request("gatehouse_nope"))).ok).toBe(false);
      await auth.keys.update("alice", record.id, { enabled: false });
    } finally {
      await auth.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, "key created"],
      [20, "authenticated"],
      [30, "authentication failed"],
      [30, "key disabled"],
    ]);
    expect(lines[0]).toMatchObject({ audit: true, type: "key_changed", ownerId: "alice" });
    const text = JSON.stringify(lines);
    expect(text).not.toContain("gatehouse_nope");
    expect(text).not.toContain(key);
    expect(text).not.toContain(parseApiKey(key)!.secret);
  });

  it("never logs the key it reports on", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const auth = createAuth({
      apiKeys: { store: memoryKeyStore(), hasher: cheapArgon2() },
      onEvent: observe({ logger }),
    });
    const { key } = await auth.keys.create({ ownerId: "alice", name: "ci" });
    await auth.authenticate(new Request("http://x/", { headers: { "x-api-key": key } }));
    await auth.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.length).toBe(2);
    expect(lines.join("")).not.toContain(parseApiKey(key)!.secret);
  });
});
