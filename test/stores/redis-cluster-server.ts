/**
 * Redis Cluster for the cluster tests: the shared three-master cluster on 7101–7103 that
 * `.ci/run` starts, started here in a temporary directory when those ports do not answer
 * (and stopped again by whoever started it), and throwaway clusters on free ports for the
 * fault tests, so that freezing a node never disturbs the shared one.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import type { ClusterOptions } from "ioredis";
import { eventually, freePort } from "./redis-server.js";

const run = promisify(execFile);

/** The ports `.ci/run` gives the shared cluster (cluster bus on port + 10000). */
export const SHARED_CLUSTER_PORTS = [7101, 7102, 7103] as const;

export interface TestCluster {
  ports: number[];
  /** One ioredis `Cluster` client on these nodes; the caller quits it. */
  connect: (options?: ClusterOptions) => Cluster;
  /** The redis-server processes this handle started (empty for a cluster found running). */
  children: Map<number, ChildProcess>;
  /** Stops what this handle started and removes its directory; a no-op for a found cluster. */
  stop: () => Promise<void>;
}

async function clusterState(port: number): Promise<string | null> {
  const probe = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  probe.on("error", () => {});
  try {
    const info = (await probe.call("CLUSTER", "INFO")) as string;
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? null;
  } catch {
    return null;
  } finally {
    probe.disconnect();
  }
}

/** Resolves once every node says `cluster_state:ok`. */
async function waitUntilFormed(ports: number[], timeout: number) {
  await eventually(
    async () => {
      for (const port of ports) {
        const state = await clusterState(port);
        if (state !== "ok")
          throw new Error(`node ${port}: cluster_state ${state ?? "unreachable"}`);
      }
    },
    timeout,
    "the cluster to form",
  );
}

function handle(
  ports: number[],
  children: Map<number, ChildProcess>,
  stop: () => Promise<void>,
): TestCluster {
  return {
    ports,
    children,
    stop,
    connect: (options = {}) => {
      const cluster = new Cluster(
        ports.map((port) => ({ host: "127.0.0.1", port })),
        options,
      );
      cluster.on("error", () => {});
      return cluster;
    },
  };
}

/**
 * Starts `ports.length` masters (no replicas) in a new temporary directory and forms one
 * cluster of them. `busPorts` defaults to port + 10000, as Redis does.
 */
export async function startCluster(ports: number[], busPorts?: number[]): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cluster-"));
  const children = new Map<number, ChildProcess>();
  const stop = async () => {
    for (const child of children.values()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      // A node the test froze must be thawed, or SIGTERM waits behind SIGSTOP.
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ports.forEach((port, i) => {
      const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
      ];
      if (busPorts) args.push("--cluster-port", String(busPorts[i]));
      children.set(port, spawn("redis-server", args, { stdio: "ignore" }));
    });
    for (const port of ports) {
      const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
      probe.on("error", () => {});
      await eventually(() => probe.ping(), 10_000, `redis-server on ${port} to start`);
      probe.disconnect();
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    await waitUntilFormed(ports, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return handle(ports, children, stop);
}

/** Three distinct free ports for nodes and three for their cluster bus. */
export async function freeClusterPorts(): Promise<{ ports: number[]; bus: number[] }> {
  const found: number[] = [];
  // Ports asked for one after another may repeat once released; keep only distinct ones.
  while (found.length < 6) {
    const port = await freePort();
    if (!found.includes(port)) found.push(port);
  }
  return { ports: found.slice(0, 3), bus: found.slice(3) };
}

/** A throwaway three-master cluster on free ports (and free bus ports) of its own. */
export async function startThrowawayCluster(): Promise<TestCluster> {
  const { ports, bus } = await freeClusterPorts();
  return startCluster(ports, bus);
}

/**
 * The shared cluster on 7101–7103 when it answers (and is formed), or one started here on
 * those ports when nothing answers there.
 */
export async function sharedCluster(): Promise<TestCluster> {
  const ports = [...SHARED_CLUSTER_PORTS];
  const states = await Promise.all(ports.map(clusterState));
  if (states.every((state) => state === "ok")) {
    return handle(ports, new Map(), () => Promise.resolve());
  }
  if (states.some((state) => state !== null)) {
    // Running but not formed yet (another starter mid-way): wait for it rather than fight it.
    await waitUntilFormed(ports, 20_000);
    return handle(ports, new Map(), () => Promise.resolve());
  }
  return startCluster(ports);
}
