/**
 * The world every adapter server is tested in: one auth over a memory store holding keys
 * for alice and bob, tokens for alice and an admin, and a second auth whose store is down
 * (with tokens of its own, so that its callers authenticate and only the store fails).
 * Each server gets its own fixture, so rows that change keys cannot leak between adapters.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { Auth } from "../../src/options/auth-options.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { KeyStore } from "../../src/types.js";

export const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const ISSUER = "https://api.example.test";
const AUDIENCE = "api";

export interface Fixture {
  auth: Auth;
  /** The `verifyUser` hook of the password grant: alice / wonderland. */
  verifyUser: (
    username: string,
    password: string,
  ) => Promise<{ id: string; scopes: string[]; roles: string[] } | null>;
  /** An auth whose key store rejects every call (reads and writes) once the fixture is built. */
  downAuth: Auth;
  tokens: {
    alice: string;
    admin: string;
    expired: string;
    /** alice with no scopes at all. */
    noScopes: string;
    wrongSignature: string;
    oversized: string;
    /** alice (scopes reports:read), issued by the down auth: a JWT needs no key store. */
    onDownAuth: string;
    /** An admin (role admin), issued by the down auth. */
    adminOnDownAuth: string;
    /** Minted from `keys.exhausted`. */
    fromExhausted: string;
    /** Minted from `keys.metered`. */
    fromMetered: string;
  };
  keys: {
    /** alice, scopes reports:read. */
    alice: string;
    /** alice, scopes keys:write reports:read. */
    aliceWriter: string;
    bob: string;
    disabled: string;
    expired: string;
    /** A well-formed key that no store holds. */
    unknown: string;
    /** A key limited to one request a minute, whose request is already spent. */
    limitedSpent: string;
    /** A key owned by a service: a client of the client_credentials grant. */
    service: string;
    /** A key on the down auth (its store rejects). */
    onDownStore: string;
    /** alice, metered, no credits left; refills in a year. */
    exhausted: string;
    /** alice, metered with plenty left, metadata `{ tenant: "acme" }`, environment `test`. */
    metered: string;
    /** alice, metered, none left, no refill: topped up by a key-route row. */
    toppable: string;
    /** alice's, rotated by a key-route row. */
    rotatable: string;
  };
  ids: {
    service: string;
    alice: string;
    bob: string;
    alicePatchable: string;
    aliceDeletable: string;
    bobAdminTarget: string;
    /** The key behind `keys.onDownStore`. */
    onDownStore: string;
    toppable: string;
    rotatable: string;
  };
}

function authOver(store: KeyStore): Auth {
  return createAuth({
    jwt: { secret: SECRET, algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE, ttl: "15m" },
    apiKeys: { store, header: "x-api-key", prefix: "gh" },
    cookie: { name: "access_token", secure: false },
  });
}

async function rawToken(claims: Record<string, unknown>, exp: number, secret = SECRET) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("alice")
    .setIssuedAt(exp - 600)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

