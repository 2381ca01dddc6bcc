import { App, HTTPReceiver, LogLevel, webApi } from "@slack/bolt";
import type { SlackSettings } from "../../config/index.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import type { RequestHandler } from "../../server.js";
import { register as registerButtons } from "./actions/buttons.js";
import { register as registerComplaint } from "./commands/complaint.js";
import { register as registerIdea } from "./commands/idea.js";
import { register as registerQms } from "./commands/qms.js";
import { register as registerHome } from "./home/appHome.js";
import { SlackNotifier } from "./notify.js";
import type { SlackDeps } from "./requestContext.js";
import { register as registerShortcut } from "./shortcuts/logComplaint.js";
import { register as registerViews } from "./views/submissions.js";

export interface SlackAppOptions {
  logger: Logger;
  clock: Clock;
  /** Web API retry policy; production uses the client's default (ten retries in ~30 min). */
  retryConfig?: webApi.RetryOptions;
}

export interface SlackApp {
  app: App;
  /** Mounted at POST /slack/events; undefined in Socket Mode. */
  requestListener: RequestHandler | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Bolt's logger interface on top of pino, so Bolt never writes to the console directly. */
function boltLogger(logger: Logger) {
  const child = logger.child({ component: "bolt" });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(" ")),
    info: (...msg: unknown[]) => child.debug(msg.map(String).join(" ")),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(" ")),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(" ")),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

export function createSlackApp(settings: SlackSettings, options: SlackAppOptions): SlackApp {
  const logger = boltLogger(options.logger);
  const clientOptions = {
    slackApiUrl: settings.apiUrl,
    timeout: 10_000,
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
  };
  const socketMode = Boolean(settings.appToken);
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: settings.signingSecret,
        endpoints: "/slack/events",
        logger,
        // Answer Slack first; work that follows never holds the 3-second acknowledgement.
        processBeforeResponse: false,
      });
  const app = new App({
    // A single-workspace bot token: no auth.test round trip per request (Bolt's default
    // authorization would call it), the token is checked by every call it makes.
    authorize: async () => ({ botToken: settings.botToken }),
    logger,
    clientOptions,
    ...(receiver
      ? { receiver }
      : { socketMode: true, appToken: settings.appToken, signingSecret: settings.signingSecret }),
  });
  app.error(async (error) => {
    options.logger.error({ err: error }, "unhandled error in a Slack listener");
  });

  const client = new webApi.WebClient(settings.botToken, { ...clientOptions, logger });
  const deps: SlackDeps = { client, logger: options.logger, clock: options.clock };
  const notifier = new SlackNotifier(deps);
  registerComplaint(app, deps);
  registerIdea(app, deps);
  registerQms(app, deps);
  registerButtons(app, deps, notifier);
  registerViews(app, deps, notifier);
  registerShortcut(app, deps);
  registerHome(app, deps, notifier);

  return {
    app,
    requestListener: receiver ? (req, res) => receiver.requestListener(req, res) : undefined,
    start: async () => {
      if (socketMode) await app.start();
    },
    stop: async () => {
      if (socketMode) await app.stop();
    },
  };
}
