import type { MessagingPort } from "../bot/ports.js";
import type { Logger } from "../logger.js";

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What jobs may use: no chat SDKs, only these. */
export interface JobDeps {
  logger: Logger;
  clock: Clock;
  /** How to reach people on each configured platform. */
  ports?: Partial<Record<"slack" | "teams", MessagingPort>>;
  /** Names this process in delivery claims. */
  workerId?: string;
  /** Aborted when the process is stopping: long-running jobs end early. */
  stopping?: AbortSignal;
}

/** The port for a workspace id (`slack:T…` / `teams:…`), if that platform is configured. */
export function portFor(deps: JobDeps, workspaceId: string): MessagingPort | undefined {
  const platform = workspaceId.split(":")[0] as "slack" | "teams";
  return deps.ports?.[platform];
}
