/**
 * A server under benchmark, in its own process like `npm start`: `qops` (configured from the
 * environment) or `bare` (a Bolt app that only acknowledges). Prints "port N" when listening.
 */
import { createServer } from "node:http";
import { App, HTTPReceiver } from "@slack/bolt";
import { startApp } from "../src/app.js";
import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/logger.js";

const mode = process.argv[2];
if (mode === "qops") {
  const app = await startApp({
    config: loadConfig(),
    logger: createLogger("warn", false),
    dbName: process.env.BENCH_DB,
  });
  process.stdout.write(`port ${app.port}\n`);
  process.on("SIGTERM", () => void app.stop().then(() => process.exit(0)));
} else if (mode === "bare-teams") {
  // botbuilder's CloudAdapter in local mode, answering nothing but an empty invoke response.
  const { CloudAdapter, ConfigurationBotFrameworkAuthentication } = await import("botbuilder");
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const wrapped = {
        status: (code: number) => {
          res.statusCode = code;
        },
        header: (name: string, value: unknown) => res.setHeader(name, String(value)),
        send: (payload: unknown) => {
          res.setHeader("content-type", "application/json");
          res.write(typeof payload === "string" ? payload : JSON.stringify(payload));
        },
        end: () => res.end(),
        socket: res.socket,
      };
      void adapter.process(
        { body, headers: req.headers, method: req.method } as never,
        wrapped as never,
        async (turn) => {
          if (turn.activity.type === "invoke")
            await turn.sendActivity({ type: "invokeResponse", value: { status: 200, body: {} } });
        },
      );
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`port ${typeof address === "object" && address ? address.port : 0}\n`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
} else {
  const receiver = new HTTPReceiver({
    signingSecret: process.env.SLACK_SIGNING_SECRET ?? "",
    endpoints: "/slack/events",
  });
  const app = new App({ receiver, authorize: async () => ({ botToken: process.env.SLACK_BOT_TOKEN ?? "" }) });
  app.command("/complaint", async ({ ack }) => {
    await ack();
  });
  const server = createServer((req, res) => receiver.requestListener(req, res));
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`port ${typeof address === "object" && address ? address.port : 0}\n`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
