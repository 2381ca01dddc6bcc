import type { Config } from "../config/index.js";
import type { Clock } from "../jobs/deps.js";
import type { Logger } from "../logger.js";
import type { RequestHandler } from "../server.js";

export interface PlatformDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
}

/** The HTTP routes of every chat platform whose variables are set. */
export async function mountChatPlatforms(_deps: PlatformDeps): Promise<Record<string, RequestHandler>> {
  return {};
}
