/**
 * The subscribe contract's health half, on a store whose feed the test switches by hand:
 * while the feed is down or has not said it is up, a cached key is read again on every use
 * (one store read, no hash verification) and a key revoked behind the feed's back is
 * refused; `up` drops what was cached before; a store that never reports keeps the TTL-only
 * behaviour; a reset drops everything.
 */
import { describe, expect, it, vi } from "vitest";
import { createApiKeys, type ApiKeyOptions } from "../../src/verify/api-key/api-keys.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, KeyStore, KeyStoreChange } from "../../src/types.js";
import { cheapArgon2, countingHasher } from "../keys/helpers.js";

type Status = "up" | "down";

/**
 * A memory store with a feed the test controls: `report` sends a status, `deaf` drops
 * announcements (as a lost connection would), `failing` makes reads reject.
 */
function switchableStore(initial: Status | null = "down") {
  const inner = memoryKeyStore();
  const control = {
    reads: 0,
    deaf: false,
    failing: false,
    report: (_status: Status) => {},
    announce: (_change: KeyStoreChange) => {},
  };
  const store: KeyStore = {
    ...inner,
    get(id) {
      control.reads++;
      return control.failing ? Promise.reject(new Error("store down")) : inner.get(id);
    },
    subscribe(onChange, onStatus) {
      control.announce = onChange;
      control.report = (status) => onStatus?.(status);
      const off = inner.subscribe((change) => {
        if (!control.deaf) onChange(change);
      });
      if (initial !== null) onStatus?.(initial);
      return off;
    },
  };
  return { store, inner, control };
}

function keysOn(store: KeyStore, options: Partial<ApiKeyOptions> = {}) {
  const hasher = countingHasher(cheapArgon2());
  const keys = createApiKeys(
    { store, hasher, failureThrottle: false, cache: { ttl: 600_000 }, ...options },
    {},
  );
  return { keys, hasher };
}

