/**
 * A key verifier built from its real parts, with a hasher the test holds, for the fairness
 * and throttling tests; and an HTTP client that sends from a chosen loopback address, so
 * that a server sees requests from distinct clients.
 */
import { createReporter } from "../../src/decide/report.js";
import { request } from "node:http";
import { createApiKeys } from "../../src/verify/api-key/api-keys.js";
import { createFailureThrottle } from "../../src/verify/api-key/failure-throttle.js";
import type { FailureThrottleOptions } from "../../src/verify/api-key/failure-throttle.js";
import { createHashGate } from "../../src/verify/api-key/hash-gate.js";
import { formatApiKey, parseApiKey } from "../../src/verify/api-key/key-format.js";
import { createKeyVerifier } from "../../src/verify/api-key/key-verifier.js";
import type { KeyVerifier } from "../../src/verify/api-key/key-verifier.js";
import { memoryRateLimiter } from "../../src/verify/api-key/rate-limiter.js";
import { createKeyUsage } from "../../src/verify/api-key/key-usage.js";
import { createTouchWriter } from "../../src/verify/api-key/touch-writer.js";
import { VerifyCache } from "../../src/verify/api-key/verify-cache.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { AuthResult, OwnerType, SecretHasher } from "../../src/types.js";

/** A cheap hasher whose verifications wait until {@link HeldHasher.open} is called. */
export interface HeldHasher extends SecretHasher {
  /** Verifications started (past the gate). */
  verifies: number;
  open(): void;
}

export function heldHasher(open = false): HeldHasher {
  let release: () => void = () => undefined;
  const latch = open ? Promise.resolve() : new Promise<void>((r) => (release = r));
  const hasher: HeldHasher = {
    id: "held",
    verifies: 0,
    hash: (secret) => Promise.resolve(`h:${secret}`),
    async verify(hash, secret) {
      hasher.verifies++;
      await latch;
      return hash === `h:${secret}`;
    },
    open: () => release(),
  };
  return hasher;
}

export interface VerifierSetup {
  verifier: KeyVerifier;
  hasher: HeldHasher;
  /** `verifier.verify` as a promise. */
  verify: (raw: string, client?: string) => Promise<AuthResult>;
  /** Creates a key in the verifier's store; resolves to the whole key and its id. */
  create: (ownerId: string, ownerType?: OwnerType) => Promise<{ key: string; id: string }>;
  close: () => Promise<void>;
}

export function verifierSetup(
  options: {
    hashConcurrency?: { max: number; queue: number };
    failureThrottle?: FailureThrottleOptions;
    hasher?: HeldHasher;
  } = {},
): VerifierSetup {
  const store = memoryKeyStore();
  const hasher = options.hasher ?? heldHasher(true);
  const now = () => Date.UTC(2026, 0, 1);
  // Only for its key manager: the verifier under test is built below from the same parts.
  const keys = createApiKeys({ store, hasher, now }, {});
  const { max, queue } = options.hashConcurrency ?? { max: 4, queue: 64 };
  const touch = createTouchWriter(store, 60_000, () => undefined);
  const verifier = createKeyVerifier({
    store,
    hasher,
    parse: (raw) => parseApiKey(raw),
    cache: new VerifyCache({ ttl: 30_000 }),
    cacheTtl: 30_000,
    gate: createHashGate(max, queue),
    throttle: createFailureThrottle(options.failureThrottle ?? {}),
    usage: createKeyUsage({ rateLimiter: memoryRateLimiter(), store, storeTimeout: 60_000, now }),
    touch,
    storeTimeout: 60_000,
    failClosed: false,
    rehash: false,
    report: createReporter(undefined),
    now,
  });
  return {
    verifier,
    hasher,
    verify: (raw, client) => Promise.resolve(verifier.verify(raw, client)),
    create: async (ownerId, ownerType = "user") => {
      const made = await keys.manager.create({ ownerId, ownerType, name: "k" });
      return { key: made.key, id: made.record.id };
    },
    close: async () => {
      await touch.close();
      await keys.close();
    },
  };
}

/** The key with its id and checksum intact and a wrong secret; `n` makes each one distinct. */
export function wrongSecret(key: string, n: number): string {
  const parts = parseApiKey(key)!;
  return formatApiKey({ ...parts, secret: `${n}`.padStart(parts.secret.length, "z") });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to `url` from the loopback address `from` (127.0.0.2, 127.0.0.3…). */
export function send(
  url: string,
  from: string,
  init: { method?: string; path: string; headers?: Record<string, string>; form?: string },
): Promise<Reply> {
  const target = new URL(init.path, url);
  const headers: Record<string, string> = { ...init.headers };
  if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    headers["content-length"] = String(Buffer.byteLength(init.form));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: init.method ?? (init.form === undefined ? "GET" : "POST"),
        headers,
        localAddress: from,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(init.form);
  });
}
