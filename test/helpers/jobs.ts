import { deliveryCore } from "../../src/commands/deliveries.js";
import { recordReminders, syncAllMembers } from "../../src/commands/tasks.js";
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
    },
    workerId: options.workerId ?? "test-worker",
    ...(options.stopping ? { stopping: options.stopping } : {}),
  };
}
