/**
 * Starts `examples/demo/start.mjs` as a child process, exactly as `npm run demo` does, on a
 * free port and a temporary data folder, and waits for its printed instructions.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { SHELL_END, SHELL_START } from "../../examples/demo/instructions.js";
import { ROOT } from "./ensure-build.js";

export interface RunningDemo {
  child: ChildProcess;
  output: () => string;
  baseUrl: string;
  /** The printed shell block, between its start and end markers. */
  shell: string[];
  /** Sends SIGTERM and resolves to the exit code. */
  stop: () => Promise<number | null>;
}

export async function startDemo(options: {
  dataDir: string;
  cwd: string;
  args?: string[];
}): Promise<RunningDemo> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "examples", "demo", "start.mjs"), ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: {
        ...process.env,
        PORT: "0",
        HOST: "127.0.0.1",
        GATEHOUSE_DEMO_DATA: options.dataDir,
        // ensureBuild() has built dist for this test run; a second build would delete it
        // under the other test files.
        GATEHOUSE_DEMO_PREBUILT: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes(SHELL_END)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before it was ready:\n${out}`));
    });
  });

  const lines = out.split("\n");
  const shell = lines.slice(lines.indexOf(SHELL_START) + 1, lines.indexOf(SHELL_END));
  const baseUrl = /gatehouse demo: (http:\/\/\S+)/.exec(out)?.[1];
  if (baseUrl === undefined) throw new Error(`no URL in the demo's output:\n${out}`);
  return {
    child,
    output: () => out,
    baseUrl,
    shell,
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
