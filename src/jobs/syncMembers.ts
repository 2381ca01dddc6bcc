import type { Agenda } from "agenda";
import type { JobDeps } from "./deps.js";

export const SYNC_MEMBERS = "sync-members";

/** Daily: each workspace's members (names, time zones, who joined or left) from the platform. */
export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(SYNC_MEMBERS, async () => {
    await deps.tasks.syncAllMembers(deps.clock.now());
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("24 hours", SYNC_MEMBERS);
}
