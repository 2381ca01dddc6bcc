import type { Agenda } from "agenda";
import { syncMembers } from "../commands/policy/policyRequests.js";
import { WorkspaceModel } from "../models/workspace.js";
import { type JobDeps, portFor } from "./deps.js";

export const SYNC_MEMBERS = "sync-members";

/** Daily: each workspace's members (names, time zones, who joined or left) from the platform. */
export async function syncAllMembers(deps: JobDeps): Promise<number> {
  let added = 0;
  for (const workspace of await WorkspaceModel.find({}, { workspaceId: 1, includeGuests: 1 }).lean()) {
    const port = portFor(deps, workspace.workspaceId);
    if (!port) continue;
    try {
      const members = await port.listMembers(workspace.workspaceId);
      added += await syncMembers(
        workspace.workspaceId,
        members,
        deps.clock.now(),
        Boolean(workspace.includeGuests),
      );
    } catch (error) {
      deps.logger.error(
        { err: error, workspaceId: workspace.workspaceId },
        "member sync failed; will retry next run",
      );
    }
  }
  return added;
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(SYNC_MEMBERS, async () => {
    await syncAllMembers(deps);
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("24 hours", SYNC_MEMBERS);
}