/** `store`: where the main auth keeps its keys (default a fresh memory store). */
export async function makeFixture(store: KeyStore = memoryKeyStore()): Promise<Fixture> {
  const auth = authOver(store);
  const downStore = memoryKeyStore();
  // Up only while the fixture issues the down auth's key below; `get` never answers.
  let downStoreUp = true;
  const refused = () => Promise.reject(new Error("connection refused"));
  const downAuth = authOver({
    ...downStore,
    get: refused,
    create: (record) => (downStoreUp ? downStore.create(record) : refused()),
    update: refused,
    delete: refused,
    listByOwner: (ownerId, page) =>
      downStoreUp ? downStore.listByOwner(ownerId, page) : refused(),
    touch: refused,
  });

  const create = (ownerId: string, name: string, scopes: string[] = []) =>
    auth.keys.create({ ownerId, name, scopes });
  const alice = await create("alice", "ci", ["reports:read"]);
  const aliceWriter = await create("alice", "admin tool", ["keys:write", "reports:read"]);
  const bob = await create("bob", "bob's", ["reports:read"]);
  const disabled = await create("alice", "off");
  await auth.keys.update("alice", disabled.record.id, { enabled: false });
  const expired = await create("alice", "old");
  // The manager only accepts future expiries, so the record is aged in the store directly.
  await store.update!(expired.record.id, { expiresAt: new Date(Date.now() - 60_000) });
  const patchable = await create("alice", "to rename");
  const deletable = await create("alice", "to delete");
  const bobTarget = await create("bob", "admin will disable this");
  const limited = await auth.keys.create({
    ownerId: "alice",
    name: "limited",
    // Fixed windows start on multiples of the window, so a minute-long one could renew
    // between this spend and the row that expects 429; a year-long one does not.
    rateLimit: { limit: 1, window: 365 * 86_400_000 },
  });
  const spent = await auth.authenticate(
    new Request("http://x/", { headers: { "x-api-key": limited.key } }),
  );
  if (!spent.ok) throw new Error(`fixture: the limited key did not verify: ${spent.error.code}`);
  const exhausted = await auth.keys.create({
    ownerId: "alice",
    name: "out of credits",
    credits: { remaining: 0, refill: { amount: 5, interval: 365 * 86_400_000 } },
  });
  const metered = await auth.keys.create({
    ownerId: "alice",
    name: "metered",
    scopes: ["reports:read"],
    metadata: { tenant: "acme" },
    environment: "test",
    credits: { remaining: 1_000_000 },
  });
  const toppable = await auth.keys.create({
    ownerId: "alice",
    name: "to top up",
    credits: { remaining: 0 },
  });
  const rotatable = await create("alice", "to rotate");
  const service = await auth.keys.create({
    ownerId: "billing-app",
    ownerType: "service",
    name: "billing",
    scopes: ["reports:read", "invoices:write"],
  });
  const onDown = await downAuth.keys.create({ ownerId: "alice", name: "down" });
  downStoreUp = false;
  const unknown = await authOver(memoryKeyStore()).keys.create({ ownerId: "x", name: "elsewhere" });

  const now = Math.floor(Date.now() / 1000);
  const fixture: Fixture = {
    auth,
    verifyUser: (username, password) =>
      Promise.resolve(
        username === "alice" && password === "wonderland"
          ? { id: "alice", scopes: ["reports:read"], roles: [] }
          : null,
      ),
    downAuth,
    tokens: {
      alice: await auth.tokens.issue({ sub: "alice", scopes: ["reports:read"], roles: [] }),
      admin: await auth.tokens.issue({
        sub: "root",
        scopes: ["reports:read", "keys:write"],
        roles: ["admin"],
      }),
      noScopes: await auth.tokens.issue({ sub: "alice", scopes: [], roles: [] }),
      expired: await rawToken({ scope: "reports:read" }, now - 3600),
      wrongSignature: await rawToken({}, now + 600, "another-secret-that-is-long-enough-for-hs256"),
      oversized: `${"a".repeat(6000)}.${"b".repeat(6000)}.${"c".repeat(100)}`,
      onDownAuth: await downAuth.tokens.issue({
        sub: "alice",
        scopes: ["reports:read"],
        roles: [],
      }),
      adminOnDownAuth: await downAuth.tokens.issue({
        sub: "root",
        scopes: ["reports:read", "keys:write"],
        roles: ["admin"],
      }),
      fromExhausted: await auth.tokens.issue({
        sub: "alice",
        scopes: [],
        roles: [],
        keyId: exhausted.record.id,
      }),
      fromMetered: await auth.tokens.issue({
        sub: "alice",
        scopes: ["reports:read"],
        roles: [],
        keyId: metered.record.id,
      }),
    },
    keys: {
      alice: alice.key,
      aliceWriter: aliceWriter.key,
      bob: bob.key,
      disabled: disabled.key,
      expired: expired.key,
      unknown: unknown.key,
      limitedSpent: limited.key,
      service: service.key,
      onDownStore: onDown.key,
      exhausted: exhausted.key,
      metered: metered.key,
      toppable: toppable.key,
      rotatable: rotatable.key,
    },
    ids: {
      service: service.record.id,
      alice: alice.record.id,
      bob: bob.record.id,
      alicePatchable: patchable.record.id,
      aliceDeletable: deletable.record.id,
      bobAdminTarget: bobTarget.record.id,
      onDownStore: onDown.record.id,
      toppable: toppable.record.id,
      rotatable: rotatable.record.id,
    },
  };
  return fixture;
}

/**
 * One fixture for the calling test file: built in `beforeAll`, both auths closed in `afterAll`.
 * The object returned is filled in by `beforeAll`, so read it only inside hooks and tests.
 */
export function useFixture(): Fixture {
  const fx = {} as Fixture;
  beforeAll(async () => {
    Object.assign(fx, await makeFixture());
  });
  afterAll(async () => {
    await fx.auth?.close();
    await fx.downAuth?.close();
  });
  return fx;
}
