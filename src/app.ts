import type { Server } from "node:http";
import { hostname } from "node:os";
import type { webApi } from "@slack/bolt";
import type { Agenda } from "agenda";
import { subHours } from "date-fns";
import mongoose from "mongoose";
import { createChatPlatforms } from "./bot/index.js";
import { SlackMessagingPort } from "./bot/slack/messagingPort.js";
import { createTeamsPort } from "./bot/teams/app.js";
import type { Config } from "./config/index.js";
import { connectDatabase, disconnectDatabase } from "./db/connection.js";
import { type DatabaseEngine, startDatabaseEngine } from "./db/engine.js";
import { repairSince } from "./db/repair.js";
import { type Clock, systemClock } from "./jobs/deps.js";
import { createScheduler, startScheduler } from "./jobs/index.js";
import type { Logger } from "./logger.js";
import { closeServer, createHttpServer, listen } from "./server.js";

export interface RunningApp {
  port: number;
  engine: DatabaseEngine;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Database name override (tests give each file its own). */
  dbName?: string;
  /** Throwaway embedded database instead of the one under QOPS_DATA_DIR. */
  ephemeral?: boolean;
  /** Slack Web API retry policy (tests use a fast one). */
  slackRetryConfig?: webApi.RetryOptions;
}

/** Starts QOps: database, HTTP server (web role), Agenda (worker role). */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const engine = await startDatabaseEngine({
    mongodbUri: config.mongodbUri,
    dataDir: options.ephemeral ? undefined : config.dataDir,
    engine: config.embeddedEngine,
    ferretdbBin: config.ferretdbBin,
    logger,
  });
  await connectDatabase(engine.uri, options.dbName, engine.kind);
  const repaired = await repairSince(subHours(clock.now(), 24));
  logger.info({ engine: engine.kind, ...repaired }, "database ready");

  let server: Server | undefined;
  let port = 0;
  // One messaging port per platform, shared by the chat handlers and the jobs.
  const teams = config.teams
    ? createTeamsPort(config.teams, logger.child({ port: "teams" }), clock)
    : undefined;
  const ports = {
    ...(config.slack
      ? {
          slack: new SlackMessagingPort(
            config.slack.botToken,
            config.slack.apiUrl,
            logger.child({ port: "slack" }),
          ),
        }
      : {}),
    ...(teams ? { teams: teams.port } : {}),
  };
  const platforms = createChatPlatforms({
    config,
    logger,
    clock,
    ports,
    teams,
    slackRetryConfig: options.slackRetryConfig,
  });
  if (config.role !== "worker") {
    server = createHttpServer(logger, platforms.routes);
    port = await listen(server, config.port, config.host);
    await platforms.start();
    logger.info(
      {
        port,
        host: config.host,
        slack: Boolean(config.slack),
        teams: config.teams ? (config.localMode ? "local mode (no authentication)" : "authenticated") : false,
      },
      "listening",
    );
  }

  const db = mongoose.connection.db;
  if (!db) throw new Error("database connection has no db handle");
  const stopping = new AbortController();
  const agenda: Agenda = createScheduler(db, {
    logger,
    clock,
    ports,
    workerId: `${hostname()}:${process.pid}`,
    stopping: stopping.signal,
  });
  const processing = config.role !== "web";
  await startScheduler(agenda, { logger, clock }, { process: processing });

  return {
    port,
    engine,
    async stop() {
      if (server) await closeServer(server);
      await platforms.stop();
      // Let running jobs finish (or release their locks) before the database goes away.
      if (processing) {
        stopping.abort();
        await agenda.drain({ timeout: 10_000 });
        await agenda.stop(false);
      }
      await disconnectDatabase();
      await engine.stop();
    },
  };
}
