/** The behaviour-table application for the fetch adapter (filled in with the adapter). */
import type { Fixture } from "./fixture.js";
import type { Running } from "./server-parts.js";

export const fetchServers: Record<string, (fx: Fixture) => Promise<Running>> = {};
