import { setTimeout as sleep } from "node:timers/promises";
import type { Agenda, Job } from "agenda";
import { type PassResult, runDeliveryPass } from "../outbox/engine.js";
import { type JobDeps, portFor } from "./deps.js";

export const DELIVER_DUE = "deliver-due";

const PASS_SIZE = 500;
/**
 * The job's lock lasts this long without a touch (each pass touches it): if the worker holding
 * it dies, another worker takes the job over within this plus Agenda's 5-second look, not the
 * 10 minutes of Agenda's default.
 */
export const DELIVER_LOCK_MS = 15_000;

/**
 * Sends what is due, per platform, through the messaging ports. With `budgetMs`, keeps passing
 * while there is a backlog (a publication to thousands), so the rate is the platform's.
 */
export async function deliverDue(
  deps: JobDeps,
  budgetMs = 0,
  touch?: () => Promise<void>,
): Promise<PassResult[]> {
  const results: PassResult[] = [];
  const end = Date.now() + budgetMs;
  for (const [platform, port] of Object.entries(deps.ports)) {
    if (!port) continue;
    for (;;) {
      const result = await runDeliveryPass(
        {
          logger: deps.logger,
          clock: deps.clock,
          port,
          core: deps.deliveries,
          workerId: `${deps.workerId}|${platform}`,
        },
        PASS_SIZE,
        (workspaceId) => portFor(deps, workspaceId) === port,
      );
      results.push(result);
      await touch?.();
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
 * worker is stopping), touching the job's lock after every pass. One run at a time; Agenda's lock
 * gives the job to one worker at a time, and the claims keep any overlap from sending twice.
 */
export async function deliverForAWhile(
  deps: JobDeps,
  runMs = RUN_MS,
  touch?: () => Promise<void>,
): Promise<void> {
  const end = Date.now() + runMs;
  while (Date.now() < end && !deps.stopping?.aborted) {
    const results = await deliverDue(deps, end - Date.now(), touch);
    for (const r of results)
      if (r.sent || r.failed) deps.logger.info({ job: DELIVER_DUE, ...r }, "deliveries sent");
    if (results.some((r) => r.sent > 0)) continue;
    if (Date.now() + IDLE_MS >= end) break;
    await sleep(IDLE_MS, undefined, deps.stopping ? { signal: deps.stopping } : {}).catch(() => undefined);
    await touch?.();
  }
}

export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(
    DELIVER_DUE,
    async (job: Job) => {
      await deliverForAWhile(deps, RUN_MS, () => job.touch());
    },
    { concurrency: 1, lockLifetime: DELIVER_LOCK_MS },
  );
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("10 seconds", DELIVER_DUE);
}
