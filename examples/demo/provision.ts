/**
 * What the demo sets up at every start: the two users with fresh passwords, and the keys
 * whose plaintext it prints (a user's API key, a metered key with a daily allowance, and a
 * service client). Plaintext keys exist
 * only at creation, so the keys printed by an earlier run are replaced, not reused; keys you
 * made on the page or with curl are left alone.
 */
import type { Auth } from "../../src/index.js";
import type { UserDirectory } from "./users.js";

export const DEMO_USER = "demo";
export const ADMIN_USER = "admin";
export const SERVICE_OWNER = "reporting-service";
/**
 * The team both users belong to: the owner of the keys under `/teams/keys`. Team ids carry
 * a `team:` prefix so that they cannot be mistaken for a user id.
 */
export const TEAM_OWNER = "team:demo";

export interface Provisioned {
  passwords: { demo: string; admin: string };
  /** demo's API key: a Medrunner-style refresh token, an X-API-Key, an x-api-auth value. */
  apiKey: string;
  /** A service client (Run:ai "application", Trivial "client key"). */
  client: { id: string; secret: string };
  /** demo's metered key: 100 requests, refilled to 100 every day. */
  meteredKey: string;
}

/** The metered key's allowance: what the page shows as "… of 100 requests left". */
export const METERED_CREDITS = 100;
const DAY_MS = 86_400_000;

/** Replaces the key the demo keeps in `slot` for `ownerId` with a new one, returning it. */
async function replaceSlot(
  keys: Auth["keys"],
  slot: string,
  input: Parameters<Auth["keys"]["create"]>[0],
): Promise<{ key: string; id: string }> {
  let cursor: string | null = null;
  do {
    const page = await keys.list(input.ownerId, { limit: 500, cursor });
    for (const record of page.items) {
      if (record.metadata?.demoSlot === slot) await keys.admin.delete(record.id);
    }
    cursor = page.next;
  } while (cursor !== null);
  const created = await keys.create({ ...input, metadata: { demoSlot: slot } });
  return { key: created.key, id: created.record.id };
}

export async function provision(auth: Auth, users: UserDirectory): Promise<Provisioned> {
  const demo = await users.resetPassword(DEMO_USER, {
    scopes: ["reports:read"],
    roles: [],
    team: TEAM_OWNER,
  });
  const admin = await users.resetPassword(ADMIN_USER, {
    scopes: ["reports:read"],
    roles: ["admin"],
    team: TEAM_OWNER,
  });
  const apiKey = await replaceSlot(auth.keys, "printed-api-key", {
    ownerId: DEMO_USER,
    name: "printed by npm run demo",
    scopes: ["reports:read"],
  });
  const client = await replaceSlot(auth.keys, "printed-client", {
    ownerId: SERVICE_OWNER,
    ownerType: "service",
    name: "reporting job",
    scopes: ["reports:read"],
  });
  // Replaced at each start like the others, so it starts again with a full allowance.
  const metered = await replaceSlot(auth.keys, "printed-metered-key", {
    ownerId: DEMO_USER,
    name: "metered: 100 requests a day",
    scopes: ["reports:read"],
    credits: {
      remaining: METERED_CREDITS,
      refill: { amount: METERED_CREDITS, interval: DAY_MS },
    },
  });
  return {
    passwords: { demo, admin },
    apiKey: apiKey.key,
    client: { id: client.id, secret: client.key },
    meteredKey: metered.key,
  };
}
