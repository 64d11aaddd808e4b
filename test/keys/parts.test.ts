/** Unit tests of the small parts the verifier is built from. */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { createFailureThrottle } from "../../src/verify/api-key/failure-throttle.js";
import {
  createHashGate,
  defaultHashConcurrency,
  hashConcurrencyFor,
  GateFullError,
} from "../../src/verify/api-key/hash-gate.js";
import { memoryRateLimiter } from "../../src/verify/api-key/rate-limiter.js";
import { createTouchWriter } from "../../src/verify/api-key/touch-writer.js";
import { VerifyCache } from "../../src/verify/api-key/verify-cache.js";
import { withTimeout, StoreTimeoutError } from "../../src/verify/api-key/with-timeout.js";
import type { KeyStore, TouchEntry } from "../../src/types.js";

function touchStore() {
  const batches: TouchEntry[][] = [];
  const store: KeyStore = {
    get: () => Promise.resolve(null),
    touch: (batch) => {
      batches.push(batch);
      return Promise.resolve();
    },
  };
  return { store, batches };
}

describe("touch writer", () => {
  it("writes at most one touch per key per interval, batched", async () => {
    const { store, batches } = touchStore();
    const writer = createTouchWriter(store, 60_000, () => undefined);
    expect(writer.note("a", 1000)).toBe(61_000);
    // Skipped notes name the same time: nothing about "a" can be written before it.
    for (let i = 1; i < 100; i++) expect(writer.note("a", 1000 + i)).toBe(61_000);
    writer.note("b", 1000);
    await writer.flush();
    expect(batches).toEqual([
      [
        { id: "a", lastUsedAt: new Date(1000) },
        { id: "b", lastUsedAt: new Date(1000) },
      ],
    ]);
    writer.note("a", 59_999);
    await writer.flush();
    expect(batches).toHaveLength(1);
    writer.note("a", 61_000);
    await writer.close();
    expect(batches[1]).toEqual([{ id: "a", lastUsedAt: new Date(61_000) }]);
  });

  it("does nothing for a store without touch, and reports a failing touch", async () => {
    const errors: unknown[] = [];
    const silent = createTouchWriter({ get: () => Promise.resolve(null) }, 1000, () => undefined);
    expect(silent.note("a", 0)).toBe(Infinity);
    await silent.close();
    const failing = createTouchWriter(
      { get: () => Promise.resolve(null), touch: () => Promise.reject(new Error("down")) },
      1000,
      (e) => errors.push(e),
    );
    failing.note("a", 0);
    await failing.close();
    expect(errors).toHaveLength(1);
  });
});

describe("hash gate", () => {
  it("runs at most max at once, queues up to queue, refuses the rest", async () => {
    const gate = createHashGate(2, 1);
    const releases: Array<() => void> = [];
    const work = () => new Promise<number>((resolve) => releases.push(() => resolve(1)));
    const running = [gate.run(work), gate.run(work), gate.run(work)];
    await expect(gate.run(work)).rejects.toBeInstanceOf(GateFullError);
    expect([gate.active, gate.queued]).toEqual([2, 1]);
    releases[0]!();
    await running[0];
    await expect.poll(() => releases.length).toBe(3);
    releases[1]!();
    releases[2]!();
    expect(await Promise.all(running)).toEqual([1, 1, 1]);
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });

  it("frees its slot when the work throws", async () => {
    const gate = createHashGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(await gate.run(() => Promise.resolve(2))).toBe(2);
  });
});

