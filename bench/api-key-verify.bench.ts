/**
 * API-key verification: a cache hit against a miss (one memory-store read plus one hash
 * verify), at the shipped defaults (argon2id, OWASP parameters) and with the HMAC hasher.
 * Run: npx vitest bench --run bench/api-key-verify.bench.ts
 */
import { bench, describe } from "vitest";
import { hmacSha256Hasher } from "../src/crypto/hmac-hasher.js";
import { createApiKeys } from "../src/verify/api-key/api-keys.js";
import type { ApiKeyOptions } from "../src/verify/api-key/api-keys.js";
import { memoryKeyStore } from "../src/stores/memory.js";

async function prepared(options: Partial<ApiKeyOptions> = {}) {
  // The throttle would refuse nothing here, but the benchmark should measure the path alone.
  const keys = createApiKeys(
    { store: memoryKeyStore(), failureThrottle: false, ...options },
    { onEvent: () => undefined },
  );
  const { key, record } = await keys.manager.create({ ownerId: "alice", name: "bench" });
  const first = await keys.verify(key);
  if (!first.ok) throw new Error("benchmark key does not verify");
  return { keys, key, id: record.id };
}

const argon2 = await prepared();
const hmac = await prepared({ hasher: hmacSha256Hasher({ pepper: "p".repeat(32) }) });

async function mustPass(promise: ReturnType<typeof argon2.keys.verify>): Promise<void> {
  if (!(await promise).ok) throw new Error("verify failed during the benchmark");
}

describe("api key verify", () => {
  bench("cache hit", async () => {
    await mustPass(argon2.keys.verify(argon2.key));
  });

  bench("miss: memory store + argon2id (OWASP m=19456,t=2,p=1)", async () => {
    argon2.keys.invalidate(argon2.id);
    await mustPass(argon2.keys.verify(argon2.key));
  });

  bench("miss: memory store + HMAC-SHA256", async () => {
    hmac.keys.invalidate(hmac.id);
    await mustPass(hmac.keys.verify(hmac.key));
  });

  bench("refused by the checksum (typo)", async () => {
    const result = await argon2.keys.verify(argon2.key.slice(0, -1) + "0");
    if (result.ok) throw new Error("a typo verified");
  });
});
