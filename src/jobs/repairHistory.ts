import type { Agenda } from "agenda";
import type { JobDeps } from "./deps.js";

export const REPAIR_HISTORY = "repair-history";

/** Every minute: finishes the changes a crash left half-done (their pending follow-ups), however old. */
export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(REPAIR_HISTORY, async () => {
    await deps.tasks.repairPending(deps.clock.now());
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("1 minute", REPAIR_HISTORY);
}
