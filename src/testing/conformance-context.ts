/**
 * What the sections of the conformance suite share: a fresh store per test, a way to seed
 * it, and how records are compared.
 */
import type { ApiKeyRecord, KeyStore, Milliseconds } from "../types.js";

export interface SuiteContext {
  /** A fresh store from the user's factory, closed after the test. */
  open: () => Promise<KeyStore>;
  /** A fresh store and a way to insert into it; skips the test when there is none. */
  setup: (
    skip: (note?: string) => void,
  ) => Promise<{ store: KeyStore; put: (record: ApiKeyRecord) => Promise<void> }>;
  /** How long a subscriber may take to hear of a change. */
  changeTimeout: Milliseconds;
}

/** Optional fields read back as absent or `null` alike; compare them as `null`. */
export function normalize(record: ApiKeyRecord | null): Record<string, unknown> | null {
  if (!record) return null;
  return {
    ...record,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    metadata: record.metadata ?? null,
    rateLimit: record.rateLimit ?? null,
    disabledBy: record.disabledBy ?? null,
    disabledAt: record.disabledAt ?? null,
    environment: record.environment ?? null,
    credits: record.credits ?? null,
    replacedBy: record.replacedBy ?? null,
  };
}
