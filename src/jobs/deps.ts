import type { Logger } from "../logger.js";
import type { DeliveryCore } from "../outbox/engine.js";
import type { MessagingPort } from "../outbox/port.js";

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What the core offers the scheduled jobs: each is safe to run twice, on several workers. */
export interface Tasks {
  recordReminders(now: Date): Promise<number>;
  syncAllMembers(now: Date): Promise<number>;
  repairPending(now: Date): Promise<{ completed: number; dropped: number }>;
  prune(now: Date): Promise<Record<string, number>>;
  /** Builds evidence packs left queued, or abandoned by a process that died; returns how many. */
  buildEvidencePacks(now: Date): Promise<number>;
}

/** What jobs may use: no chat SDKs, no records; these, handed over by the composition root. */
export interface JobDeps {
  logger: Logger;
  clock: Clock;
  /** How to reach people on each configured platform. */
  ports: Partial<Record<"slack" | "teams", MessagingPort>>;
  /** What the delivery engine asks of the core (drawn messages, recipients). */
  deliveries: DeliveryCore;
  tasks: Tasks;
  /** Names this process in delivery claims. */
  workerId: string;
  /** Aborted when the process is stopping: long-running jobs end early. */
  stopping?: AbortSignal;
}

/** The port for a workspace id (`slack:T…` / `teams:…`), if that platform is configured. */
export function portFor(deps: Pick<JobDeps, "ports">, workspaceId: string): MessagingPort | undefined {
  const platform = workspaceId.split(":")[0] as "slack" | "teams";
  return deps.ports[platform];
}
