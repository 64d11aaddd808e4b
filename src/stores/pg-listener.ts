/**
 * One PostgreSQL connection of its own that LISTENs on the store's channel: a `pg.Client`
 * outside the query pool, so that listening never takes a connection away from queries
 * (and a fleet needs pool size + 1 connections per instance, not pool size). When the
 * connection drops (server restart, `pg_terminate_backend`, network), it reconnects with a
 * capped backoff and LISTENs again. Changes made in the gap are not replayed, so the feed
 * reports `down` the moment the connection is lost and `up` only once the LISTEN is back:
 * subscribers stop trusting their caches in between.
 *
 * A connection that dies without a word (a network partition, a host that vanished) never
 * errors by itself, so a probe runs on it every few seconds, and a probe that fails or does
 * not answer in time counts as a drop. A connect that does not finish in that time counts
 * as a failed one too, so a hung server cannot keep the first report from coming.
 */
import type { Client } from "pg";
import { ChangeListeners } from "./change-listeners.js";

const MIN_BACKOFF = 100;
const MAX_BACKOFF = 5000;
const PROBE_INTERVAL = 5000;
const PROBE_TIMEOUT = 2000;

export interface PgListener {
  readonly listeners: ChangeListeners;
  /** Whether the LISTEN is in place right now. */
  readonly listening: boolean;
  /**
   * Connects and LISTENs if not done yet; resolves after the first attempt either way, with
   * the feed's status reported to the listeners by then.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Rejects with `message` unless `work` settles within `ms`; the timer never holds the process. */
function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** `newClient` makes a fresh, unconnected client for each attempt. */
export function createPgListener(
  newClient: () => Client,
  channel: string,
  onError: (error: Error) => void,
): PgListener {
  const listeners = new ChangeListeners();
  let client: Client | null = null;
  let listening = false;
  let stopped = false;
  let started: Promise<void> | null = null;
  let backoff = MIN_BACKOFF;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let probe: ReturnType<typeof setInterval> | null = null;

  function onNotification(message: { channel: string; payload?: string }): void {
    if (message.channel === channel) listeners.deliver(message.payload);
  }

  function stopProbe(): void {
    if (probe) clearInterval(probe);
    probe = null;
  }

  /** Ends a client without waiting on it: a dead server need not say goodbye. */
  function discard(current: Client): void {
    current.removeListener("notification", onNotification);
    current.end().catch(() => {});
  }

  function drop(current: Client, error: Error): void {
    if (client !== current) return;
    client = null;
    listening = false;
    stopProbe();
    discard(current);
    if (stopped) return;
    listeners.report("down");
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

  function startProbe(current: Client): void {
    stopProbe();
    let busy = false;
    probe = setInterval(() => {
      if (busy || client !== current) return;
      busy = true;
      // LISTEN again as the probe: a no-op on a live session, a repair if it ever lost the
      // registration, and pg_stat_activity keeps naming the connection for what it is.
      within(
        current.query(`LISTEN "${channel}"`),
        PROBE_TIMEOUT,
        `the LISTEN connection did not answer in ${PROBE_TIMEOUT} ms`,
      )
        .catch((error: unknown) => drop(current, error as Error))
        .finally(() => {
          busy = false;
        });
    }, PROBE_INTERVAL);
    probe.unref();
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const current = newClient();
    client = current;
    current.on("notification", onNotification);
    current.on("error", (error: Error) => drop(current, error));
    current.on("end", () => drop(current, new Error("the LISTEN connection ended")));
    try {
      await within(
        current.connect(),
        PROBE_TIMEOUT,
        `the LISTEN connection was not established in ${PROBE_TIMEOUT} ms`,
      );
      // The channel is a hex digest made by the store, never user text.
      await within(
        current.query(`LISTEN "${channel}"`),
        PROBE_TIMEOUT,
        `LISTEN did not answer in ${PROBE_TIMEOUT} ms`,
      );
    } catch (error) {
      drop(current, error as Error);
      return;
    }
    // Dropped (or stopped) while the LISTEN was on its way: that drop has been reported.
    if (client !== current) return;
    listening = true;
    backoff = MIN_BACKOFF;
    startProbe(current);
    listeners.report("up");
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
      stopProbe();
      const current = client;
      client = null;
      listening = false;
      // Ending the session ends its LISTEN; a server that does not answer is not waited for
      // longer than a probe would be.
      if (current) {
        current.removeListener("notification", onNotification);
        await within(current.end(), PROBE_TIMEOUT, "the LISTEN connection did not end").catch(
          () => {},
        );
      }
    },
  };
}
