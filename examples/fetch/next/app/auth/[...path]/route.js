// app/auth/[...path]/route.js: POST /auth/token and POST /auth/logout.
import { tokenRoutes } from "gatehouse/fetch";
import { auth, clientAddress } from "../../../lib/auth.js";
import { verifyUser } from "../../../lib/users.js";

export const runtime = "nodejs";

const tokens = tokenRoutes(auth, { prefix: "/auth", verifyUser, clientAddress });
const handle = async (req) => (await tokens(req)) ?? new Response(null, { status: 404 });

export { handle as GET, handle as POST };
