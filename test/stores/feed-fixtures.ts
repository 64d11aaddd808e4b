/**
 * What the change-feed fault tests share: two instances on one store, a key cached on the
 * first along with a token minted from it, a poll that times how long the first one keeps
 * answering 200 after a revoke, and a Redis server that keeps its data across a SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { createAuth, createTokenEndpoint } from "../../src/index.js";
import type { ApiKeyOptions } from "../../src/verify/api-key/api-keys.js";
import type { AuthResult, KeyStore } from "../../src/types.js";
import { cheapArgon2 } from "../keys/helpers.js";
import { eventually } from "./redis-server.js";

const SECRET = "feed-revocation-test-secret-of-32-bytes!!";

export type Auth = ReturnType<typeof createAuth>;

/** An instance whose cache would keep a revoked key for 10 minutes without the feed. */
export function instance(store: KeyStore, apiKeys: Partial<ApiKeyOptions> = {}): Auth {
  return createAuth({
    jwt: { secret: SECRET, algorithms: ["HS256"], issuer: "iss", audience: "api" },
    apiKeys: {
      store,
      hasher: cheapArgon2(),
      failureThrottle: false,
      cache: { ttl: 600_000 },
      ...apiKeys,
    },
  });
}

export const byKey = (auth: Auth, key: string): Promise<AuthResult> =>
  auth.authenticate(new Request("http://x/", { headers: { "x-api-key": key } }));

export const byToken = (auth: Auth, token: string): Promise<AuthResult> =>
  auth.authenticate(new Request("http://x/", { headers: { authorization: `Bearer ${token}` } }));

/** An access token minted from `key` (it carries the key's id as `key_id`). */
export async function mint(auth: Auth, key: string): Promise<string> {
  const answer = await createTokenEndpoint(auth, { attempts: false }).handle({
    method: "POST",
    path: "/token",
    headers: new Headers(),
    body: { grant_type: "refresh_token", refresh_token: key },
  });
  if (answer?.status !== 200) throw new Error(`minting failed: ${JSON.stringify(answer?.body)}`);
  return (answer.body as { access_token: string }).access_token;
}

export interface Refusal {
  /** ms from `since` to the first answer that was not a 200. */
  after: number;
  /** 200s answered after `since` before that. */
  served: number;
  /** `unavailable` answers after `since` before that. */
  unavailable: number;
  /** The refusal's code. */
  code: string;
}

/**
 * Asks until the answer is a refusal other than `unavailable`, and says how long after
 * `since` (a `performance.now()`) that came. Throws once `timeout` ms have passed.
 */
export async function untilRefused(
  attempt: () => Promise<AuthResult>,
  since: number,
  timeout: number,
): Promise<Refusal> {
  let served = 0;
  let unavailable = 0;
  for (;;) {
    const result = await attempt();
    const at = performance.now();
    if (result.ok) served++;
    else if (result.error.code === "unavailable") unavailable++;
    else return { after: at - since, served, unavailable, code: result.error.code };
    if (at - since > timeout) {
      throw new Error(
        `not refused ${Math.round(at - since)} ms after the revoke (${served} answers were 200)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** "p50 x ms, max y ms over n" of a list of durations. */
export function summary(durations: number[]): string {
  const sorted = [...durations].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
  const max = sorted.at(-1) ?? NaN;
  return `p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${sorted.length}`;
}

export interface FeedLog {
  statuses: Array<{ status: "up" | "down"; at: number }>;
  heard: Set<string>;
  /** Whether the latest status is `status`. */
  is(status: "up" | "down"): boolean;
  /** The time of the first report of `status` after `since`, if any. */
  first(status: "up" | "down", since: number): number | undefined;
}

/** Listens on `store` beside the instance, to see what its feed reports and delivers. */
export async function watchFeed(store: KeyStore): Promise<FeedLog> {
  const log: FeedLog = {
    statuses: [],
    heard: new Set(),
    is: (status) => log.statuses.at(-1)?.status === status,
    first: (status, since) =>
      log.statuses.find((entry) => entry.status === status && entry.at >= since)?.at,
  };
  await store.subscribe!(
    (change) => log.heard.add(change.type === "reset" ? "*" : change.id),
    (status) => log.statuses.push({ status, at: performance.now() }),
  );
  return log;
}

/**
 * A redis-server of this test's own whose data survives a SIGKILL (append-only file synced
 * on every write), so that a restart brings the keys back as a real deployment would.
 */
export class DurableRedis {
  readonly dir = mkdtempSync(join(tmpdir(), "gatehouse-feed-"));
  #child: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        this.dir,
      ],
      { stdio: "ignore" },
    );
    this.#child = child;
    const probe = new Redis({ port: this.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on("error", () => {});
    try {
      await eventually(() => probe.ping(), 10_000, "the test redis-server to start");
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL: no goodbye to the clients, as when a server crashes. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await once(child, "exit");
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
