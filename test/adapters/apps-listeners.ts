/**
 * The fetch and nestjs applications as plain request listeners, for the tests that serve
 * every framework through `withServer`, as `fastifyListener` does for Fastify.
 */
import type { RequestListener } from "node:http";
import type { DynamicModule, INestApplication, Type } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter } from "@nestjs/platform-fastify";
import type { FastifyInstance } from "fastify";
import { fastifyListener } from "./servers-fastify.js";
import { send, toRequest } from "./servers-fetch.js";

/** A web handler; `null` is answered 404, as a runtime's router would for a path it lacks. */
export type WebHandler = (req: Request) => Response | null | Promise<Response | null>;

/** `handler` behind a node:http → `Request` bridge; what it throws answers a plain 500. */
export function fetchListener(handler: WebHandler): RequestListener {
  return (req, res) => {
    Promise.resolve()
      .then(() => handler(toRequest(req)))
      .then((answer) => send(res, answer ?? new Response("not found", { status: 404 })))
      .catch(() => send(res, new Response("handler failed", { status: 500 })))
      .catch(() => res.destroy());
  };
}

export type NestPlatform = "express" | "fastify";

const nestApps = new Set<Promise<INestApplication>>();

/**
 * `module` as a Nest application on `platform`, initialised but not listening: requests
 * wait for it, then go to the platform's own app. A failed start answers 500 with its
 * message, so that a test shows it.
 */
export function nestListener(
  module: Type<unknown> | DynamicModule,
  platform: NestPlatform,
): RequestListener {
  const app = NestFactory.create(
    module,
    platform === "express" ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  ).then(async (made) => {
    await made.init();
    return made;
  });
  nestApps.add(app);
  const listener = app.then((made): RequestListener => {
    const instance: unknown = made.getHttpAdapter().getInstance();
    return platform === "express"
      ? (instance as RequestListener)
      : fastifyListener(instance as FastifyInstance);
  });
  return (req, res) => {
    listener.then(
      (handle) => void handle(req, res),
      (error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      },
    );
  };
}

/** Closes the Nest applications that {@link nestListener} made. */
export async function closeNestApps(): Promise<void> {
  const apps = [...nestApps];
  nestApps.clear();
  await Promise.allSettled(apps.map(async (app) => (await app).close()));
}
