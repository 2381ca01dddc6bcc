import type { Agenda } from "agenda";
import type { JobDeps } from "./deps.js";

export const PRUNE = "prune-working-rows";

/** Daily: the delivery engine's working rows after their retention; sent and failed deliveries stay. */
export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(PRUNE, async () => {
    const pruned = await deps.tasks.prune(deps.clock.now());
    deps.logger.info({ job: PRUNE, ...pruned }, "working rows pruned");
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("24 hours", PRUNE);
}
