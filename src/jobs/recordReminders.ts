import type { Agenda } from "agenda";
import type { JobDeps } from "./deps.js";

export const RECORD_REMINDERS = "record-reminders";

/**
 * Hourly: records every reminder that is due (actions, complaints, audits, reviews, documents,
 * objectives, nonconforming outputs), the escalations, and the next weekly digest. Each is keyed
 * by its record, day and step, so running this on every worker records each once.
 */
export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(RECORD_REMINDERS, async () => {
    await deps.tasks.recordReminders(deps.clock.now());
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("1 hour", RECORD_REMINDERS);
}
