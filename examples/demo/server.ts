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
import type { Auth } from "../../src/index.js";
import { SERVICE_OWNER } from "./provision.js";
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
    res.json({ users: [...users.ids(), SERVICE_OWNER] });
  });

  // Rotation is not one of the mountable key routes (they follow the FastAPI seed's five
  // plus three), so the demo adds it with the key manager: same owner check, same actor.
  app.post("/users/keys/:id/rotate", requireAuth(), (req: Request, res: Response, next) => {
    const caller = getCurrentUser(req)!;
    auth.keys
      .rotate(caller.id, String(req.params.id), { overlap: 0 }, caller)
      .then((created) => {
        if (!created) {
          res.status(404).type("application/problem+json");
          // The same answer as the key routes give: another user's key is a 404 as well.
          const problem = {
            title: "Not found",
            status: 404,
            detail: "No such key.",
            code: "not_found",
          };
          res.send(JSON.stringify(problem));
          return;
        }
        res
          .status(201)
          .set("cache-control", "no-store")
          .json({ key: created.key, record: created.record });
      })
      .catch(next);
  });
  app.use("/users/keys", keyRoutes(auth));

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
