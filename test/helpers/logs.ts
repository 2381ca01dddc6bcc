import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "../../src/logger.js";

/** A debug logger whose JSON lines land in `logs`, for tests that check what the app logged. */
export function capturingLogger(logs: Record<string, unknown>[]): Logger {
  let partial = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      // A chunk may end mid-line; keep the rest for the next one.
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines.filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: "debug" }, sink);
}
