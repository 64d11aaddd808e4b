/**
 * Throwaway redis-server processes for fault tests, on a free port of their own so that the
 * shared server is never stopped, plus the bounded waits those tests need.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { Redis } from "ioredis";

/** Resolves once `attempt` resolves, retrying every 50 ms; rejects after `timeout`. */
export async function eventually<T>(attempt: () => Promise<T>, timeout: number, what: string) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/** A throwaway redis-server of this test's own, so the shared one is never disturbed. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on("error", () => {});
  await eventually(() => probe.ping(), 10_000, "the test redis-server to start");
  probe.disconnect();
  return child;
}

export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}
