/**
 * Wraps a key store so that every failure of the backing service becomes exit code 3 with
 * one line, and a service that never answers (ioredis queues commands while it reconnects,
 * forever by default) fails after a bounded wait instead of hanging the terminal.
 *
 * `subscribe` is left out on purpose: a command lives for one request, so it needs no
 * cross-instance invalidation, and leaving it out spares a LISTEN / SUBSCRIBE connection.
 * Writes still announce themselves to running servers.
 */
import { withTimeout } from "../verify/api-key/with-timeout.js";
import type { KeyStore, Milliseconds } from "../types.js";
import { oneLine, storeUnavailable } from "./errors.js";

export const DEFAULT_STORE_TIMEOUT: Milliseconds = 5000;

export function guardStore(store: KeyStore, label: string, timeout: Milliseconds): KeyStore {
  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(work(), timeout);
    } catch (error) {
      throw storeUnavailable(`store unavailable (${label}): ${oneLine(error)}`, error);
    }
  }
  // Each optional capability is copied only when the store has it, so the key manager
  // still sees exactly which methods exist.
  return {
    get: (id) => guard(() => store.get(id)),
    ...(store.create && { create: (record) => guard(() => store.create!(record)) }),
    ...(store.update && { update: (id, patch) => guard(() => store.update!(id, patch)) }),
    ...(store.delete && { delete: (id) => guard(() => store.delete!(id)) }),
    ...(store.listByOwner && {
      listByOwner: (ownerId, page) => guard(() => store.listByOwner!(ownerId, page)),
    }),
    ...(store.touch && { touch: (batch) => guard(() => store.touch!(batch)) }),
    ...(store.close && { close: () => store.close!() }),
  };
}

/** Asks the store for an id that cannot exist: proves it answers before any write. */
export async function probeStore(store: KeyStore): Promise<void> {
  await store.get("gatehouse-cli-probe");
}

/** Closes without letting a hung driver keep the process alive. */
export async function closeQuietly(
  owner: { close?: () => Promise<void> },
  timeout: Milliseconds,
): Promise<void> {
  if (owner.close === undefined) return;
  try {
    await withTimeout(owner.close(), timeout);
  } catch {
    /* the command's outcome is already decided; a failed close changes nothing for the user */
  }
}
