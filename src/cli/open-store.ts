/**
 * Opens the key store a {@link StoreSpec} names. Each store module (and so its driver) is
 * imported only when asked for, so `gatehouse keys … --store sqlite:…` works without pg or
 * ioredis installed, and a missing driver is one clear line instead of a module trace.
 */
import type { KeyStore } from "../types.js";
import { oneLine, storeUnavailable } from "./errors.js";
import type { StoreSpec } from "./store-url.js";

const DRIVERS: Readonly<Record<StoreSpec["kind"], string>> = {
  sqlite: "better-sqlite3",
  postgres: "pg",
  redis: "ioredis",
};

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

async function construct(spec: StoreSpec): Promise<KeyStore> {
  switch (spec.kind) {
    case "sqlite": {
      const { sqliteKeyStore } = await import("../stores/sqlite.js");
      return sqliteKeyStore({
        path: spec.path,
        ...(spec.table === undefined ? {} : { table: spec.table }),
      });
    }
    case "postgres": {
      const { postgresKeyStore } = await import("../stores/postgres.js");
      return postgresKeyStore({
        connectionString: spec.connectionString,
        ...(spec.schema === undefined ? {} : { schema: spec.schema }),
        ...(spec.table === undefined ? {} : { table: spec.table }),
      });
    }
    case "redis": {
      const { redisKeyStore } = await import("../stores/redis.js");
      return redisKeyStore({
        url: spec.url,
        ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
      });
    }
  }
}

export async function openStore(spec: StoreSpec): Promise<KeyStore> {
  try {
    return await construct(spec);
  } catch (error) {
    if (isMissingModule(error) && oneLine(error).includes(DRIVERS[spec.kind])) {
      throw storeUnavailable(
        `the ${spec.kind} store needs the '${DRIVERS[spec.kind]}' package: npm install ${DRIVERS[spec.kind]}`,
        error,
      );
    }
    throw storeUnavailable(`cannot open the ${spec.kind} store: ${oneLine(error)}`, error);
  }
}
