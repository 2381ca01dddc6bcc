import { setTimeout as sleep } from "node:timers/promises";
import { MongoBackend } from "@agendajs/mongo-backend";
import { Agenda } from "agenda";
import type { Db } from "mongodb";
import { withTimeout } from "../util/timeout.js";
import * as deliverDue from "./deliverDue.js";
import type { JobDeps } from "./deps.js";
import * as evidencePacks from "./evidencePacks.js";
import * as prune from "./prune.js";
import * as recordReminders from "./recordReminders.js";
import * as repairHistory from "./repairHistory.js";
import * as syncMembers from "./syncMembers.js";

const jobs = [repairHistory, deliverDue, syncMembers, recordReminders, prune, evidencePacks];

/** Agenda on QOps's own connection, with every job defined. */
export function createScheduler(db: Db, deps: JobDeps): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: "agenda_jobs" }),
    // Each job's lastModifiedBy names the worker (host:pid) that holds or last ran it.
    name: deps.workerId,
    processEvery: "5 seconds",
  });
  agenda.on("error", (error: Error) => deps.logger.error({ err: error }, "scheduler error"));
  agenda.on("fail", (error: Error, job) => {
    deps.logger.error({ err: error, job: job.attrs.name }, "job failed");
  });
  for (const job of jobs) job.define(agenda, deps);
  return agenda;
}

/**
 * Records the recurring jobs (every role does, so a web-only deployment still has them for its
 * workers) and, for a worker, starts processing. Several workers share the jobs through
 * Agenda's locks; the jobs themselves are safe to run twice.
 */
export async function startScheduler(
  agenda: Agenda,
  deps: Pick<JobDeps, "logger">,
  options: { process: boolean },
): Promise<void> {
  for (const job of jobs) await job.schedule(agenda);
  if (options.process) void startProcessing(agenda, deps);
}

/**
 * Agenda's start() never settles when the database is unreachable (the failure surfaces as an
 * unhandled rejection, which main.ts logs). Start in the background with a deadline and keep
 * trying, so an outage at start-up is logged and retried, not a hang of the whole process.
 */
async function startProcessing(agenda: Agenda, deps: Pick<JobDeps, "logger">): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await withTimeout(agenda.start(), 30_000, "scheduler start");
      return;
    } catch (error) {
      deps.logger.error({ err: error, attempt }, "scheduler could not start; retrying in 10 s");
      await sleep(10_000);
    }
  }
}
