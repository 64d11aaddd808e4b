// The one Auth of the Next.js app, shared by its route handlers. Module state lives as long
// as the server process, so verified credentials stay cached across requests.
import { createAuth } from "gatehouse";
import { postgresKeyStore } from "gatehouse/stores/postgres";

export const auth = createAuth({
  jwt: {
    secret: process.env.JWT_SECRET,
    algorithms: ["HS256"],
    issuer: "https://api.example.com",
    audience: "api",
    ttl: "15m",
  },
  apiKeys: { store: postgresKeyStore({ connectionString: process.env.DATABASE_URL }) },
  cookie: { name: "access_token" },
});

// A Request carries no client address. Behind a proxy or platform that sets
// X-Forwarded-For itself (and replaces what clients send), its first entry is the client;
// anywhere else, leave clientAddress out and the failure budgets are kept per key id only.
export const clientAddress = (req) =>
  req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || undefined;
