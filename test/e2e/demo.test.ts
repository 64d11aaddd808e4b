/**
 * `npm run demo` prints shell lines for every seed's flow; this runs each of them, as
 * printed, with bash and the real curl, and checks the answer its comment announces.
 */
import { spawnSync } from "node:child_process";
import { get } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteKeyStore } from "../../src/stores/sqlite.js";
import { CLI, ensureBuild } from "./ensure-build.js";
import { startDemo } from "./demo-process.js";
import type { RunningDemo } from "./demo-process.js";

type Expectation =
  | { kind: "status"; status: number }
  | { kind: "exit"; code: number }
  | { kind: "sets"; name: string };

interface Step {
  line: string;
  expect: Expectation;
}

/** Splits the printed block into setup lines (run as is) and steps that announce a result. */
function parse(shell: string[]): { script: string; steps: Step[] } {
  const steps: Step[] = [];
  const script: string[] = ["set -u"];
  let pending: Expectation | null = null;
  for (const line of shell) {
    if (line.startsWith("#")) {
      const status = /\(expect (\d{3})\)/.exec(line);
      const exit = /\(expect exit (\d+)\)/.exec(line);
      const sets = /\(sets ([A-Z_]+)\)/.exec(line);
      if (status) pending = { kind: "status", status: Number(status[1]) };
      else if (exit) pending = { kind: "exit", code: Number(exit[1]) };
      else if (sets) pending = { kind: "sets", name: sets[1]! };
      continue;
    }
    if (line.trim() === "") continue;
    if (pending === null) {
      // Every curl line must announce what it answers; only plain setup lines may not.
      expect(line, "a curl line without an expectation").not.toMatch(/\bcurl\b/);
      script.push(line);
      continue;
    }
    const n = steps.length;
    steps.push({ line, expect: pending });
    if (pending.kind === "status") {
      script.push(`code=$(${line} -o /dev/null -w '%{http_code}'); echo "@@${n} $code"`);
    } else if (pending.kind === "exit") {
      script.push(`${line} >/dev/null; echo "@@${n} $?"`);
    } else {
      script.push(line, `echo "@@${n} \${${pending.name}:-}"`);
    }
    pending = null;
  }
  return { script: script.join("\n"), steps };
}

/**
 * A GET on a connection of its own. The steps before it block the event loop (spawnSync), so
 * a pooled keep-alive connection that the demo closed meanwhile may not be known as closed
 * yet, and a request on it would fail for reasons that are not the demo's.
 */
function statusOnFreshConnection(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    }).on("error", reject);
  });
}

