import type { Agenda } from "agenda";
import { type PassResult, runDeliveryPass } from "./deliveryEngine.js";
import { type JobDeps, portFor } from "./deps.js";

export const DELIVER_DUE = "deliver-due";

const PASS_SIZE = 500;

/**
 * Sends what is due, per platform, through the messaging ports; safe to run on every worker.
 * With `budgetMs`, keeps passing while there is a backlog (a publication to thousands), so the
 * rate is the platform's, not one pass per job run.
 */
export async function deliverDue(deps: JobDeps, budgetMs = 0): Promise<PassResult[]> {
  const results: PassResult[] = [];
  const end = Date.now() + budgetMs;
  for (const [platform, port] of Object.entries(deps.ports ?? {})) {
    if (!port) continue;
    for (;;) {
      const result = await runDeliveryPass(
        { ...deps, port, workerId: deps.workerId ?? `${platform}-worker` },
        PASS_SIZE,
        (workspaceId) => portFor(deps, workspaceId) === port,
      );
      results.push(result);
      const handled =
        result.sent + result.failed + result.uncertain + result.retried + result.deferred + result.skipped;
      // A short pass means nothing more is due; a pass that only waited (rate limit) ends it too.
      if (handled < PASS_SIZE || result.sent === 0 || Date.now() >= end) break;
    }
  }
  return results;
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(DELIVER_DUE, async () => {
    // Under the 10 s schedule, so runs do not pile up.
    const results = await deliverDue(deps, 8_000);
    for (const r of results)
      if (r.sent || r.failed) deps.logger.info({ job: DELIVER_DUE, ...r }, "deliveries sent");
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("10 seconds", DELIVER_DUE);
}
