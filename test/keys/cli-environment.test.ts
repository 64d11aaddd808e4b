/**
 * The CLI's share of test and live keys and the default prefix: `--environment` (or
 * GATEHOUSE_KEY_ENVIRONMENT) issues keys of that environment into a real SQLite store, and
 * the default prefix is the library's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import type { CliIo } from "../../src/cli/io.js";
import { resolveStore, withSession } from "../../src/cli/session.js";
import { formatRecord } from "../../src/cli/output.js";
import { DEFAULT_KEY_PREFIX, parseApiKey } from "../../src/verify/api-key/key-format.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-env-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const io = (env: Record<string, string> = {}): CliIo => ({
  out: () => undefined,
  err: () => undefined,
  env: { GATEHOUSE_STORE: `sqlite:${join(dir, "keys.db")}`, ...env },
});

describe("CLI environments", () => {
  it("defaults to the library's prefix and no environment", () => {
    expect(resolveStore({}, io())).toMatchObject({
      prefix: DEFAULT_KEY_PREFIX,
      environment: undefined,
    });
    expect(resolveStore({}, io({ GATEHOUSE_KEY_ENVIRONMENT: "live" })).environment).toBe("live");
    expect(
      resolveStore({ environment: "test" }, io({ GATEHOUSE_KEY_ENVIRONMENT: "live" })).environment,
    ).toBe("test");
  });

  it("refuses an environment other than test or live as a usage error", () => {
    expect(() => resolveStore({ environment: "prod" }, io())).toThrow(CliError);
    expect(() => resolveStore({ environment: "prod" }, io())).toThrow(/--environment 'prod'/);
  });

  it("issues keys of the environment it is given, and shows it", async () => {
    const created = await withSession({ environment: "test" }, io(), ({ keys }) =>
      keys.create({ ownerId: "alice", name: "ci" }),
    );
    expect(created.key.startsWith(`${DEFAULT_KEY_PREFIX}_test_`)).toBe(true);
    expect(parseApiKey(created.key)?.environment).toBe("test");
    expect(formatRecord(created.record)).toMatch(/^environment:\s+test$/m);
    const bare = await withSession({}, io(), ({ keys }) =>
      keys.create({ ownerId: "alice", name: "b" }),
    );
    expect(parseApiKey(bare.key)?.environment).toBeNull();
    expect(formatRecord(bare.record)).toMatch(/^environment:\s+-$/m);
  });
});
