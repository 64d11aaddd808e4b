/**
 * One dedicated PostgreSQL connection that LISTENs on the store's channel. When the
 * connection drops (server restart, `pg_terminate_backend`, network), it reconnects with a
 * capped backoff and LISTENs again; changes made in the gap are not replayed, so until
 * then the verifier's cache TTL bounds how long a revoked key may still pass.
 */
import type { Pool, PoolClient } from "pg";
import { ChangeListeners } from "./change-listeners.js";

const MIN_BACKOFF = 100;
const MAX_BACKOFF = 5000;

export interface PgListener {
  readonly listeners: ChangeListeners;
  /** Whether the LISTEN is in place right now. */
  readonly listening: boolean;
  /** Connects and LISTENs if not done yet; resolves after the first attempt either way. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createPgListener(
  pool: Pool,
  channel: string,
  onError: (error: Error) => void,
): PgListener {
  const listeners = new ChangeListeners();
  let client: PoolClient | null = null;
  let listening = false;
  let stopped = false;
  let started: Promise<void> | null = null;
  let backoff = MIN_BACKOFF;
  let retry: ReturnType<typeof setTimeout> | null = null;

  function onNotification(message: { channel: string; payload?: string }): void {
    if (message.channel === channel) listeners.deliver(message.payload);
  }

  function drop(current: PoolClient, error: Error): void {
    if (client !== current) return;
    client = null;
    listening = false;
    current.removeListener("notification", onNotification);
    // `true`: the pool must destroy this connection, not hand it to someone else.
    current.release(true);
    if (stopped) return;
    onError(error);
    schedule();
  }

  function schedule(): void {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, backoff);
    // A pending reconnect must not keep the process alive on its own.
    retry.unref();
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
  }

  async function connect(): Promise<void> {
    let current: PoolClient;
    try {
      current = await pool.connect();
    } catch (error) {
      onError(error as Error);
      schedule();
      return;
    }
    if (stopped) {
      current.release();
      return;
    }
    client = current;
    current.on("notification", onNotification);
    current.on("error", (error: Error) => drop(current, error));
    current.on("end", () => drop(current, new Error("the LISTEN connection ended")));
    try {
      // The channel is a hex digest made by the store, never user text.
      await current.query(`LISTEN "${channel}"`);
      listening = true;
      backoff = MIN_BACKOFF;
    } catch (error) {
      drop(current, error as Error);
    }
  }

  return {
    listeners,
    get listening() {
      return listening;
    },
    start() {
      started ??= connect();
      return started;
    },
    async stop() {
      stopped = true;
      listeners.clear();
      if (retry) clearTimeout(retry);
      retry = null;
      const current = client;
      client = null;
      listening = false;
      if (current) {
        current.removeListener("notification", onNotification);
        try {
          await current.query(`UNLISTEN "${channel}"`);
          current.release();
        } catch (error) {
          current.release(error as Error);
        }
      }
    },
  };
}
