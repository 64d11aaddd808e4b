// The password grant's hook: your own user table. One demo user here.
import { randomUUID } from "node:crypto";
import { hashPassword, verifyPassword } from "gatehouse";

const alice = { id: "alice", hash: await hashPassword("wonderland"), scopes: ["reports:read"] };
// Unknown names are checked against a hash too, so the timing does not tell who exists.
const dummyHash = await hashPassword(randomUUID());

export async function verifyUser(username, password) {
  const known = username === alice.id;
  const ok = await verifyPassword(known ? alice.hash : dummyHash, password);
  return known && ok ? { id: alice.id, scopes: alice.scopes, roles: [] } : null;
}
