/**
 * Several issuers in one `jwt` option: routing by `iss`, each entry verified only with its
 * own keys and rules, per-entry `toPrincipal`, caches and remote key sets, the checks at
 * construction, and the `key_id` claim honoured for our own tokens only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth } from "../../src/create-auth.js";
import type { AuthJwtOptions } from "../../src/options/auth-options.js";
import { claimsToPrincipal } from "../../src/principal/from-claims.js";
import { memoryKeyStore } from "../../src/stores/memory.js";
import type { Principal } from "../../src/types.js";
import {
  auth0Claims,
  clerkClaims,
  entraClaims,
  keycloakClaims,
  provider,
  serveJwks,
} from "./issuers-fixture.js";

const SECRET = "k2J9xQ7mV4pL1sT8wZ3nB6rY0cF5hD2gA9eU7iO4";
const OURS = "https://api.example.com";
const AUDIENCE = "https://api.example.com/reports";

const auth0 = provider("https://tenant.eu.auth0.com/", "auth0-1");
const keycloak = provider("https://sso.example.com/realms/acme", "kc-1");
const entra = provider(
  "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
  "entra-1",
);
const clerk = provider("https://clerk.example.com", "clerk-1");

const words = (value: unknown): string[] =>
  typeof value === "string" ? value.split(/[ ,]/).filter(Boolean) : [];
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

// The mappings of docs/issuers.md, as written there.
const fromAuth0 = (claims: Readonly<Record<string, unknown>>, { via }: { via: "jwt" | "cookie" }) =>
  Object.freeze<Principal>({
    id: String(claims.sub),
    type: "user",
    via,
    scopes: [...new Set([...words(claims.scope), ...strings(claims.permissions)])],
    roles: [],
    claims,
  });
const fromKeycloak = (
  claims: Readonly<Record<string, unknown>>,
  { via }: { via: "jwt" | "cookie" },
) => {
  const realm = (claims.realm_access ?? {}) as { roles?: unknown };
  const client = ((claims.resource_access ?? {}) as Record<string, { roles?: unknown }>)[AUDIENCE];
  return Object.freeze<Principal>({
    id: String(claims.sub),
    type: "user",
    via,
    scopes: [...words(claims.scope), ...strings(client?.roles)],
    roles: strings(realm.roles),
    claims,
  });
};
const fromClerk = (
  claims: Readonly<Record<string, unknown>>,
  { via }: { via: "jwt" | "cookie" },
) => {
  const org = (claims.o ?? {}) as { rol?: unknown; per?: unknown };
  return Object.freeze<Principal>({
    id: String(claims.sub),
    type: "user",
    via,
    scopes: words(org.per),
    roles: typeof org.rol === "string" ? [org.rol] : [],
    claims,
  });
};

let clerkJwks: Awaited<ReturnType<typeof serveJwks>>;
beforeAll(async () => {
  clerkJwks = await serveJwks([clerk.jwk]);
});
afterAll(() => clerkJwks.close());

function entries(): AuthJwtOptions[] {
  return [
    { secret: SECRET, algorithms: ["HS256"], issuer: OURS, audience: "api", ttl: "15m" },
    {
      algorithms: ["RS256"],
      jwks: { keys: [auth0.jwk] },
      issuer: auth0.issuer,
      audience: AUDIENCE,
      toPrincipal: fromAuth0,
    },
    {
      algorithms: ["RS256"],
      publicKey: keycloak.publicKey,
      issuer: keycloak.issuer,
      audience: AUDIENCE,
      toPrincipal: fromKeycloak,
    },
    // Entra's roles and scp are what the default mapping reads already.
    {
      algorithms: ["RS256"],
      jwks: { keys: [entra.jwk] },
      issuer: entra.issuer,
      audience: AUDIENCE,
    },
    {
      algorithms: ["RS256"],
      jwks: clerkJwks.url,
      issuer: clerk.issuer,
      // Clerk session tokens carry no aud; azp names the origin they were made for.
      audience: false,
      requiredClaims: ["azp"],
      toPrincipal: fromClerk,
    },
  ];
}

const bearer = (token: string) =>
  new Request("http://x/", { headers: { authorization: `Bearer ${token}` } });

describe("tokens of several issuers in one setup", () => {
  it("each provider's token authenticates, mapped by its own entry", async () => {
    const auth = createAuth({ jwt: entries() });
    const ours = await auth.tokens.issue({ sub: "alice", scopes: ["reports:read"] });
    const own = await auth.authenticate(bearer(ours));
    expect(own.ok && own.principal).toMatchObject({ id: "alice", scopes: ["reports:read"] });

    const a0 = await auth.authenticate(bearer(await auth0.sign(auth0Claims("auth0|42", AUDIENCE))));
    expect(a0.ok && a0.principal).toMatchObject({
      id: "auth0|42",
      scopes: ["openid", "profile", "reports:read", "reports:write"],
    });

    const kc = await auth.authenticate(
      bearer(await keycloak.sign(keycloakClaims("kc-7", AUDIENCE))),
    );
    expect(kc.ok && kc.principal).toMatchObject({
      id: "kc-7",
      scopes: ["profile", "email", "reports:read"],
      roles: ["offline_access", "analyst"],
    });

    const en = await auth.authenticate(bearer(await entra.sign(entraClaims("entra-9", AUDIENCE))));
    expect(en.ok && en.principal).toMatchObject({
      id: "entra-9",
      scopes: ["Reports.Read", "Reports.Write"],
      roles: ["Reports.Admin"],
    });

    const cl = await auth.authenticate(bearer(await clerk.sign(clerkClaims("user_2k"))));
    expect(cl.ok && cl.principal).toMatchObject({
      id: "user_2k",
      scopes: ["reports:read", "reports:write"],
      roles: ["admin"],
    });
    await auth.close();
  });

  it("a token signed by another entry's key, or naming an unknown issuer, is invalid_token", async () => {
    const auth = createAuth({ jwt: entries() });
    const cases = [
      // Keycloak's key, Auth0's issuer: routed to Auth0, whose keys do not verify it.
      await keycloak.sign({ ...auth0Claims("auth0|42", AUDIENCE), iss: auth0.issuer }),
      // Auth0's key under Keycloak's issuer, and with Keycloak's kid.
      await auth0.sign(
        { ...keycloakClaims("kc-7", AUDIENCE), iss: keycloak.issuer },
        { kid: keycloak.kid },
      ),
      // Our HMAC secret under Auth0's issuer: HS256 is not in that entry's algorithms.
      await new (await import("jose")).SignJWT({ sub: "x", aud: AUDIENCE, iss: auth0.issuer })
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(SECRET)),
      // A provider nobody configured, and a token with no iss at all.
      await provider("https://evil.example", "e").sign(auth0Claims("auth0|42", AUDIENCE)),
      await auth0.sign({ ...auth0Claims("auth0|42", AUDIENCE), iss: undefined }),
      // An iss that is not a string.
      await auth0.sign({ ...auth0Claims("auth0|42", AUDIENCE), iss: 7 as unknown as string }),
    ];
    for (const token of cases) {
      const result = await auth.authenticate(bearer(token));
      expect(!result.ok && result.error.code).toBe("invalid_token");
    }
    await auth.close();
  });

  it("each entry keeps its own audience and typ rules", async () => {
    const auth = createAuth({ jwt: entries() });
    // Minted by Auth0 for another API of the tenant.
    const other = await auth0.sign(auth0Claims("auth0|42", "https://other.example.com"));
    const refused = await auth.authenticate(bearer(other));
    expect(!refused.ok && refused.error.code).toBe("invalid_token");
    // Our own entry requires at+jwt; Auth0's (foreign keys only) does not.
    const ours = await new (await import("jose")).SignJWT({ sub: "alice", aud: "api", iss: OURS })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(SECRET));
    const wrongTyp = await auth.authenticate(bearer(ours));
    expect(!wrongTyp.ok && wrongTyp.error.code).toBe("invalid_token");
    await auth.close();
  });

  it("a remote JWKS is fetched by its own entry only, and its tokens are cached per entry", async () => {
    const auth0Jwks = await serveJwks([auth0.jwk]);
    try {
      const before = clerkJwks.fetches();
      const list = entries();
      list[1] = { ...list[1]!, jwks: auth0Jwks.url };
      const auth = createAuth({ jwt: list });
      const a0 = await auth0.sign(auth0Claims("auth0|42", AUDIENCE));
      for (let i = 0; i < 3; i++) expect((await auth.authenticate(bearer(a0))).ok).toBe(true);
      expect(auth0Jwks.fetches()).toBe(1);
      expect(clerkJwks.fetches()).toBe(before);
      const cl = await clerk.sign(clerkClaims("user_2k"));
      expect((await auth.authenticate(bearer(cl))).ok).toBe(true);
      expect(clerkJwks.fetches()).toBe(before + 1);
      expect(auth0Jwks.fetches()).toBe(1);
      await auth.close();
    } finally {
      await auth0Jwks.close();
    }
  });

  it("an entry's cacheMax and isRevoked apply to its tokens only", async () => {
    const revoked: string[] = [];
    const list = entries();
    list[1] = {
      ...list[1]!,
      cacheMax: 0,
      isRevoked: (claims) => revoked.includes(String(claims.sub)),
    };
    const auth = createAuth({ jwt: list });
    const a0 = await auth0.sign(auth0Claims("auth0|42", AUDIENCE));
    const en = await entra.sign(entraClaims("auth0|42", AUDIENCE));
    expect((await auth.authenticate(bearer(a0))).ok).toBe(true);
    expect((await auth.authenticate(bearer(en))).ok).toBe(true);
    revoked.push("auth0|42");
    const again = await auth.authenticate(bearer(a0));
    expect(!again.ok && again.error.detail).toBe("The token has been revoked.");
    // Same sub, other issuer: Entra's entry has no revocation hook.
    expect((await auth.authenticate(bearer(en))).ok).toBe(true);
    await auth.close();
  });

  it("auth.tokens.issue signs with the one entry that holds a key, and the JWKS holds only ours", async () => {
    const own = provider(OURS, "ours-1");
    const auth = createAuth({
      jwt: [
        {
          algorithms: ["RS256"],
          jwks: { keys: [auth0.jwk] },
          issuer: auth0.issuer,
          audience: AUDIENCE,
        },
        {
          algorithms: ["RS256"],
          privateKey: own.privateKey,
          kid: "ours-1",
          issuer: OURS,
          audience: "api",
        },
      ],
    });
    const token = await auth.tokens.issue({ sub: "alice" });
    expect((await auth.tokens.verify(token)).ok).toBe(true);
    const { keys } = await auth.tokens.jwks();
    expect(keys.map((k) => k.kid)).toEqual(["ours-1"]);
    expect(auth.config.jwt).toMatchObject({
      enabled: true,
      issuer: OURS,
      audience: "api",
      signs: true,
      typ: "at+jwt",
    });
    expect(auth.config.jwt.issuers.map((e) => [e.issuer, e.signs])).toEqual([
      [auth0.issuer, false],
      [OURS, true],
    ]);
    await auth.close();
  });

  it("a list in which no entry signs verifies, and issuing rejects with a TypeError", async () => {
    const auth = createAuth({
      jwt: [
        {
          algorithms: ["RS256"],
          jwks: { keys: [auth0.jwk] },
          issuer: auth0.issuer,
          audience: AUDIENCE,
        },
        {
          algorithms: ["RS256"],
          jwks: { keys: [entra.jwk] },
          issuer: entra.issuer,
          audience: AUDIENCE,
        },
      ],
    });
    expect((await auth.authenticate(bearer(await entra.sign(entraClaims("e", AUDIENCE))))).ok).toBe(
      true,
    );
    await expect(auth.tokens.issue({ sub: "alice" })).rejects.toThrow(/holds a signing key/);
    expect(auth.config.jwt).toMatchObject({ issuer: auth0.issuer, signs: false });
  });

  it("an own entry without issuer takes the tokens without iss, and only those", async () => {
    const { SignJWT } = await import("jose");
    const auth = createAuth({
      jwt: [
        { secret: SECRET, algorithms: ["HS256"], typ: false },
        {
          algorithms: ["RS256"],
          jwks: { keys: [auth0.jwk] },
          issuer: auth0.issuer,
          audience: AUDIENCE,
        },
      ],
    });
    const sign = (iss?: string) =>
      new SignJWT({ sub: "svc", ...(iss ? { iss } : {}) })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(SECRET));
    expect((await auth.authenticate(bearer(await sign()))).ok).toBe(true);
    const named = await auth.authenticate(bearer(await sign("https://elsewhere.example")));
    expect(!named.ok && named.error.code).toBe("invalid_token");
  });
});

describe("key_id: tokens minted from our API keys are ours only", () => {
  it("our token with key_id stands with its key; a foreign token naming the same key is refused", async () => {
    const store = memoryKeyStore();
    const auth = createAuth({
      jwt: entries().slice(0, 2),
      apiKeys: { store },
    });
    const { record } = await auth.keys.create({
      ownerId: "auth0|42",
      name: "ci",
      scopes: ["reports:read"],
    });
    const ours = await auth.tokens.issue({
      sub: "auth0|42",
      keyId: record.id,
      scopes: ["reports:read"],
    });
    const own = await auth.authenticate(bearer(ours));
    expect(own.ok && own.principal.key?.id).toBe(record.id);

    // The same sub and key_id, from the identity provider: it must not speak for our key.
    const foreign = await auth0.sign({ ...auth0Claims("auth0|42", AUDIENCE), key_id: record.id });
    const refused = await auth.authenticate(bearer(foreign));
    expect(!refused.ok && refused.error.code).toBe("invalid_token");
    expect(!refused.ok && refused.error.detail).toMatch(/key_id/);
    // Refused again from the cache's side: a refusal is never cached as an acceptance.
    expect((await auth.authenticate(bearer(foreign))).ok).toBe(false);

    // Deleting the key cuts our token; the provider's plain token is untouched by it.
    await auth.keys.delete("auth0|42", record.id);
    expect((await auth.authenticate(bearer(ours))).ok).toBe(false);
    const plain = await auth.authenticate(
      bearer(await auth0.sign(auth0Claims("auth0|42", AUDIENCE))),
    );
    expect(plain.ok && plain.principal.key).toBeUndefined();
    await auth.close();
  });

  it("the default mapping of a foreign token never yields a key-derived principal", async () => {
    const list = entries();
    delete list[1]!.toPrincipal;
    const auth = createAuth({ jwt: list });
    const plain = await auth.authenticate(
      bearer(await auth0.sign(auth0Claims("auth0|42", AUDIENCE))),
    );
    expect(plain.ok && plain.principal).toMatchObject({ type: "user", via: "jwt" });
    expect(plain.ok && plain.principal.key).toBeUndefined();
    expect(claimsToPrincipal({ sub: "a", key_id: "k" }, { via: "jwt" })?.key).toBeUndefined();
  });
});

describe("the checks at construction", () => {
  const base = entries;
  it.each([
    ["an empty list", () => [], /empty list/],
    [
      "two entries that sign",
      () => [base()[0]!, { ...base()[0]!, issuer: "https://two.example" }],
      /both hold a signing key/,
    ],
    [
      "the same issuer twice",
      () => [base()[1]!, { ...base()[3]!, issuer: [entra.issuer, auth0.issuer] }],
      /both accept issuer/,
    ],
    [
      "a foreign entry without issuer",
      () => [base()[0]!, { ...base()[1]!, issuer: undefined }],
      /jwt\[1\]\.issuer is required/,
    ],
    [
      "an empty issuer list",
      () => [base()[0]!, { ...base()[1]!, issuer: [] }],
      /jwt\[1\]\.issuer must be/,
    ],
    [
      "an entry a lone jwt would refuse (no audience with foreign keys)",
      () => [base()[0]!, { ...base()[1]!, audience: undefined }],
      /jwt\[1\]\.audience is required/,
    ],
    [
      "an entry with a weak secret",
      () => [{ ...base()[0]!, secret: "short" }, base()[1]!],
      /gatehouse: /,
    ],
    ["an entry that is not an object", () => [base()[0]!, null], /jwt\[1\] must be an object/],
  ])("refuses %s with a TypeError", (_name, make, message) => {
    expect(() => createAuth({ jwt: make() as AuthJwtOptions[] })).toThrow(TypeError);
    expect(() => createAuth({ jwt: make() as AuthJwtOptions[] })).toThrow(message);
  });

  it("a one-entry list behaves as the lone object", async () => {
    const auth = createAuth({ jwt: [base()[1]!] });
    expect(auth.config.jwt.issuers).toHaveLength(1);
    expect((await auth.authenticate(bearer(await auth0.sign(auth0Claims("a", AUDIENCE))))).ok).toBe(
      true,
    );
  });
});
