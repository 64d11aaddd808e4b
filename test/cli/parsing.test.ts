/** The CLI's own parsers, directly: store URLs, masking, and time arguments. */
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { describeStore, parseStoreUrl } from "../../src/cli/store-url.js";
import { expiryDate, spanMs } from "../../src/cli/time.js";

describe("parseStoreUrl", () => {
  it.each([
    ["sqlite:./gatehouse.db", { kind: "sqlite", path: "./gatehouse.db" }],
    ["sqlite:///var/lib/keys.db", { kind: "sqlite", path: "/var/lib/keys.db" }],
    ["sqlite:./app.db?table=api_keys", { kind: "sqlite", path: "./app.db", table: "api_keys" }],
    [
      "postgres://u:p@db:5432/app?schema=auth&sslmode=require",
      {
        kind: "postgres",
        connectionString: "postgres://u:p@db:5432/app?sslmode=require",
        schema: "auth",
      },
    ],
    [
      "postgres://db/app?table=keys",
      { kind: "postgres", connectionString: "postgres://db/app", table: "keys" },
    ],
    ["postgresql://db/app", { kind: "postgres", connectionString: "postgresql://db/app" }],
    [
      "redis://127.0.0.1:6379/2?prefix=gh%3A",
      { kind: "redis", url: "redis://127.0.0.1:6379/2", prefix: "gh:" },
    ],
  ])("reads %s", (url, spec) => {
    expect(parseStoreUrl(url)).toEqual(spec);
  });

  it.each([
    "sqlite:",
    "sqlite:./x.db?mode=ro",
    "sqlite:./x.db?table=a-b",
    "mysql://db/app",
    "not a url",
    "postgres://db/app?schema=a;drop",
    "postgres://db/app?table=x%20y",
    // Longer than the stores accept: refused here, before a store is opened.
    `postgres://db/app?table=${"t".repeat(49)}`,
  ])("refuses %s as a usage error", (url) => {
    expect(() => parseStoreUrl(url)).toThrow(CliError);
  });
});

describe("describeStore", () => {
  it("masks a password and keeps the rest", () => {
    expect(describeStore("postgres://app:s3cret@db:5432/app")).toBe(
      "postgres://app:***@db:5432/app",
    );
    expect(describeStore("redis://:s3cret@cache:6379")).toBe("redis://:***@cache:6379");
    expect(describeStore("sqlite:./gatehouse.db")).toBe("sqlite:./gatehouse.db");
  });
});

describe("time arguments", () => {
  const now = new Date("2026-11-22T12:00:00Z");

  it("reads spans and dates for --expires", () => {
    expect(expiryDate("30d", now).toISOString()).toBe("2026-12-22T12:00:00.000Z");
    expect(expiryDate("12h", now).toISOString()).toBe("2026-11-23T00:00:00.000Z");
    expect(expiryDate("2027-01-01", now).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(expiryDate("2027-01-01T08:30:00+01:00", now).toISOString()).toBe(
      "2027-01-01T07:30:00.000Z",
    );
  });

  it.each(["2026-11-01", "0d", "tomorrow", "2027-13-45"])("refuses --expires %s", (value) => {
    expect(() => expiryDate(value, now)).toThrow(CliError);
  });

  it("reads --overlap spans in milliseconds", () => {
    expect(spanMs("1h", "overlap")).toBe(3_600_000);
    expect(spanMs("90 minutes", "overlap")).toBe(5_400_000);
    expect(() => spanMs("forever", "overlap")).toThrow(/--overlap/);
  });
});
