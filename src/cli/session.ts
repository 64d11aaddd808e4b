/**
 * One command's connection to the keys: resolve the store URL, open and probe the store,
 * build the key manager through the public `createAuth`, and always release it all, so a
 * command never leaves a pool or a socket keeping the process alive.
 */
import { createAuth } from "../create-auth.js";
import { hmacSha256Hasher } from "../crypto/hmac-hasher.js";
import {
  assertValidPrefix,
  DEFAULT_KEY_PREFIX,
  isKeyEnvironment,
} from "../verify/api-key/key-format.js";
import type { KeyManager } from "../manage/key-manager-api.js";
import type { KeyEnvironment, SecretHasher } from "../types.js";
import type { CliIo } from "./io.js";
import { openStore } from "./open-store.js";
import { closeQuietly, DEFAULT_STORE_TIMEOUT, guardStore, probeStore } from "./store-guard.js";
import { DEFAULT_STORE, describeStore, parseStoreUrl } from "./store-url.js";
import { usageError } from "./errors.js";

export interface StoreFlags {
  store?: string;
  prefix?: string;
  environment?: string;
}

export interface Session {
  keys: KeyManager;
}

/**
 * The hasher new keys are hashed with: argon2id (the library's default), or HMAC-SHA256
 * when GATEHOUSE_HMAC_PEPPER is set, for deployments configured with `hmacSha256Hasher`.
 * The pepper comes from the environment only, never a flag, to keep it out of shell
 * history and process listings.
 */
function resolveHasher(io: CliIo): SecretHasher | undefined {
  const pepper = io.env.GATEHOUSE_HMAC_PEPPER;
  if (pepper === undefined || pepper === "") return undefined;
  try {
    const pepperId = io.env.GATEHOUSE_HMAC_PEPPER_ID;
    return hmacSha256Hasher({ pepper, ...(pepperId === undefined ? {} : { pepperId }) });
  } catch (error) {
    throw usageError(
      `GATEHOUSE_HMAC_PEPPER: ${error instanceof Error ? error.message.replace(/^gatehouse:\s*/, "") : String(error)}`,
    );
  }
}

/** Checks what can be checked without I/O, so a usage error never opens a store. */
export function resolveStore(
  flags: StoreFlags,
  io: CliIo,
): {
  url: string;
  prefix: string;
  environment: KeyEnvironment | undefined;
  hasher: SecretHasher | undefined;
} {
  const url = flags.store ?? io.env.GATEHOUSE_STORE ?? DEFAULT_STORE;
  parseStoreUrl(url);
  const prefix = flags.prefix ?? io.env.GATEHOUSE_KEY_PREFIX ?? DEFAULT_KEY_PREFIX;
  try {
    assertValidPrefix(prefix);
  } catch {
    throw usageError(`--prefix '${prefix}' must be 1-16 of [a-z0-9], starting with a letter`);
  }
  const environment = flags.environment ?? io.env.GATEHOUSE_KEY_ENVIRONMENT;
  if (environment !== undefined && !isKeyEnvironment(environment)) {
    throw usageError(`--environment '${environment}' must be test or live`);
  }
  return { url, prefix, environment, hasher: resolveHasher(io) };
}

function timeoutFrom(io: CliIo): number {
  const raw = io.env.GATEHOUSE_STORE_TIMEOUT;
  const ms = raw === undefined ? DEFAULT_STORE_TIMEOUT : Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_STORE_TIMEOUT;
}

export async function withSession<T>(
  flags: StoreFlags,
  io: CliIo,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const { url, prefix, environment, hasher } = resolveStore(flags, io);
  const timeout = timeoutFrom(io);
  const store = guardStore(await openStore(parseStoreUrl(url)), describeStore(url), timeout);
  // Whatever owns the store closes it, once: the store until the key manager exists, then
  // the manager, whose close() flushes last-used writes and closes the store itself.
  let owner: { close?: () => Promise<void> } = store;
  try {
    const auth = createAuth({
      apiKeys: {
        store,
        prefix,
        ...(environment === undefined ? {} : { environment }),
        storeTimeout: timeout,
        ...(hasher === undefined ? {} : { hasher }),
      },
    });
    owner = auth;
    await probeStore(store);
    return await work({ keys: auth.keys });
  } finally {
    await closeQuietly(owner, timeout);
  }
}
