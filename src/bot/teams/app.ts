import type { IncomingMessage, ServerResponse } from "node:http";
import type { Core } from "../../commands/core.js";
import type { TeamsSettings } from "../../config/index.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import { readBody } from "../../util/body.js";
import { InFlight } from "../../util/inFlight.js";
import { QopsCloudAdapter } from "./adapter.js";
import { QopsTeamsBot, tenantOf } from "./bot.js";
import { TeamsMessagingPort } from "./port.js";

const MAX_BODY_BYTES = 256 * 1024;

export interface TeamsApp {
  requestListener: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The adapter and the messaging port, shared by the web handler and the delivery engine. */
export function createTeamsPort(settings: TeamsSettings, logger: Logger) {
  const adapter = new QopsCloudAdapter(settings);
  return { adapter, port: new TeamsMessagingPort(adapter, settings.appId, logger) };
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

interface Activity {
  type?: unknown;
  channelId?: unknown;
  name?: unknown;
  value?: { action?: { type?: unknown; verb?: unknown } };
  conversation?: { tenantId?: string };
  channelData?: { tenant?: { id?: string } };
  from?: { id?: unknown };
}

/** What is refused before botbuilder sees it, with the status and why. */
function refusal(activity: Activity, settings: TeamsSettings): [number, string] | null {
  if (typeof activity.type !== "string") return [400, "the body is not a Bot Framework activity (no type)"];
  // An Azure Bot also serves Web Chat and Direct Line, whose clients set `from` and
  // `channelData` themselves: outside local mode only Teams, which vouches for them, is served.
  if (!settings.anyChannel && activity.channelId !== "msteams")
    return [403, "QOps serves Microsoft Teams only"];
  // Teams puts the tenant on the conversation; `channelData` is only a copy a client could write.
  if (!settings.anyChannel && typeof activity.conversation?.tenantId !== "string")
    return [400, "a Teams activity names its tenant in conversation.tenantId"];
  if (settings.appType === "SingleTenant" && tenantOf(activity) !== settings.tenantId)
    return [403, "this QOps serves one tenant only"];
  if (activity.type === "message" || activity.type === "invoke") {
    if (typeof activity.from?.id !== "string" || !activity.from.id)
      return [400, "This request did not say who sent it."];
  }
  if (activity.type === "invoke" && activity.name === "adaptiveCard/action") {
    const action = activity.value?.action;
    if (action?.type !== "Action.Execute" || typeof action.verb !== "string")
      return [400, "an adaptive card action without an Action.Execute verb"];
  }
  return null;
}

/**
 * Microsoft Teams at POST /api/messages: botbuilder's CloudAdapter authenticates each request
 * (a Bot Framework token for the configured app id; none in local mode) and runs QOps's
 * TeamsActivityHandler; what botbuilder would not catch (a body over the limit, a foreign
 * channel or tenant, a malformed card action) is refused first and changes nothing.
 */
export function createTeamsApp(
  settings: TeamsSettings,
  options: { logger: Logger; clock: Clock; core: Core; adapter: QopsCloudAdapter },
): TeamsApp {
  const { logger, adapter } = options;
  const bot = new QopsTeamsBot(options.core, options.clock, logger);
  const inFlight = new InFlight(200);
  adapter.onTurnError = async (context, error) => {
    logger.error({ err: error, type: context.activity.type }, "Teams turn failed");
  };

  async function requestListener(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === null) return send(res, 413, { error: "request body too large" });
    let activity: Activity;
    try {
      activity = JSON.parse(raw) as Activity;
    } catch {
      return send(res, 400, { error: "the body is not JSON" });
    }
    if (!activity || typeof activity !== "object" || Array.isArray(activity))
      return send(res, 400, { error: "the body is not a Bot Framework activity" });
    const refused = refusal(activity, settings);
    if (refused) {
      logger.warn({ status: refused[0], reason: refused[1] }, "Teams request refused");
      return send(res, refused[0], { error: refused[1] });
    }
    if (!inFlight.hasRoom()) {
      logger.warn({ inFlight: inFlight.count }, "Teams: too much work in flight; refusing");
      return send(res, 503, { error: "busy, retry" });
    }
    let status = 200;
    let body: unknown;
    const response = {
      socket: res.socket,
      status: (code: number) => {
        status = code;
      },
      header: (name: string, value: unknown) => res.setHeader(name, String(value)),
      send: (value: unknown) => {
        body = value;
      },
      end: () => {
        if (status === 401) logger.warn("Teams request refused: not authenticated");
        if (status >= 500) logger.error({ status }, "Teams request failed");
        // A message was acknowledged when its turn began (see below): nothing more to say.
        send(
          res,
          status,
          status >= 500 ? { error: "internal error" } : status === 401 ? { error: "unauthorized" } : body,
        );
      },
    };
    await inFlight.run(() =>
      adapter.process(
        {
          body: activity as Record<string, unknown>,
          headers: req.headers as Record<string, string>,
          method: req.method,
        },
        response,
        (context) => {
          // Authenticated: a message (not an invoke, whose answer is the HTTP response) is
          // acknowledged now, and its reply goes to the connector when the turn has it. Teams
          // expects the 200 within seconds and resends on a 5xx or a timeout.
          if (context.activity.type !== "invoke") send(res, 200);
          return bot.run(context);
        },
      ),
    );
  }

  return {
    requestListener,
    start: async () => undefined,
    stop: async () => {
      await inFlight.idle(10_000);
    },
  };
}
