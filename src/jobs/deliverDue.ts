import { setTimeout as sleep } from "node:timers/promises";
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

/** How long one run keeps delivering: most of the 10 s between runs, so pickup never waits for the next run. */
const RUN_MS = 9_000;
/** After a pass that sent nothing: what falls due meanwhile waits at most this long. */
const IDLE_MS = 500;

/**
 * One run: delivers what is due, then looks again every IDLE_MS until RUN_MS is over (or the
 * worker is stopping), so a reminder is picked up within about a second of falling due rather
 * than at the next run. One run at a time per worker; Agenda's lock gives the job to one worker
 * at a time, and the claims keep any overlap from sending twice.
 */
export async function deliverForAWhile(deps: JobDeps, runMs = RUN_MS): Promise<void> {
  const end = Date.now() + runMs;
  while (Date.now() < end && !deps.stopping?.aborted) {
    const results = await deliverDue(deps, end - Date.now());
    for (const r of results)
      if (r.sent || r.failed) deps.logger.info({ job: DELIVER_DUE, ...r }, "deliveries sent");
    // What falls due while a pass runs is looked for at once; after a pass that sent nothing, a pause.
    if (results.some((r) => r.sent > 0)) continue;
    if (Date.now() + IDLE_MS >= end) break;
    await sleep(IDLE_MS, undefined, deps.stopping ? { signal: deps.stopping } : {}).catch(() => undefined);
  }
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(DELIVER_DUE, () => deliverForAWhile(deps), { concurrency: 1 });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("10 seconds", DELIVER_DUE);
}
