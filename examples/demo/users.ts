/**
 * The demo's user directory: a JSON file of usernames and argon2id password hashes
 * (gatehouse's `hashPassword`), standing in for the users table an application already
 * has. `verifyUser` is the hook the password grant calls.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { hashPassword, verifyPassword } from "../../src/index.js";

export interface DemoUser {
  id: string;
  passwordHash: string;
  scopes: string[];
  roles: string[];
  /** The team whose keys the user manages beside their own (`/teams/keys`), if any. */
  team?: string | null;
}

/** What a user may do, set with the password. */
export interface DemoGrants {
  scopes: string[];
  roles: string[];
  team?: string | null;
}

export interface UserDirectory {
  /** Sets a fresh random password for `id` (creating the user when new) and returns it. */
  resetPassword(id: string, grants: DemoGrants): Promise<string>;
  verifyUser(
    username: string,
    password: string,
  ): Promise<{ id: string; scopes: string[]; roles: string[] } | null>;
  ids(): string[];
  /** The user's team id, or `null` for a user in no team (or no such user). */
  teamOf(id: string): string | null;
}

/** A password that is easy to paste and has about 95 bits. */
function newPassword(): string {
  return randomBytes(12).toString("base64url");
}

export async function userDirectory(file: string): Promise<UserDirectory> {
  // Unknown users are checked against this hash of a string nobody knows, so a login for a
  // name that does not exist costs the same argon2 work and timing tells nothing.
  const dummyHash = await hashPassword(randomBytes(16).toString("hex"));
  let users: DemoUser[] = [];
  try {
    users = (JSON.parse(readFileSync(file, "utf8")) as { users: DemoUser[] }).users;
  } catch {
    users = [];
  }
  const save = () =>
    writeFileSync(file, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });

  return {
    async resetPassword(id, grants) {
      const password = newPassword();
      const passwordHash = await hashPassword(password);
      users = [...users.filter((u) => u.id !== id), { id, passwordHash, ...grants }];
      save();
      return password;
    },
    async verifyUser(username, password) {
      const user = users.find((u) => u.id === username);
      const ok = await verifyPassword(user?.passwordHash ?? dummyHash, password);
      return user && ok ? { id: user.id, scopes: user.scopes, roles: user.roles } : null;
    },
    ids: () => users.map((u) => u.id).sort(),
    teamOf: (id) => users.find((u) => u.id === id)?.team ?? null,
  };
}