describe("npm run demo", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-demo-"));
  const dataDir = join(dir, "data");
  const dbPath = join(dataDir, "gatehouse.db");
  const dbUrl = `sqlite:${dbPath}`;
  let demo: RunningDemo;

  beforeAll(async () => {
    await ensureBuild();
    demo = await startDemo({ dataDir, cwd: dir });
  }, 240_000);
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the page, both logins and a shell block for every seed", () => {
    const out = demo.output();
    expect(out).toContain(`Key-management page  ${demo.baseUrl}/`);
    expect(out).toMatch(/demo {3}\S{16}/);
    expect(out).toMatch(/admin {2}\S{16}/);
    const block = demo.shell.join("\n");
    for (const seed of [
      "X-API-Key",
      "x-api-auth",
      "refresh_token",
      "client_credentials",
      "app_token",
      "Bearer $CLIENT_SECRET",
      "grant_type=password",
      "by-user",
      "/teams/keys",
      "/rotate",
      "METERED_KEY",
    ]) {
      expect(block).toContain(seed);
    }
  });

  it("serves the key-management page at /", async () => {
    const page = await fetch(`${demo.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="login-form"');
    const script = await fetch(`${demo.baseUrl}/page/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
  });

  it("answers every printed line as its comment says", () => {
    const { script, steps } = parse(demo.shell);
    expect(steps.length).toBeGreaterThanOrEqual(24);
    const run = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    const results = new Map<number, string>();
    for (const match of run.stdout.matchAll(/^@@(\d+) (.*)$/gm))
      results.set(Number(match[1]), match[2]!);
    for (const [n, step] of steps.entries()) {
      const got = results.get(n);
      const label = `step ${n}: ${step.line}`;
      if (step.expect.kind === "status") expect(Number(got), label).toBe(step.expect.status);
      else if (step.expect.kind === "exit") expect(Number(got), label).toBe(step.expect.code);
      else {
        expect(got, label).toBeTruthy();
        expect(got, label).not.toBe("undefined");
      }
    }
  });

  it("spends the metered key's credits: one printed request, one credit", async () => {
    const metered = /^METERED_KEY='(.+)'$/m.exec(demo.shell.join("\n"))?.[1];
    const store = sqliteKeyStore({ path: dbPath });
    try {
      const record = await store.get(metered!.split("_")[1]!);
      expect(record?.credits).toMatchObject({
        remaining: 99,
        refill: { amount: 100, interval: 86_400_000 },
      });
    } finally {
      await store.close();
    }
  });

  it("flushes last-used times and exits 0 on SIGTERM", async () => {
    // A key nobody has used yet, used once right before the signal: its last-used time is
    // still pending (written in batches a second later), so only the flush at exit can
    // store it. The printed key would not do: the curl lines used it long enough ago.
    const made = spawnSync(
      process.execPath,
      [CLI, "keys", "create", "--owner", "demo", "--name", "used at exit", "--json"],
      { env: { ...process.env, GATEHOUSE_STORE: dbUrl }, encoding: "utf8" },
    );
    expect(made.status).toBe(0);
    const { key } = JSON.parse(made.stdout) as { key: string };
    expect(await statusOnFreshConnection(`${demo.baseUrl}/api/me`, { "x-api-key": key })).toBe(200);

    expect(await demo.stop()).toBe(0);
    expect(demo.output()).toContain("stopped.");
    const store = sqliteKeyStore({ path: dbPath });
    try {
      const { items } = await store.listByOwner("demo");
      const usedAtExit = items.find((r) => r.name === "used at exit");
      expect(usedAtExit?.lastUsedAt).toBeInstanceOf(Date);
    } finally {
      await store.close();
    }
  });

  /** The demo user's key names in the demo's store. */
  async function demoKeyNames(): Promise<string[]> {
    const store = sqliteKeyStore({ path: dbPath });
    try {
      return (await store.listByOwner("demo")).items.map((r) => r.name);
    } finally {
      await store.close();
    }
  }

  it("keeps its data across runs, replaces the printed key, and --reset starts over", async () => {
    const made = spawnSync(
      process.execPath,
      [CLI, "keys", "create", "--owner", "demo", "--name", "kept"],
      {
        env: { ...process.env, GATEHOUSE_STORE: dbUrl },
        encoding: "utf8",
      },
    );
    expect(made.status).toBe(0);

    const again = await startDemo({ dataDir, cwd: dir });
    try {
      const names = await demoKeyNames();
      expect(names).toContain("kept");
      expect(names.filter((n) => n === "printed by npm run demo")).toHaveLength(1);
      expect(names.filter((n) => n === "metered: 100 requests a day")).toHaveLength(1);
      const key = /^KEY='(.+)'$/m.exec(again.shell.join("\n"))?.[1];
      const answer = await fetch(`${again.baseUrl}/api/reports`, {
        headers: { "x-api-key": key! },
      });
      expect(answer.status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }

    const reset = await startDemo({ dataDir, cwd: dir, args: ["--reset"] });
    try {
      expect((await demoKeyNames()).sort()).toEqual([
        "metered: 100 requests a day",
        "printed by npm run demo",
      ]);
    } finally {
      expect(await reset.stop()).toBe(0);
    }
  });
});
