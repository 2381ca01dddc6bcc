import type { webApi } from "@slack/bolt";
import type { Core } from "../commands/core.js";
import type { Config } from "../config/index.js";
import type { Clock } from "../jobs/deps.js";
import type { Logger } from "../logger.js";
import type { RequestHandler } from "../server.js";
import { createSlackApp } from "./slack/app.js";
import type { QopsCloudAdapter } from "./teams/adapter.js";
import { createTeamsApp } from "./teams/app.js";

export interface ChatPlatforms {
  routes: Record<string, RequestHandler>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Every chat platform whose variables are set, with its HTTP routes. */
export function createChatPlatforms(deps: {
  config: Config;
  logger: Logger;
  clock: Clock;
  core: Core;
  teamsAdapter?: QopsCloudAdapter;
  slackRetryConfig?: webApi.RetryOptions;
}): ChatPlatforms {
  const routes: Record<string, RequestHandler> = {};
  const started: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  if (deps.config.slack) {
    const slack = createSlackApp(deps.config.slack, {
      logger: deps.logger.child({ platform: "slack" }),
      clock: deps.clock,
      core: deps.core,
      ...(deps.slackRetryConfig ? { retryConfig: deps.slackRetryConfig } : {}),
    });
    if (slack.requestListener) routes["POST /slack/events"] = slack.requestListener;
    started.push(slack);
  }
  if (deps.config.teams && deps.teamsAdapter) {
    const teams = createTeamsApp(deps.config.teams, {
      logger: deps.logger.child({ platform: "teams" }),
      clock: deps.clock,
      core: deps.core,
      adapter: deps.teamsAdapter,
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
