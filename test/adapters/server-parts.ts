/**
 * What every behaviour-table application shares: a real server on 127.0.0.1, port 0, with a
 * close that does not wait for idle keep-alives, and the token-route options.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Fixture } from "./fixture.js";

export interface Running {
  url: string;
  close(): Promise<void>;
}

export function listen(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export const tokenOptions = (fx: Fixture) => ({
  verifyUser: fx.verifyUser,
  cookie: "on-request" as const,
  // Throttling has its own tests; here it would couple rows that fail on purpose.
  attempts: false as const,
});
