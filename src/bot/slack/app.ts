import { App, HTTPReceiver, LogLevel, webApi } from "@slack/bolt";
import type { SlackSettings } from "../../config/index.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import type { RequestHandler } from "../../server.js";
import { InFlight } from "../../util/inFlight.js";
import type { MessagingPort } from "../ports.js";
import { register as registerButtons } from "./actions/buttons.js";
import { register as registerCalendar } from "./commands/calendar.js";
import { register as registerComplaint } from "./commands/complaint.js";
import { register as registerIdea } from "./commands/idea.js";
import { register as registerPolicy } from "./commands/policy.js";
import { register as registerQms } from "./commands/qms.js";
import { register as registerHome } from "./home/appHome.js";
import { SlackMessagingPort } from "./messagingPort.js";
import { SlackNotifier } from "./notify.js";
import type { SlackDeps } from "./requestContext.js";
import { type RegistrationKind, routed } from "./router.js";
import { register as registerShortcut } from "./shortcuts/logComplaint.js";
import { register as registerViews } from "./views/submissions.js";

export interface SlackAppOptions {
  logger: Logger;
  clock: Clock;
  /** Web API retry policy; production uses the client's default (ten retries in ~30 min). */
  retryConfig?: webApi.RetryOptions;
  /** How jobs reach people; shared with the policy handlers (one is made if not given). */
  port?: MessagingPort;
  /** Requests whose work may run at once (default 200). */
  maxInFlight?: number;
  /** Told of every listener registered (the manifest test compares them to the manifest). */
  onRegister?: (kind: RegistrationKind, id: string) => void;
}

const BUSY =
  "⏳ QOps is very busy right now and did not take this request; nothing was changed. Please try again in a minute.";

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
    // QOps keeps its state in its records; Bolt's per-conversation store would only cost a
    // lookup on every request.
    convoStore: false,
    ...(receiver
      ? { receiver }
      : { socketMode: true, appToken: settings.appToken, signingSecret: settings.signingSecret }),
  });
  // Bound the work in flight: beyond it, say "busy" at once rather than queue without limit.
  const inFlight = new InFlight(options.maxInFlight ?? 200);
  app.use(async (args) => {
    if (inFlight.hasRoom()) {
      await inFlight.run(args.next);
      return;
    }
    options.logger.warn({ inFlight: inFlight.count }, "Slack request refused: too much work in flight");
    const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
    const isCommand = (args.body as { command?: string }).command !== undefined;
    if (ack) await ack(isCommand ? { response_type: "ephemeral", text: BUSY } : undefined);
  });
  app.error(async (error) => {
    options.logger.error({ err: error }, "unhandled error in a Slack listener");
  });

  const client = new webApi.WebClient(settings.botToken, { ...clientOptions, logger });
  const deps: SlackDeps = { client, logger: options.logger, clock: options.clock };
  const notifier = new SlackNotifier(deps);
  const { listeners, mount } = routed(app, options.logger, options.onRegister);
  registerComplaint(listeners, deps);
  registerIdea(listeners, deps);
  registerQms(listeners, deps);
  registerCalendar(listeners, deps);
  registerButtons(listeners, deps, notifier);
  registerViews(listeners, deps, notifier);
  registerShortcut(listeners, deps);
  registerHome(listeners, deps, notifier);
  registerPolicy(
    listeners,
    deps,
    options.port ?? new SlackMessagingPort(settings.botToken, settings.apiUrl, options.logger),
  );
  mount();

  return {
    app,
    requestListener: receiver ? (req, res) => receiver.requestListener(req, res) : undefined,
    start: async () => {
      if (socketMode) await app.start();
    },
    stop: async () => {
      if (socketMode) await app.stop();
      const left = await inFlight.idle(10_000);
      if (left > 0) options.logger.warn({ left }, "stopped with Slack work still running");
    },
  };
}
