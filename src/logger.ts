import { type Logger, pino } from "pino";

export type { Logger };

/** Paths that may hold secrets or message bodies; pino replaces them with "[redacted]". */
const redact = [
  "token",
  "*.token",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "headers['x-slack-signature']",
  "uri",
  "*.uri",
];

export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  return pino({
    level,
    redact: { paths: redact, censor: "[redacted]" },
    base: { service: "qops" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true } } } : {}),
  });
}
