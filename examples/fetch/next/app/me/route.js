// app/me/route.js: the caller, or null for an anonymous one (optional).
import { getCurrentUser, withAuth } from "gatehouse/fetch";
import { auth, clientAddress } from "../../lib/auth.js";

export const runtime = "nodejs";

export const GET = withAuth(auth, (req) => Response.json({ user: getCurrentUser(req) }), {
  optional: true,
  clientAddress,
});
