import { startApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { createLogger } from "./logger.js";

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

const logger = createLogger(config.logLevel);
process.on("unhandledRejection", (reason) => {
  logger.error({ err: reason }, "unhandled rejection");
});

try {
  const app = await startApp({ config, logger });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    try {
      await app.stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
} catch (error) {
  logger.fatal({ err: error }, "QOps could not start");
  process.exit(1);
}
