import type { Agenda } from "agenda";
import { type PassResult, runDeliveryPass } from "./deliveryEngine.js";
import { type JobDeps, portFor } from "./deps.js";

export const DELIVER_DUE = "deliver-due";

/** Sends what is due, per platform, through the messaging ports; safe to run on every worker. */
export async function deliverDue(deps: JobDeps): Promise<PassResult[]> {
  const results: PassResult[] = [];
  for (const [platform, port] of Object.entries(deps.ports ?? {})) {
    if (!port) continue;
    results.push(
      await runDeliveryPass(
        { ...deps, port, workerId: deps.workerId ?? `${platform}-worker` },
        200,
        (workspaceId) => portFor(deps, workspaceId) === port,
      ),
    );
  }
  return results;
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(DELIVER_DUE, async () => {
    const results = await deliverDue(deps);
    for (const r of results)
      if (r.sent || r.failed) deps.logger.info({ job: DELIVER_DUE, ...r }, "deliveries sent");
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("10 seconds", DELIVER_DUE);
}
