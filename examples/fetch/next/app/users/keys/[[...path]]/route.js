// app/users/keys/[[...path]]/route.js: the key routes, /users/keys and everything below it.
import { keyRoutes } from "gatehouse/fetch";
import { auth, clientAddress } from "../../../../lib/auth.js";

export const runtime = "nodejs";

const keys = keyRoutes(auth, { prefix: "/users/keys", clientAddress });
// null: a path below /users/keys that is not a key route.
const handle = async (req) => (await keys(req)) ?? new Response(null, { status: 404 });

export { handle as GET, handle as POST, handle as PATCH, handle as DELETE, handle as PUT };
