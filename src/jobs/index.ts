import { MongoBackend } from "@agendajs/mongo-backend";
import { Agenda } from "agenda";
import type { Db } from "mongodb";
import type { JobDeps } from "./deps.js";
import * as repairHistory from "./repairHistory.js";

const jobs = [repairHistory];

/** Agenda on QOps's own connection, with every job defined. */
export function createScheduler(db: Db, deps: JobDeps, options: { process: boolean }): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: "agenda_jobs" }),
    processEvery: options.process ? "5 seconds" : "1 day",
  });
  agenda.on("error", (error: Error) => deps.logger.error({ err: error }, "scheduler error"));
  agenda.on("fail", (error: Error, job) => {
    deps.logger.error({ err: error, job: job.attrs.name }, "job failed");
  });
  for (const job of jobs) job.define(agenda, deps);
  return agenda;
}

export async function startScheduler(agenda: Agenda): Promise<void> {
  await agenda.start();
  for (const job of jobs) await job.schedule(agenda);
}
