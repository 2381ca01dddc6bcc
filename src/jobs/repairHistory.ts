import type { Agenda } from "agenda";
import { subHours } from "date-fns";
import { repairSince } from "../db/repair.js";
import type { JobDeps } from "./deps.js";

export const REPAIR_HISTORY = "repair-history";

/** Every 10 minutes, fold the last day's events into any document a crash left behind. */
export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(REPAIR_HISTORY, async () => {
    const result = await repairSince(subHours(deps.clock.now(), 24));
    deps.logger.debug({ job: REPAIR_HISTORY, ...result }, "history repair pass");
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("10 minutes", REPAIR_HISTORY);
}
