import { SlackMessagingPort } from "../../src/bot/slack/port.js";
import { createTeamsPort } from "../../src/bot/teams/app.js";
import { deliveryCore } from "../../src/commands/deliveries.js";
import { recordReminders, syncAllMembers } from "../../src/commands/tasks.js";
import { loadConfig } from "../../src/config/index.js";
import type { Clock, JobDeps } from "../../src/jobs/deps.js";
import type { Logger } from "../../src/logger.js";

/**
 * What a worker hands its jobs, for a test driving them on its own clock: the real delivery core,
 * the real reminder recording and member sync, and the repair and pruning left out (a test that
 * wants them runs them itself).
 */
export function testJobDeps(
  logger: Logger,
  clock: Clock,
  ports: JobDeps["ports"],
  options: { workerId?: string; stopping?: AbortSignal } = {},
): JobDeps {
  return {
    logger,
    clock,
    ports,
    deliveries: deliveryCore(logger, () => clock.now()),
    tasks: {
      recordReminders: (now) => recordReminders(now, logger),
      syncAllMembers: (now) => syncAllMembers(now, logger),
      repairPending: async () => ({ completed: 0, dropped: 0 }),
      prune: async () => ({}),
      buildEvidencePacks: async () => 0,
    },
    workerId: options.workerId ?? "test-worker",
    ...(options.stopping ? { stopping: options.stopping } : {}),
  };
}

/** The jobs' deps with the Teams port as local mode configures it (no credentials). */
export function teamsJobDeps(logger: Logger, clock: Clock): JobDeps {
  const settings = loadConfig({}).teams;
  if (!settings) throw new Error("local mode gives no Teams settings");
  return testJobDeps(logger, clock, { teams: createTeamsPort(settings, logger).port });
}

/** The jobs' deps with the Slack port pointed at a fake Slack. */
export function slackJobDeps(logger: Logger, clock: Clock, token: string, apiUrl: string): JobDeps {
  return testJobDeps(logger, clock, { slack: new SlackMessagingPort(token, apiUrl, logger) });
}