describe("default hash concurrency", () => {
  it("is the libuv pool size, falling back to 4, when the CPUs leave room for it", () => {
    expect(hashConcurrencyFor("8", 16)).toBe(8);
    expect(hashConcurrencyFor(undefined, 16)).toBe(4);
    expect(hashConcurrencyFor("nonsense", 16)).toBe(4);
    expect(hashConcurrencyFor("0", 16)).toBe(4);
    expect(hashConcurrencyFor("2.5", 16)).toBe(4);
  });

  it("leaves one CPU to the event loop, and never goes below 1", () => {
    expect(hashConcurrencyFor("8", 4)).toBe(3);
    expect(hashConcurrencyFor(undefined, 2)).toBe(1);
    expect(hashConcurrencyFor(undefined, 1)).toBe(1);
    expect(hashConcurrencyFor(undefined, 0)).toBe(1);
    expect(hashConcurrencyFor("16", Number.NaN)).toBe(1);
  });

  it("reads this process's pool size and CPUs", () => {
    const saved = process.env.UV_THREADPOOL_SIZE;
    try {
      // A pool far above the CPUs: only a bound by this process's CPUs keeps the answer small.
      process.env.UV_THREADPOOL_SIZE = "64";
      const cpus = availableParallelism();
      expect(defaultHashConcurrency()).toBe(cpus > 1 ? Math.min(64, cpus - 1) : 1);
      expect(defaultHashConcurrency()).toBeLessThan(64);
      // A pool of 1: only reading the variable keeps the answer at 1 on a machine of any size.
      process.env.UV_THREADPOOL_SIZE = "1";
      expect(defaultHashConcurrency()).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = saved;
    }
  });
});

describe("failure throttle", () => {
  it("blocks an id after max failures for the rest of the window", () => {
    const throttle = createFailureThrottle({ max: 2, window: 1000 });
    const failOnce = (now: number) => {
      throttle.start("a", now);
      throttle.finish("a", now, true);
    };
    failOnce(0);
    expect(throttle.blockedFor("a", 10)).toBe(0);
    failOnce(10);
    expect(throttle.blockedFor("a", 10)).toBe(990);
    expect(throttle.blockedFor("b", 10)).toBe(0);
    expect(throttle.blockedFor("a", 1000)).toBe(0);
  });

  it("counts running verifications, and forgets them when they succeed", () => {
    const throttle = createFailureThrottle({ max: 2, window: 1000 });
    throttle.start("a", 0);
    throttle.start("a", 0);
    expect(throttle.blockedFor("a", 0)).toBeGreaterThan(0);
    throttle.finish("a", 0, false);
    throttle.finish("a", 0, false);
    expect(throttle.blockedFor("a", 0)).toBe(0);
  });

  it("can be turned off, and refuses nonsense settings", () => {
    const off = createFailureThrottle(false);
    for (let i = 0; i < 100; i++) {
      off.start("a", 0);
      off.finish("a", 0, true);
    }
    expect(off.blockedFor("a", 0)).toBe(0);
    expect(() => createFailureThrottle({ max: 0 })).toThrow(/failureThrottle/);
  });
});

