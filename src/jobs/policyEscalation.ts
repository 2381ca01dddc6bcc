import type { Agenda } from "agenda";
import { escalateUnacknowledged } from "../commands/policy/policyRequests.js";
import { WorkspaceModel } from "../models/workspace.js";
import type { JobDeps } from "./deps.js";

export const POLICY_ESCALATION = "policy-escalation";

/** Hourly: QMs get the day's list of people who ignored every policy reminder (once a day). */
export async function escalateAll(deps: JobDeps): Promise<number> {
  let queued = 0;
  for (const workspace of await WorkspaceModel.find({}, { workspaceId: 1 }).lean()) {
    queued += await escalateUnacknowledged(workspace.workspaceId, deps.clock.now());
  }
  return queued;
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(POLICY_ESCALATION, async () => {
    await escalateAll(deps);
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("1 hour", POLICY_ESCALATION);
}
