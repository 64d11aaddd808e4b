/** The behaviour-table application for the fastify adapter (filled in with the adapter). */
import type { Fixture } from "./fixture.js";
import type { Running } from "./server-parts.js";

export const fastifyServers: Record<string, (fx: Fixture) => Promise<Running>> = {};
