/**
 * `auth.keys` when `createAuth` has no `apiKeys` option: every method rejects with a
 * `TypeError` naming the missing option, so a misconfiguration is told apart from an outage.
 */
import { KEYS_WRITE_SCOPE } from "./grant-rules.js";
import type { KeyManager } from "./key-manager-api.js";

export function unconfiguredKeys(): KeyManager {
  const refuse = (): Promise<never> =>
    Promise.reject(new TypeError("gatehouse: auth.keys needs the apiKeys option of createAuth"));
  return {
    writeScope: KEYS_WRITE_SCOPE,
    create: refuse,
    list: refuse,
    get: refuse,
    update: refuse,
    delete: refuse,
    rotate: refuse,
    admin: {
      get: refuse,
      list: refuse,
      update: refuse,
      delete: refuse,
      rotate: refuse,
      topUp: refuse,
    },
  };
}
