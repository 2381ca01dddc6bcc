// Signal handlers come before anything is loaded: a SIGTERM that arrives while QOps is still
// loading or starting waits for the start, then stops cleanly (exit 0), never mid-write.
type Stoppable = { stop(): Promise<void> };
let starting: Promise<Stoppable | undefined> = Promise.resolve(undefined);
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    const app = await starting;
    await app?.stop();
    process.exit(0);
  } catch (error) {
    process.stderr.write(`QOps shutdown after ${signal} failed: ${String(error)}\n`);
    process.exit(1);
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

const { ConfigError, loadConfig } = await import("./config/index.js");
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(
      `QOps cannot start: ${error.message}\nSee .env.example and README.md for every variable.\n`,
    );
    process.exit(2);
  }
  throw error;
}

const { createLogger } = await import("./logger.js");
const logger = createLogger(config.logLevel);
process.on("unhandledRejection", (reason) => {
  logger.error({ err: reason }, "unhandled rejection");
});

const { startApp } = await import("./app.js");
starting = startApp({
  config,
  logger,
  // The embedded database died for good: exit non-zero, so the supervisor restarts QOps.
  onFatal: () => process.exit(1),
});
try {
  await starting;
} catch (error) {
  logger.fatal({ err: error }, "QOps could not start");
  process.exit(1);
}