describe("memory rate limiter", () => {
  it("counts per key in fixed windows", () => {
    const limiter = memoryRateLimiter();
    const limit = { limit: 2, window: 1000 };
    expect(limiter.consume("a", limit, 0)).toEqual({ ok: true });
    expect(limiter.consume("a", limit, 100)).toEqual({ ok: true });
    expect(limiter.consume("a", limit, 400)).toEqual({ ok: false, retryAfter: 600 });
    expect(limiter.consume("b", limit, 400)).toEqual({ ok: true });
    expect(limiter.consume("a", limit, 1000)).toEqual({ ok: true });
  });

  it("does not count refused requests against the budget", () => {
    const limiter = memoryRateLimiter();
    const limit = { limit: 1, window: 1000 };
    expect(limiter.consume("a", limit, 0).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect(limiter.consume("a", limit, 10).ok).toBe(false);
    expect(limiter.consume("a", limit, 1000).ok).toBe(true);
  });

  it("sliding: weighs the previous window, so no double burst across a boundary", () => {
    const limiter = memoryRateLimiter({ algorithm: "sliding" });
    const fixed = memoryRateLimiter();
    const limit = { limit: 10, window: 1000 };
    for (let i = 0; i < 10; i++) {
      expect(limiter.consume("a", limit, 900).ok).toBe(true);
      expect(fixed.consume("a", limit, 900).ok).toBe(true);
    }
    // Just after the boundary the fixed window allows a full new burst; sliding allows ~1.
    expect(fixed.consume("a", limit, 1000).ok).toBe(true);
    expect(limiter.consume("a", limit, 1000)).toEqual({ ok: false, retryAfter: 100 });
    // Half way through, half of the previous window has slid out.
    let allowed = 0;
    while (limiter.consume("a", limit, 1500).ok) allowed++;
    expect(allowed).toBe(5);
    // Two windows later nothing of the burst remains.
    for (let i = 0; i < 10; i++) expect(limiter.consume("a", limit, 3000).ok).toBe(true);
  });
});

describe("verify cache", () => {
  const principal = {
    id: "u",
    type: "apiKey" as const,
    via: "apiKey" as const,
    scopes: [],
    roles: [],
  };
  const result = { ok: true as const, principal };
  /** A good entry for `keyId`: no expiry, no rate limit. */
  const good = (keyId: string) => ({
    keyId,
    principal,
    result,
    expiresAt: null,
    use: null,
    touchDue: -Infinity,
  });

  it("keys entries by a keyed digest, never by the key itself", () => {
    const cache = new VerifyCache();
    const digest = cache.digest("gh_secret");
    expect(digest).not.toContain("secret");
    expect(digest).toBe(cache.digest("gh_secret"));
    expect(new VerifyCache().digest("gh_secret")).not.toBe(digest);
  });

  it("drops every entry of a key id on invalidate, good and bad", () => {
    const cache = new VerifyCache();
    cache.setGood("d1", good("k"), cache.epoch());
    cache.setBad("d2", { keyId: "k", code: "invalid_api_key" }, cache.epoch());
    cache.setGood("d3", good("other"), cache.epoch());
    cache.invalidate("k");
    expect(cache.getGood("d1")).toBeUndefined();
    expect(cache.getBad("d2")).toBeUndefined();
    expect(cache.getGood("d3")).toBeDefined();
  });

  it("refuses to cache an answer that began before the key changed", () => {
    const cache = new VerifyCache();
    const began = cache.epoch();
    cache.invalidate("k");
    cache.setGood("d", good("k"), began);
    expect(cache.getGood("d")).toBeUndefined();
    cache.setGood("d", good("k"), cache.epoch());
    expect(cache.getGood("d")).toBeDefined();
  });

  it("keeps a re-set entry indexed, so a later invalidate still drops it", () => {
    const cache = new VerifyCache();
    const entry = good("k");
    cache.setGood("d", entry, cache.epoch());
    cache.setGood("d", entry, cache.epoch());
    cache.invalidate("k");
    expect(cache.getGood("d")).toBeUndefined();
  });

  it("trusts a verified entry for its ttl on the verifier's clock, and not once that clock is stepped back", () => {
    let t = 1_000_000;
    const cache = new VerifyCache({ ttl: 30_000 }, () => t);
    cache.setGood("d", good("k"), cache.epoch());
    expect(cache.getGood("d", t + 29_999)).toBeDefined();
    expect(cache.getGood("d")).toBeDefined();
    // A clock that reads before the entry was stored was stepped back: not trusted.
    expect(cache.getGood("d", t - 1)).toBeUndefined();
    expect(cache.getGood("d", t)).toBeUndefined();
    cache.setGood("d", good("k"), cache.epoch(), 5_000);
    expect(cache.getGood("d", t + 4_999)).toBeDefined();
    expect(cache.getGood("d", t + 5_000)).toBeUndefined();
    // Dropped, not only hidden: the clock moving back does not bring it back.
    expect(cache.getGood("d", t)).toBeUndefined();
    t += 10_000;
    cache.setGood("d", good("k"), cache.epoch());
    expect(cache.getGood("d", t + 30_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("stays bounded", () => {
    const cache = new VerifyCache({ max: 10, negativeMax: 10 });
    for (let i = 0; i < 1000; i++) {
      cache.setGood(`g${i}`, good(`k${i}`), 0);
      cache.setBad(`b${i}`, { keyId: `k${i}`, code: "invalid_api_key" }, 0);
    }
    expect(cache.size).toBe(20);
  });
});

describe("withTimeout", () => {
  it("rejects a promise that does not settle in time", async () => {
    await expect(withTimeout(new Promise(() => undefined), 20)).rejects.toBeInstanceOf(
      StoreTimeoutError,
    );
    expect(await withTimeout(Promise.resolve(3), 20)).toBe(3);
  });
});
