import type { Logger } from "../logger.js";

/**
 * Where the database layer reports what it recovers from on its own (a snapshot it could not
 * store, a marker write that failed): logged with the cause, never swallowed.
 */
let logger: Logger | undefined;

export function setDbLogger(next: Logger): void {
  logger = next;
}

export function dbWarning(error: unknown, message: string, context: Record<string, unknown> = {}): void {
  logger?.warn({ err: error, ...context }, message);
}
