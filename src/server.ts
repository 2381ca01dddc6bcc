import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { databaseReady } from "./db/connection.js";
import type { Logger } from "./logger.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** One HTTP server for everything: health, readiness, and each chat platform's endpoint. */
export function createHttpServer(
  logger: Logger,
  routes: Record<string, RequestHandler>,
  engineAlive: () => boolean = () => true,
): Server {
  const table: Record<string, RequestHandler> = {
    // A supervisor watching this restarts QOps when its embedded database is down for good.
    "GET /healthz": (_req, res) =>
      engineAlive() ? json(res, 200, { status: "ok" }) : json(res, 503, { status: "embedded database down" }),
    "GET /readyz": async (_req, res) => {
      const ready = await databaseReady();
      json(res, ready ? 200 : 503, { status: ready ? "ready" : "database unavailable" });
    },
    ...routes,
  };
  const server = createServer((req, res) => {
    const requestId = (req.headers["x-request-id"] as string | undefined) ?? randomUUID();
    res.setHeader("x-request-id", requestId);
    const path = (req.url ?? "/").split("?")[0];
    const handler = table[`${req.method} ${path}`];
    if (!handler) {
      json(res, 404, { error: "not found" });
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      logger.error({ err: error, requestId, path }, "request failed");
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.end();
    });
  });
  // Behind a load balancer idle connections are reused; keep them a little longer than it does.
  server.keepAliveTimeout = 65_000;
  return server;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
