/**
 * Whether the real PostgreSQL / Redis servers answer. Outside CI a missing server skips its
 * tests with one line saying how to enable them; in CI (CI=true) it fails the file instead.
 */
import net from "node:net";

export const PG_URL =
  process.env.GATEHOUSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function answers(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || defaultPort) });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function available(name: string, url: string, port: number, start: string, say: boolean) {
  if (await answers(url, port)) return true;
  const message = `${name} at ${url} does not answer`;
  if (process.env.CI) throw new Error(`${message} (CI=true: these tests must run)`);
  if (say)
    console.warn(
      `[gatehouse] ${name} store tests skipped: ${message}; start it (${start}) to run them.`,
    );
  return false;
}

/**
 * `say`: print the skip line. Only the backend's own test file says it, so a run without
 * the server prints one line per server, not one per file.
 */
export const postgresUp = (say = false) =>
  available(
    "PostgreSQL",
    PG_URL,
    5432,
    "pg_ctlcluster <version> main start, or set GATEHOUSE_TEST_PG_URL",
    say,
  );

export const redisUp = (say = false) =>
  available(
    "Redis",
    REDIS_URL,
    6379,
    "redis-server --port 6379, or set GATEHOUSE_TEST_REDIS_URL",
    say,
  );
