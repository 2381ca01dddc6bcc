import type { Server } from "node:http";
import { hostname } from "node:os";
import type { webApi } from "@slack/bolt";
import type { Agenda } from "agenda";
import mongoose from "mongoose";
import { createChatPlatforms } from "./bot/index.js";
import { SlackMessagingPort } from "./bot/slack/port.js";
import type { QopsCloudAdapter } from "./bot/teams/adapter.js";
import { createTeamsPort } from "./bot/teams/app.js";
import { createCore } from "./commands/core.js";
import { deliveryCore } from "./commands/deliveries.js";
import { prune, recordReminders, repairPending, syncAllMembers } from "./commands/tasks.js";
import type { Config } from "./config/index.js";
import { CHART_PATH, chartRoute } from "./dashboard/chartLinks.js";
import { dashboardRoutes } from "./dashboard/http.js";
import { connectDatabase, disconnectDatabase } from "./db/connection.js";
import { type DatabaseEngine, startDatabaseEngine } from "./db/engine.js";
import { setDbLogger } from "./db/warnings.js";
import { setPackKick } from "./evidence/command.js";
import { evidenceDownload } from "./evidence/http.js";
import { PackBuilder } from "./evidence/runner.js";
import { DOWNLOAD_PATH } from "./evidence/settings.js";
import { type Clock, type JobDeps, portFor, systemClock } from "./jobs/deps.js";
import { createScheduler, startScheduler } from "./jobs/index.js";
import type { Logger } from "./logger.js";
import { contactsOf, rememberContact } from "./outbox/contacts.js";
import { Dispatcher } from "./outbox/dispatch.js";
import { setKick } from "./outbox/enqueue.js";
import type { MessagingPort } from "./outbox/port.js";
import { setEffectsClock, setEffectsLogger } from "./records/effects.js";
import { setDirectory } from "./records/member/directory.js";
import { closeServer, createHttpServer, listen } from "./server.js";
import { setWebSettings } from "./web/settings.js";

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
  /** Slack Web API retry policy for the adapter's own calls (tests use a fast one). */
  slackRetryConfig?: webApi.RetryOptions;
  /** The embedded database died for good: the process should exit non-zero (main.ts does). */
  onFatal?: (error: Error) => void;
}

/**
 * Starts QOps: database, the core, the messaging ports, the HTTP server (web role), Agenda
 * (worker role). This is the one place that wires the layers together: the adapters get the
 * core, the jobs get the core's tasks and the ports; neither imports the other.
 */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const engine = await startDatabaseEngine({
    mongodbUri: config.mongodbUri,
    dataDir: options.ephemeral ? undefined : config.dataDir,
    engine: config.embeddedEngine,
    ferretdbBin: config.ferretdbBin,
    logger,
    onFatal: (error) => {
      logger.fatal({ err: error }, "the embedded database could not be restarted; QOps stops");
      options.onFatal?.(error);
    },
  });
  await connectDatabase(engine.uri, options.dbName, engine.kind);
  setDbLogger(logger);
  setEffectsLogger(logger);
  setEffectsClock(() => clock.now());
  const core = createCore(logger);
  const repaired = await repairPending(clock.now(), logger);
  logger.info({ engine: engine.kind, ...repaired }, "database ready");

  // One messaging port per platform, shared by the delivery engine in every role.
  let teamsAdapter: QopsCloudAdapter | undefined;
  const ports: Partial<Record<"slack" | "teams", MessagingPort>> = {};
  if (config.slack)
    ports.slack = new SlackMessagingPort(
      config.slack.botToken,
      config.slack.apiUrl,
      logger.child({ port: "slack" }),
    );
  if (config.teams) {
    const teams = createTeamsPort(config.teams, logger.child({ port: "teams" }));
    teamsAdapter = teams.adapter;
    ports.teams = teams.port;
  }
  const deliveries = deliveryCore(logger, () => clock.now());
  setDirectory(async (workspaceId) => {
    const port = portFor({ ports }, workspaceId);
    if (!port) return [];
    const { members, contacts } = await port.listMembers(workspaceId, await contactsOf(workspaceId));
    for (const c of contacts)
      await rememberContact(workspaceId, port.platform, "roster", c.userId, c.reference, clock.now());
    return members;
  });
  const workerId = `${hostname()}:${process.pid}`;
  const dispatcher = new Dispatcher(
    Object.fromEntries(
      Object.entries(ports).map(([platform, port]) => [
        platform,
        {
          logger,
          clock,
          port: port as MessagingPort,
          core: deliveries,
          workerId: `${workerId}|now|${platform}`,
        },
      ]),
    ),
    logger,
  );
  setKick((ids) => dispatcher.push(ids));
  const packs = new PackBuilder(logger, () => clock.now(), workerId);
  setPackKick((id) => packs.kick(id));

  let server: Server | undefined;
  let port = 0;
  const platforms = createChatPlatforms({
    config,
    logger,
    clock,
    core,
    ...(teamsAdapter ? { teamsAdapter } : {}),
    ...(options.slackRetryConfig ? { slackRetryConfig: options.slackRetryConfig } : {}),
  });
  if (config.role !== "worker") {
    const routes = {
      ...platforms.routes,
      [`GET ${DOWNLOAD_PATH}`]: evidenceDownload(logger, () => clock.now()),
      ...dashboardRoutes(() => clock.now()),
      [`GET ${CHART_PATH}`]: chartRoute(() => clock.now()),
    };
    server = createHttpServer(logger, routes, () => engine.alive());
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

  setWebSettings({
    publicUrl: config.publicUrl ?? `http://localhost:${port || config.port}`,
    publicUrlSet: Boolean(config.publicUrl),
    linkHours: config.evidenceLinkHours,
  });

  const db = mongoose.connection.db;
  if (!db) throw new Error("database connection has no db handle");
  const stopping = new AbortController();
  const jobDeps: JobDeps = {
    logger,
    clock,
    ports,
    deliveries,
    workerId,
    stopping: stopping.signal,
    tasks: {
      recordReminders: (now) => recordReminders(now, logger),
      syncAllMembers: (now) => syncAllMembers(now, logger),
      repairPending: (now) => repairPending(now, logger),
      prune: (now) => prune(now),
      buildEvidencePacks: () => packs.runDue(),
    },
  };
  const agenda: Agenda = createScheduler(db, jobDeps);
  const processing = config.role !== "web";
  await startScheduler(agenda, { logger }, { process: processing });

  return {
    port,
    engine,
    async stop() {
      if (server) await closeServer(server);
      await platforms.stop();
      setKick(undefined);
      setPackKick(undefined);
      await packs.idle();
      await dispatcher.idle();
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
