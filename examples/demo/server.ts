/**
 * The demo API: the Express wiring a user of gatehouse writes, plus the key-management
 * page. In your own app the imports read `from "gatehouse"` and `from "gatehouse/express"`;
 * the demo imports the sources so that it runs from a fresh clone without a publish.
 */
import express from "express";
import type { NextFunction, Request, Response } from "express";
import { join } from "node:path";
import {
  authenticate,
  getCurrentUser,
  keyRoutes,
  requireAuth,
  requireRoles,
  requireScopes,
  tokenRoutes,
} from "../../adapters/express.js";
import { AuthError } from "../../src/index.js";
import type { Auth, Principal } from "../../src/index.js";
import { SERVICE_OWNER, TEAM_OWNER } from "./provision.js";
import type { UserDirectory } from "./users.js";

export interface DemoAppOptions {
  auth: Auth;
  users: UserDirectory;
  /** The folder with index.html and style.css. */
  pageDir: string;
  /** The folder with the compiled page script (app.js). */
  pageBuildDir: string;
}

const REPORTS = [
  { id: "2026-q3", title: "Quarterly usage", rows: 1284 },
  { id: "2026-q4", title: "Key activity", rows: 311 },
];

export function createDemoApp({ auth, users, pageDir, pageBuildDir }: DemoAppOptions) {
  /**
   * The team whose keys a caller manages: a team's own key (or a token minted from it) acts
   * for its team; a person acts for the team the user directory puts them in.
   */
  const teamOf = (principal: Principal): string | null =>
    principal.key && principal.id.startsWith("team:") ? principal.id : users.teamOf(principal.id);

  const app = express();
  app.disable("x-powered-by");

  // The page and the token endpoint come before `authenticate`: a stale cookie from an
  // earlier run (or a reset secret) must not stop anyone from loading the page or logging in.
  app.get("/", (_req, res) => res.sendFile(join(pageDir, "index.html")));
  app.use("/page", express.static(pageBuildDir), express.static(pageDir));
  app.use(
    "/auth",
    tokenRoutes(auth, {
      verifyUser: (username, password) => users.verifyUser(username, password),
      // `cookie=1` in the login form asks for the HttpOnly cookie; API clients get JSON.
      cookie: "on-request",
    }),
  );

  app.use(authenticate(auth, { optional: true }));

  app.get("/api/me", requireAuth(), (req, res) => {
    res.json(getCurrentUser(req));
  });
  app.get("/api/reports", requireScopes("reports:read"), (req, res) => {
    res.json({ caller: getCurrentUser(req)?.id, reports: REPORTS });
  });
  // For the page's admin view: whose keys there are to look at.
  app.get("/api/users", requireRoles("admin"), (_req, res) => {
    res.json({ users: [...users.ids(), SERVICE_OWNER, TEAM_OWNER] });
  });

  // Who is signed in, without a 401 when nobody is: the page asks this on every load.
  app.get("/api/session", (req, res) => {
    const user = getCurrentUser(req);
    res.set("cache-control", "no-store");
    res.json({ user, team: user ? teamOf(user) : null });
  });
  // Your own keys (rotation included: POST /users/keys/:id/rotate).
  app.use("/users/keys", keyRoutes(auth));
  // Your team's keys: every member manages the same keys, owned by the team.
  app.use("/teams/keys", keyRoutes(auth, { owner: teamOf, ownerType: "org" }));

  app.use(answerErrors);
  return app;
}

/** Errors as problem documents: the core's AuthError with its own status, anything else 500. */
function answerErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  if (AuthError.is(error)) {
    res.status(error.status).set(error.headers()).send(JSON.stringify(error.toProblem()));
    return;
  }
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  res
    .status(500)
    .type("application/problem+json")
    .send(JSON.stringify({ title: "Internal error", status: 500 }));
}