const codeOf = (result: AuthResult) => (result.ok ? "ok" : result.error.code);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("a store that reports its feed", () => {
  it("until the feed is up, every hit reads the store once and verifies no hash", async () => {
    const { store, control } = switchableStore("down");
    const { keys, hasher } = keysOn(store);
    try {
      const { key } = await keys.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      const [reads, verifies] = [control.reads, hasher.verifies];
      for (let i = 0; i < 3; i++) expect(codeOf(await keys.verify(key))).toBe("ok");
      expect(control.reads - reads).toBe(3);
      expect(hasher.verifies).toBe(verifies);

      control.report("up");
      // Up distrusts what was cached before: one more read, then answers from memory.
      const readsDown = control.reads;
      expect(codeOf(await keys.verify(key))).toBe("ok");
      expect(control.reads).toBe(readsDown + 1);
      expect(hasher.verifies).toBe(verifies);
      const readsUp = control.reads;
      const hit = keys.check(key);
      expect(hit instanceof Promise).toBe(false);
      expect(codeOf(hit as AuthResult)).toBe("ok");
      expect(control.reads).toBe(readsUp);
    } finally {
      await keys.close();
    }
  });

  it("a key revoked while the feed is down is refused at its next use", async () => {
    const { store, control } = switchableStore("up");
    const writer = keysOn(store).keys;
    const { keys } = keysOn(store);
    try {
      await settle();
      const { key, record } = await writer.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      expect(keys.check(key) instanceof Promise).toBe(false);

      control.report("down");
      control.deaf = true;
      await writer.manager.update("alice", record.id, { enabled: false });
      expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    } finally {
      await writer.close();
      await keys.close();
    }
  });

  it("a change that went unheard before the feed came back is not served after it", async () => {
    const { store, control } = switchableStore("up");
    const writer = keysOn(store).keys;
    const { keys } = keysOn(store);
    try {
      await settle();
      const { key, record } = await writer.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      control.deaf = true;
      control.report("down");
      await writer.manager.update("alice", record.id, { enabled: false });
      control.deaf = false;
      control.report("up");
      expect(codeOf(await keys.verify(key))).toBe("key_disabled");
    } finally {
      await writer.close();
      await keys.close();
    }
  });

  it("while the feed is up, an unannounced change waits for the TTL (the feed is trusted)", async () => {
    const { store, control } = switchableStore("up");
    const writer = keysOn(store).keys;
    const { keys } = keysOn(store);
    try {
      await settle();
      const { key, record } = await writer.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      control.deaf = true;
      await writer.manager.update("alice", record.id, { enabled: false });
      expect(codeOf(await keys.verify(key))).toBe("ok");
    } finally {
      await writer.close();
      await keys.close();
    }
  });

  it("after a reset, every cached key is read again once before it answers", async () => {
    const { store, inner, control } = switchableStore("up");
    const { keys, hasher } = keysOn(store);
    try {
      await settle();
      const kept = await keys.manager.create({ ownerId: "alice", name: "kept" });
      const gone = await keys.manager.create({ ownerId: "alice", name: "gone" });
      expect(codeOf(await keys.verify(kept.key))).toBe("ok");
      expect(codeOf(await keys.verify(gone.key))).toBe("ok");
      const verifies = hasher.verifies;
      // Removed behind the feed's back, then announced as "anything may have changed".
      control.deaf = true;
      await inner.delete(gone.record.id);
      control.announce({ type: "reset", id: "" });
      expect(keys.check(kept.key) instanceof Promise).toBe(true);
      expect(codeOf(await keys.verify(kept.key))).toBe("ok");
      expect(keys.check(kept.key) instanceof Promise).toBe(false);
      expect(codeOf(await keys.verify(gone.key))).toBe("invalid_api_key");
      // Confirmed by a store read each: no second hash verification.
      expect(hasher.verifies).toBe(verifies);
    } finally {
      await keys.close();
    }
  });

  it("feed down and store failing: fail-closed answers unavailable, serve-cached serves", async () => {
    for (const whenStoreDown of ["fail-closed", "serve-cached"] as const) {
      const { store, control } = switchableStore("up");
      const { keys } = keysOn(store, { whenStoreDown });
      try {
        await settle();
        const { key } = await keys.manager.create({ ownerId: "alice", name: "k" });
        expect(codeOf(await keys.verify(key))).toBe("ok");
        control.report("down");
        control.failing = true;
        const expected = whenStoreDown === "fail-closed" ? "unavailable" : "ok";
        expect(codeOf(await keys.verify(key))).toBe(expected);
        expect(codeOf(await keys.verify(key))).toBe(expected);
        control.failing = false;
        await vi.waitFor(async () => expect(codeOf(await keys.verify(key))).toBe("ok"));
      } finally {
        await keys.close();
      }
    }
  });
});

describe("stores that do not report a feed", () => {
  it("a store that never reports is trusted once subscribe settles (memory)", async () => {
    const { store, control } = switchableStore(null);
    const { keys } = keysOn(store);
    try {
      await settle();
      const { key } = await keys.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      const reads = control.reads;
      expect(keys.check(key) instanceof Promise).toBe(false);
      expect(control.reads).toBe(reads);
    } finally {
      await keys.close();
    }
  });

  it("a store without subscribe keeps the TTL-only behaviour", async () => {
    const { subscribe: _none, ...store } = memoryKeyStore();
    const { keys } = keysOn(store);
    try {
      const { key } = await keys.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      expect(keys.check(key) instanceof Promise).toBe(false);
    } finally {
      await keys.close();
    }
  });

  it("a subscribe that rejects is warned about, and cached keys are read every time", async () => {
    const inner = memoryKeyStore();
    let reads = 0;
    const store: KeyStore = {
      ...inner,
      get(id) {
        reads++;
        return inner.get(id);
      },
      subscribe: () => Promise.reject(new Error("no feed today")),
    };
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    const { keys } = keysOn(store);
    try {
      const { key } = await keys.manager.create({ ownerId: "alice", name: "k" });
      expect(codeOf(await keys.verify(key))).toBe("ok");
      const before = reads;
      expect(codeOf(await keys.verify(key))).toBe("ok");
      expect(reads).toBe(before + 1);
      await vi.waitFor(() => expect(warnings.join()).toContain("no feed today"));
    } finally {
      process.off("warning", onWarning);
      await keys.close();
    }
  });
});
