import type { webApi } from "@slack/bolt";
import type { Config } from "../config/index.js";
import type { Clock } from "../jobs/deps.js";
import type { Logger } from "../logger.js";
import type { RequestHandler } from "../server.js";
import type { MessagingPort } from "./ports.js";
import { createSlackApp } from "./slack/app.js";
import { createTeamsApp } from "./teams/app.js";
import type { BotConnector } from "./teams/connector.js";
import type { TeamsMessagingPort } from "./teams/messagingPort.js";

export interface PlatformDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  slackRetryConfig?: webApi.RetryOptions;
  ports: Partial<Record<"slack" | "teams", MessagingPort>>;
  /** The Teams connector and port, shared with the jobs; set when Teams is configured. */
  teams?: { connector: BotConnector; port: TeamsMessagingPort };
}

export interface ChatPlatforms {
  routes: Record<string, RequestHandler>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Every chat platform whose variables are set, with its HTTP routes. */
export function createChatPlatforms(deps: PlatformDeps): ChatPlatforms {
  const routes: Record<string, RequestHandler> = {};
  const started: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  if (deps.config.slack) {
    const slack = createSlackApp(deps.config.slack, {
      logger: deps.logger.child({ platform: "slack" }),
      clock: deps.clock,
      retryConfig: deps.slackRetryConfig,
      port: deps.ports.slack,
    });
    if (slack.requestListener) routes["POST /slack/events"] = slack.requestListener;
    started.push(slack);
  }
  if (deps.config.teams && deps.teams) {
    const teams = createTeamsApp(deps.config.teams, {
      logger: deps.logger.child({ platform: "teams" }),
      clock: deps.clock,
      connector: deps.teams.connector,
      port: deps.teams.port,
    });
    routes["POST /api/messages"] = teams.requestListener;
    started.push(teams);
  }
  return {
    routes,
    start: async () => {
      for (const p of started) await p.start();
    },
    stop: async () => {
      for (const p of started) await p.stop();
    },
  };
}
