/**
 * A revoke through this instance's own manager leaves no request that was in flight able to
 * answer 200 once the revoke has resolved: not a fresh verification whose store read came
 * back stale, not a cached key waiting on its rate limiter, not a token whose key's standing
 * was being read. The store here returns each record a while after reading it, so that a
 * read made before the write reaches its caller after the write.
 */
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { memoryKeyStore, memoryRateLimiter } from "../../src/index.js";
import type { RateLimiter } from "../../src/verify/api-key/rate-limiter.js";
import type { ApiKeyPatch, AuthResult, KeyStore } from "../../src/types.js";
import { byKey, byToken, instance, mint, type Auth } from "./feed-fixtures.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A store whose `get` answers `delay` ms after it read (the record may be stale by then),
 * and whose `update` waits as long before it writes, so that requests made between the
 * manager's first invalidation and the write read the old record.
 */
function slowStore(delay: number): KeyStore & { slow: boolean } {
  const inner = memoryKeyStore();
  const store = {
    ...inner,
    slow: false,
    async get(id: string) {
      const record = await inner.get(id);
      if (store.slow) await sleep(delay);
      return record;
    },
    async update(id: string, patch: ApiKeyPatch) {
      if (store.slow) await sleep(delay);
      return inner.update(id, patch);
    },
  };
  return store;
}

interface Answer {
  started: number;
  ended: number;
  ok: boolean;
}

/**
 * Starts `ask` every `every` ms from now until `revoke` has resolved and `tail` ms more,
 * starting `revoke` after `lead` ms; resolves once every answer is in.
 */
async function around(
  ask: () => Promise<AuthResult>,
  revoke: () => Promise<unknown>,
  { every, lead, tail }: { every: number; lead: number; tail: number },
): Promise<{ answers: Answer[]; revokedAt: number }> {
  const answers: Promise<Answer>[] = [];
  let revokedAt = Infinity;
  const revoking = sleep(lead)
    .then(revoke)
    .then(() => {
      revokedAt = performance.now();
    });
  while (performance.now() < revokedAt + tail) {
    const started = performance.now();
    answers.push(ask().then((result) => ({ started, ended: performance.now(), ok: result.ok })));
    await sleep(every);
  }
  await revoking;
  return { answers: await Promise.all(answers), revokedAt };
}

function check({ answers, revokedAt }: { answers: Answer[]; revokedAt: number }) {
  const late = answers.filter((a) => a.ok && a.ended > revokedAt);
  const straddling = answers.filter((a) => a.started < revokedAt && a.ended > revokedAt);
  const maxLate = Math.max(0, ...late.map((a) => a.ended - revokedAt));
  // The case under test happened: requests were in flight when the revoke resolved.
  expect(straddling.length).toBeGreaterThan(0);
  expect(answers.some((a) => a.ok && a.ended < revokedAt)).toBe(true);
  expect({ late: late.length, maxLate }).toEqual({ late: 0, maxLate: 0 });
}

const revokeOf = (auth: Auth, id: string) => () =>
  auth.keys.update("alice", id, { enabled: false });

describe("requests in flight during a local revoke", () => {
  it("a fresh verification whose read came back stale does not answer 200", async () => {
    for (let run = 0; run < 5; run++) {
      const store = slowStore(30);
      const auth = instance(store);
      try {
        const { key, record } = await auth.keys.create({ ownerId: "alice", name: "in flight" });
        expect((await byKey(auth, key)).ok).toBe(true);
        store.slow = true;
        // Every request after the revoke began is a miss whose read may predate the write.
        check(
          await around(() => byKey(auth, key), revokeOf(auth, record.id), {
            every: 3,
            lead: 20 + run * 7,
            tail: 80,
          }),
        );
      } finally {
        await auth.close();
      }
    }
  });

  it("a cached key waiting on its rate limiter does not answer 200", async () => {
    const inner = memoryRateLimiter();
    const slowLimiter: RateLimiter = {
      async consume(keyId, limit, now) {
        const decision = inner.consume(keyId, limit, now);
        await sleep(25);
        return decision;
      },
    };
    const auth = instance(memoryKeyStore(), { rateLimiter: slowLimiter });
    try {
      const { key, record } = await auth.keys.create({
        ownerId: "alice",
        name: "limited",
        rateLimit: { limit: 100_000, window: 60_000 },
      });
      expect((await byKey(auth, key)).ok).toBe(true);
      check(
        await around(() => byKey(auth, key), revokeOf(auth, record.id), {
          every: 2,
          lead: 40,
          tail: 60,
        }),
      );
    } finally {
      await auth.close();
    }
  });

  it("a token whose key's standing was being read does not answer 200", async () => {
    for (let run = 0; run < 5; run++) {
      const store = slowStore(30);
      const auth = instance(store);
      try {
        const { key, record } = await auth.keys.create({ ownerId: "alice", name: "token" });
        const token = await mint(auth, key);
        expect((await byToken(auth, token)).ok).toBe(true);
        store.slow = true;
        check(
          await around(() => byToken(auth, token), revokeOf(auth, record.id), {
            every: 3,
            lead: 20 + run * 7,
            tail: 80,
          }),
        );
      } finally {
        await auth.close();
      }
    }
  });
});
