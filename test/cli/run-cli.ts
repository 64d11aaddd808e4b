/** Runs the built `gatehouse` executable as a child process, as a user's shell would. */
import { spawn } from "node:child_process";
import { createAuth } from "../../src/create-auth.js";
import type { KeyStore, SecretHasher } from "../../src/types.js";
import { CLI } from "../e2e/ensure-build.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function gatehouse(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      // A clean environment: GATEHOUSE_STORE from the developer's shell must not leak in.
      env: { PATH: process.env.PATH ?? "", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every failure must be exactly one line on stderr, never a stack trace. */
export function isOneLine(stderr: string): boolean {
  const lines = stderr.trimEnd().split("\n");
  return lines.length === 1 && lines[0]!.startsWith("gatehouse: ") && !/\n\s+at /.test(stderr);
}

/** Whether the library, reading `store` (which it closes), accepts `key` as an API key. */
export async function authenticates(
  store: KeyStore,
  key: string,
  hasher?: SecretHasher,
): Promise<boolean> {
  const auth = createAuth({ apiKeys: { store, ...(hasher ? { hasher } : {}) } });
  try {
    const request = new Request("http://x/", { headers: { "x-api-key": key } });
    return (await auth.authenticate(request)).ok;
  } finally {
    await auth.close();
  }
}
