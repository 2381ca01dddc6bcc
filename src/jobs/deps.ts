import type { Logger } from "../logger.js";

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What jobs may use: no chat SDKs, only these. */
export interface JobDeps {
  logger: Logger;
  clock: Clock;
}
