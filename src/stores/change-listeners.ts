/**
 * The subscriber list shared by the stores that announce changes through a server
 * (PostgreSQL NOTIFY, Redis pub/sub): parses a payload and hands it to every listener.
 */
import type { KeyStoreChange } from "../types.js";

export type ChangeListener = (change: KeyStoreChange) => void;

/** The wire form of a change: `{"type":"update"|"delete","id":"…"}`. */
export function encodeChange(change: KeyStoreChange): string {
  return JSON.stringify({ type: change.type, id: change.id });
}

/** `null` for anything that is not a well-formed change; payloads are never trusted. */
export function decodeChange(payload: string | undefined): KeyStoreChange | null {
  if (!payload) return null;
  try {
    const value = JSON.parse(payload) as { type?: unknown; id?: unknown };
    if ((value.type === "update" || value.type === "delete") && typeof value.id === "string") {
      return { type: value.type, id: value.id };
    }
  } catch {
    /* not JSON: ignored like any other malformed payload */
  }
  return null;
}

export class ChangeListeners {
  readonly #listeners = new Set<ChangeListener>();

  get size(): number {
    return this.#listeners.size;
  }

  add(listener: ChangeListener): () => void {
    // A wrapper, so that one function subscribed twice is two subscriptions.
    const entry: ChangeListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  clear(): void {
    this.#listeners.clear();
  }

  deliver(payload: string | undefined): void {
    const change = decodeChange(payload);
    if (!change) return;
    for (const listener of this.#listeners) {
      // A listener that throws must not keep the others from hearing of a revocation.
      try {
        listener(change);
      } catch {
        /* ignored on purpose */
      }
    }
  }
}
