/**
 * `--store` / `GATEHOUSE_STORE`: which key store the CLI opens, as one URL.
 *
 *   sqlite:./gatehouse.db[?table=t]    (default; a path, relative to the working directory)
 *   postgres://user:pw@host:5432/db?schema=gatehouse&table=t
 *   redis://127.0.0.1:6379/0?prefix=gatehouse:
 *
 * `schema`, `table` and `prefix` are ours, so they are taken off the URL before the driver
 * sees it.
 */
import { checkName } from "../stores/sql-identifier.js";
import { oneLine, usageError } from "./errors.js";

export const DEFAULT_STORE = "sqlite:./gatehouse.db";

export type StoreSpec =
  | { kind: "sqlite"; path: string; table?: string }
  | { kind: "postgres"; connectionString: string; schema?: string; table?: string }
  | { kind: "redis"; url: string; prefix?: string };

/**
 * A schema or table name, held to the stores' own rule (src/stores/sql-identifier.ts) here,
 * so a name they would refuse is a usage error before anything is opened.
 */
function identifier(value: string | null, what: string): string | undefined {
  if (value === null) return undefined;
  try {
    return checkName(value, what);
  } catch (error) {
    throw usageError(`--store: ${oneLine(error).replace(/^gatehouse:\s*/, "")}`);
  }
}

export function parseStoreUrl(raw: string): StoreSpec {
  const value = raw.trim();
  if (value.startsWith("sqlite:")) {
    // Accept `sqlite:path` and `sqlite://path` alike; the rest is a file path, not a URL,
    // with an optional `?table=` after it.
    const [rest = "", query] = value.slice("sqlite:".length).split("?", 2);
    const path = rest.replace(/^\/\//, "");
    if (path === "") {
      throw usageError("--store sqlite: needs a file path, e.g. sqlite:./gatehouse.db");
    }
    const params = new URLSearchParams(query ?? "");
    const unknown = [...params.keys()].filter((name) => name !== "table");
    if (unknown.length > 0) {
      throw usageError(`--store sqlite: unknown option '${unknown[0]}' (only table)`);
    }
    const table = identifier(params.get("table"), "table");
    return { kind: "sqlite", path, ...(table === undefined ? {} : { table }) };
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
      const schema = identifier(url.searchParams.get("schema"), "schema");
      const table = identifier(url.searchParams.get("table"), "table");
      url.searchParams.delete("schema");
      url.searchParams.delete("table");
      return {
        kind: "postgres",
        connectionString: url.toString(),
        ...(schema === undefined ? {} : { schema }),
        ...(table === undefined ? {} : { table }),
      };
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
