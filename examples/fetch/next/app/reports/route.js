// app/reports/route.js: GET /reports for callers holding reports:read.
import { getCurrentUser, withAuth } from "gatehouse/fetch";
import { auth, clientAddress } from "../../lib/auth.js";

// gatehouse needs Node APIs (node:crypto, the argon2 addon): not the edge runtime.
export const runtime = "nodejs";

export const GET = withAuth(
  auth,
  (req) => Response.json({ reports: [], for: getCurrentUser(req).id }),
  { scopes: ["reports:read"], clientAddress },
);
