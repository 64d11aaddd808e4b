/**
 * `--store` / `GATEHOUSE_STORE`: which key store the CLI opens, as one URL.
 *
 *   sqlite:./gatehouse.db              (default; a path, relative to the working directory)
 *   postgres://user:pw@host:5432/db?schema=gatehouse
 *   redis://127.0.0.1:6379/0?prefix=gatehouse:
 *
 * `schema` and `prefix` are ours, so they are taken off the URL before the driver sees it.
 */
import { usageError } from "./errors.js";

export const DEFAULT_STORE = "sqlite:./gatehouse.db";

export type StoreSpec =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; connectionString: string; schema?: string }
  | { kind: "redis"; url: string; prefix?: string };

export function parseStoreUrl(raw: string): StoreSpec {
  const value = raw.trim();
  if (value.startsWith("sqlite:")) {
    // Accept `sqlite:path` and `sqlite://path` alike; the rest is a file path, not a URL.
    const path = value.slice("sqlite:".length).replace(/^\/\//, "");
    if (path === "")
      throw usageError("--store sqlite: needs a file path, e.g. sqlite:./gatehouse.db");
    return { kind: "sqlite", path };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(
      `--store '${describeStore(value)}' is not a store URL (sqlite:<path>, postgres://…, redis://…)`,
    );
  }
  switch (url.protocol) {
    case "postgres:":
    case "postgresql:": {
      const schema = url.searchParams.get("schema") ?? undefined;
      url.searchParams.delete("schema");
      if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
        throw usageError(`--store: schema '${schema}' is not a plain SQL identifier`);
      }
      return { kind: "postgres", connectionString: url.toString(), schema };
    }
    case "redis:":
    case "rediss:": {
      const prefix = url.searchParams.get("prefix") ?? undefined;
      url.searchParams.delete("prefix");
      return { kind: "redis", url: url.toString(), prefix };
    }
    default:
      throw usageError(
        `--store: unsupported scheme '${url.protocol}' (use sqlite:, postgres://, redis://)`,
      );
  }
}

/** The store URL with any password masked, safe to print in an error line. */
export function describeStore(raw: string): string {
  return raw.replace(/(\/\/[^:/@]*:)[^@/]*@/, "$1***@");
}
