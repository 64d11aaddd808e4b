/** The store-free commands, help, usage errors and exit codes of the built CLI. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify } from "jose";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild } from "../e2e/ensure-build.js";
import { gatehouse, isOneLine } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-cmd-"));

beforeAll(ensureBuild, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gatehouse secret", () => {
  it("prints a fresh 256-bit base64url secret", async () => {
    const [a, b] = await Promise.all([gatehouse(["secret"]), gatehouse(["secret"])]);
    expect(a.code).toBe(0);
    const secret = a.stdout.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
    expect(b.stdout.trim()).not.toBe(secret);
  });

  it("answers JSON with --json", async () => {
    const { stdout } = await gatehouse(["secret", "--json"]);
    expect(JSON.parse(stdout)).toMatchObject({ alg: "HS256", bits: 256, encoding: "base64url" });
  });
});

describe("gatehouse jwk", () => {
  it.each(["ES256", "EdDSA", "RS256"])(
    "makes an %s pair whose JWKS verifies what the private JWK signs",
    async (alg) => {
      const result = await gatehouse(["jwk", "--alg", alg, "--json"]);
      expect(result.code).toBe(0);
      const { privateJwk, jwks } = JSON.parse(result.stdout) as {
        privateJwk: JWK;
        jwks: { keys: JWK[] };
      };
      expect(privateJwk).toMatchObject({ alg, use: "sig" });
      expect(privateJwk.d).toBeTypeOf("string");
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]!.d).toBeUndefined();
      expect(jwks.keys[0]!.kid).toBe(privateJwk.kid);

      const token = await new SignJWT({ sub: "alice" })
        .setProtectedHeader({ alg, kid: privateJwk.kid! })
        .sign(await importJWK(privateJwk, alg));
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [alg] });
      expect(payload.sub).toBe("alice");
    },
  );

  it("prints both halves, labelled, without --json", async () => {
    const { stdout } = await gatehouse(["jwk", "--alg", "ES256", "--kid", "2026-11"]);
    expect(stdout).toContain("# Private JWK");
    expect(stdout).toContain("# Public JWKS");
    expect(stdout).toContain('"kid":"2026-11"');
  });

  it("refuses an algorithm it does not offer", async () => {
    const result = await gatehouse(["jwk", "--alg", "HS256"]);
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toContain("ES256, EdDSA, RS256");
  });
});

describe("help", () => {
  it.each([
    [["--help"], /gatehouse keys <command>/],
    [["keys", "--help"], /revoke <id>/],
    [["keys", "create", "--help"], /--owner <id>/],
    [["keys", "list", "--help"], /--owner <id>/],
    [["keys", "get", "--help"], /keys get <id>/],
    [["keys", "disable", "--help"], /enable <id>/],
    [["keys", "enable", "--help"], /keys enable <id>/],
    [["keys", "rotate", "--help"], /--overlap/],
    [["keys", "revoke", "--help"], /cannot be restored/],
    [["secret", "--help"], /256-bit/],
    [["jwk", "--help"], /ES256\|EdDSA\|RS256/],
  ])("gatehouse %j prints its usage and exits 0", async (args, text) => {
    const result = await gatehouse(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(text);
  });

  it("prints the usage on stderr and exits 1 without a command", async () => {
    const result = await gatehouse([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Usage:/);
  });
});

describe("usage errors and exit codes", () => {
  const db = join(dir, "never.db");
  const env = { GATEHOUSE_STORE: `sqlite:${db}` };

  it.each([
    [["nope"], /unknown command 'nope'/],
    [["keys", "nope"], /unknown command 'keys nope'/],
    [["keys", "create", "--name", "x"], /--owner is required/],
    [["keys", "create", "--owner", "a"], /--name is required/],
    [["keys", "create", "--owner", "a", "--name", "x", "--owner-type", "robot"], /--owner-type/],
    [["keys", "create", "--owner", "a", "--name", "x", "--expires", "2001-01-01"], /future/],
    [["keys", "create", "--owner", "a", "--name", "x", "--expires", "soon"], /--expires/],
    [["keys", "create", "--owner", "a", "--name", "x", "--bogus"], /Unknown option '--bogus'/],
    [["keys", "rotate", "abc", "--overlap", "forever"], /--overlap/],
    [["keys", "get"], /missing <id>/],
    [["keys", "get", "a", "b"], /unexpected argument 'b'/],
    [["keys", "list", "--owner", "a", "--store", "mysql://x"], /unsupported scheme/],
    [["keys", "list", "--owner", "a", "--prefix", "Bad_Prefix"], /--prefix/],
  ])("gatehouse %j exits 1 with one line and writes nothing", async (args, message) => {
    const result = await gatehouse(args, { env });
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(existsSync(db)).toBe(false);
  });

  it("exits 1 with the library's reason for a value it refuses", async () => {
    const result = await gatehouse(
      ["keys", "create", "--owner", "a", "--name", "x", "--scopes", "a b"],
      {
        env: { GATEHOUSE_STORE: `sqlite:${join(dir, "refused.db")}` },
      },
    );
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(/scopes/);
  });

  it.each([
    ["postgres://postgres@127.0.0.1:1/test"],
    ["redis://127.0.0.1:1"],
    [`sqlite:${join(dir, "no", "such", "dir", "keys.db")}`],
  ])("exits 3 with one line when the store at %s is unavailable", async (url) => {
    const result = await gatehouse(["keys", "list", "--owner", "a"], {
      env: { GATEHOUSE_STORE: url, GATEHOUSE_STORE_TIMEOUT: "1500" },
    });
    expect(result.code).toBe(3);
    expect(isOneLine(result.stderr)).toBe(true);
  });

  it("never prints a store password in an error", async () => {
    const result = await gatehouse(["keys", "list", "--owner", "a"], {
      env: {
        GATEHOUSE_STORE: "postgres://app:hunter2@127.0.0.1:1/test",
        GATEHOUSE_STORE_TIMEOUT: "1500",
      },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).not.toContain("hunter2");
  });
});
