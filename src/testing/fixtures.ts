/**
 * Helpers the conformance suite is built from, exported so that a store's own tests can use
 * the same records and the same bounded waits.
 */
import { randomBytes } from "node:crypto";
import type { ApiKeyRecord, Milliseconds } from "../types.js";

/** A short random lower-case id, so that runs sharing one database never collide. */
export function randomId(bytes = 8): string {
  return randomBytes(bytes).toString("hex");
}

/**
 * A complete, valid record with every optional field filled. `hash` is an opaque string of
 * the shape a hasher produces; the suite never hands a plaintext secret to a store.
 */
export function sampleKeyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: randomId(),
    ownerId: `owner-${randomId(4)}`,
    ownerType: "user",
    name: "ci deploy",
    prefix: "gh",
    hash: `$argon2id$v=19$m=19456,t=2,p=1$${randomId(16)}$${randomId(32)}`,
    scopes: ["reports:read", "reports:write"],
    roles: ["admin"],
    enabled: true,
    disabledBy: "owner",
    disabledAt: new Date(Date.UTC(2026, 0, 5, 6, 7, 8, 9)),
    // Whole milliseconds: every store must keep at least millisecond precision.
    createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
    expiresAt: new Date(Date.UTC(2027, 5, 6, 7, 8, 9, 10)),
    lastUsedAt: new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 7)),
    metadata: { team: "infra", nested: { list: [1, "two", { three: true }], none: null } },
    rateLimit: { limit: 100, window: 60_000 },
    ...overrides,
  };
}

/**
 * Resolves once `check` returns true, polling every few milliseconds; rejects after
 * `timeout`. Cross-instance stores announce changes asynchronously, so delivery is awaited,
 * never assumed to be synchronous.
 */
export async function waitUntil(
  check: () => boolean,
  timeout: Milliseconds,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Every field of the record, checked by the compiler: a field added to ApiKeyRecord fails
// to compile here until it is listed, so the leak check below cannot fall behind the type.
const FIELDS = {
  id: true,
  ownerId: true,
  ownerType: true,
  name: true,
  prefix: true,
  environment: true,
  hash: true,
  scopes: true,
  roles: true,
  enabled: true,
  disabledBy: true,
  disabledAt: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  metadata: true,
  rateLimit: true,
  credits: true,
  replacedBy: true,
} as const satisfies Record<keyof ApiKeyRecord, true>;

/** The fields an {@link ApiKeyRecord} may carry; anything else returned by a store is a leak. */
export const RECORD_FIELDS: ReadonlySet<string> = new Set(Object.keys(FIELDS));
