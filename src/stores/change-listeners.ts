/**
 * The subscriber list shared by the stores that announce changes (PostgreSQL NOTIFY, Redis
 * pub/sub, the SQLite change log): parses a payload and hands it to every listener, and
 * tells every listener whether the feed is up, since a change made while it is down is
 * never replayed and only a listener that knows of the gap can stop trusting its cache.
 */
import type { KeyStoreChange } from "../types.js";

export type ChangeListener = (change: KeyStoreChange) => void;
/** See `KeyStore.subscribe`. */
export type FeedStatus = "up" | "down";
export type StatusListener = (status: FeedStatus) => void;

/** The wire form of a change: `{"type":"update"|"delete","id":"…"}` or `{"type":"reset"}`. */
export function encodeChange(change: KeyStoreChange): string {
  return change.type === "reset"
    ? JSON.stringify({ type: "reset" })
    : JSON.stringify({ type: change.type, id: change.id });
}

/** `null` for anything that is not a well-formed change; payloads are never trusted. */
export function decodeChange(payload: string | undefined): KeyStoreChange | null {
  if (!payload) return null;
  try {
    const value = JSON.parse(payload) as { type?: unknown; id?: unknown } | null;
    if (value === null || typeof value !== "object") return null;
    if ((value.type === "update" || value.type === "delete") && typeof value.id === "string") {
      return { type: value.type, id: value.id };
    }
    if (value.type === "reset") return { type: "reset", id: "" };
  } catch {
    /* not JSON: ignored like any other malformed payload */
  }
  return null;
}

interface Entry {
  change: ChangeListener;
  status: StatusListener | undefined;
}

/** A listener that throws must not keep the others from hearing of a revocation. */
function call<T>(listener: ((value: T) => void) | undefined, value: T): void {
  try {
    listener?.(value);
  } catch {
    /* ignored on purpose */
  }
}

export class ChangeListeners {
  readonly #listeners = new Set<Entry>();
  #status: FeedStatus | null = null;

  get size(): number {
    return this.#listeners.size;
  }

  /** The feed's last reported status; `null` before the first report. */
  get status(): FeedStatus | null {
    return this.#status;
  }

  /**
   * A listener added after the feed reported hears the current status at once, so that
   * every subscriber learns it before its `subscribe` settles, as the contract requires.
   */
  add(listener: ChangeListener, onStatus?: StatusListener): () => void {
    // A fresh entry, so that one function subscribed twice is two subscriptions.
    const entry: Entry = { change: listener, status: onStatus };
    this.#listeners.add(entry);
    if (this.#status !== null) call(onStatus, this.#status);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  clear(): void {
    this.#listeners.clear();
  }

  /** Reports a change of the feed's health; a repeat of the current status says nothing. */
  report(status: FeedStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const entry of [...this.#listeners]) call(entry.status, status);
  }

  deliver(payload: string | undefined): void {
    const change = decodeChange(payload);
    if (change) this.announce(change);
  }

  /** Hands a change that needs no parsing (read from the store itself) to every listener. */
  announce(change: KeyStoreChange): void {
    for (const entry of [...this.#listeners]) call(entry.change, change);
  }
}
