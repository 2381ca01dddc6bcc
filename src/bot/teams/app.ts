import type { IncomingMessage, ServerResponse } from "node:http";
import type { Activity, InvokeResponse, TurnContext } from "botbuilder";
import type { TeamsSettings } from "../../config/index.js";
import { isQopsError, userMessageFor } from "../../errors.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import { InFlight } from "../../util/inFlight.js";
import { TeamsActions } from "./actions.js";
import { QopsCloudAdapter } from "./adapter.js";
import { type AdaptiveCard, attachment, CARD_CONTENT_TYPE, helpCard } from "./cards.js";
import { runTyped } from "./commands.js";
import { BotConnector } from "./connector.js";
import { rememberConversation, rememberMember } from "./conversations.js";
import { TeamsMessagingPort } from "./messagingPort.js";
import { TeamsNotifier } from "./notify.js";
import {
  channelAddress,
  commandText,
  contextOf,
  type InboundActivity,
  isPersonal,
  type TeamsDeps,
  teamsWorkspaceId,
  tenantOf,
  userOf,
} from "./turn.js";

const MAX_BODY_BYTES = 256 * 1024;

export interface TeamsApp {
  requestListener: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  port: TeamsMessagingPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createTeamsPort(settings: TeamsSettings, logger: Logger, clock: Clock) {
  const connector = new BotConnector(settings, logger);
  return { connector, port: new TeamsMessagingPort(connector, logger, clock) };
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * Microsoft Teams at POST /api/messages: botbuilder's CloudAdapter authenticates each request
 * (Bot Framework JWT for the configured app id; none in local mode), then QOps answers. A typed
 * command is acknowledged at once and answered with a message; a card button
 * (`adaptiveCard/action`) is answered in the HTTP response with the refreshed card.
 */
export function createTeamsApp(
  settings: TeamsSettings,
  options: { logger: Logger; clock: Clock; connector: BotConnector; port: TeamsMessagingPort },
): TeamsApp {
  const { logger, clock, connector, port } = options;
  const adapter = new QopsCloudAdapter(settings);
  const deps: TeamsDeps = { logger, clock, connector, port };
  const notifier = new TeamsNotifier(deps);
  const actions = new TeamsActions(deps, notifier);
  const inFlight = new InFlight(200);

  async function reply(activity: InboundActivity, text: string, card?: AdaptiveCard): Promise<void> {
    if (!activity.serviceUrl || !activity.conversation?.id) return;
    await connector.sendWithRetry(activity.serviceUrl, tenantOf(activity), activity.conversation.id, {
      type: "message",
      text,
      ...(card ? { attachments: [attachment(card)] } : {}),
      ...(activity.id ? { replyToId: activity.id } : {}),
    });
  }

  /** What was last remembered per sender and conversation, so a repeat costs no database read. */
  const seen = new Map<string, string>();

  /**
   * Remembers how to reach the sender (and the conversation), and the time zone their client
   * reported; the member record takes it at the next member sync, through its history.
   */
  async function remember(activity: InboundActivity): Promise<void> {
    if (!activity.serviceUrl || !activity.from?.id) return;
    const workspaceId = teamsWorkspaceId(tenantOf(activity));
    const user = userOf(activity);
    const key = `${workspaceId}|${user.id}|${activity.conversation?.id ?? ""}`;
    const fingerprint = `${activity.serviceUrl}|${user.name}|${activity.localTimezone ?? ""}|${activity.channelData?.team?.id ?? ""}`;
    if (seen.get(key) === fingerprint) return;
    const now = clock.now();
    const tz = activity.localTimezone;
    await rememberMember(
      workspaceId,
      user.id,
      {
        serviceUrl: activity.serviceUrl,
        tenantId: tenantOf(activity),
        conversationId: isPersonal(activity) ? (activity.conversation?.id ?? null) : null,
        teamsUserId: user.teamsId,
        name: user.name,
        ...(tz ? { tz } : {}),
      },
      now,
    );
    const channel = channelAddress(activity);
    if (channel?.conversationId)
      await rememberConversation(workspaceId, channel.conversationId, channel, now);
    seen.set(key, fingerprint);
    if (seen.size > 10_000) seen.delete(seen.keys().next().value ?? "");
  }

  async function onMessage(activity: InboundActivity): Promise<void> {
    const ctx = contextOf(clock, activity, activity.id ? `teams:${activity.id}` : undefined);
    try {
      await remember(activity);
      const value = activity.value as Record<string, unknown> | undefined;
      if (value && typeof value.verb === "string") {
        // Action.Submit (a client without Universal Actions, e.g. the Emulator): answer with a message.
        const card = await actions.run(ctx, value.verb, value, activity);
        await reply(activity, `QOps: ${String(value.ref ?? value.verb)}`, card);
        return;
      }
      const answer = await runTyped(ctx, commandText(activity), activity, deps);
      await reply(activity, answer.text, answer.card);
    } catch (error) {
      if (!isQopsError(error)) logger.error({ err: error }, "Teams message failed");
      await reply(activity, `⚠️ ${userMessageFor(error)}`).catch((e: unknown) =>
        logger.error({ err: e }, "could not tell the user about a failure"),
      );
    }
  }

  async function onConversationUpdate(activity: InboundActivity): Promise<void> {
    if (!activity.serviceUrl) return;
    const workspaceId = teamsWorkspaceId(tenantOf(activity));
    const now = clock.now();
    const botId = activity.recipient?.id;
    const added = activity.membersAdded ?? [];
    const installed =
      activity.type === "installationUpdate"
        ? activity.action !== "remove"
        : added.some((m) => m.id === botId);
    const channel = channelAddress(activity);
    if (channel?.conversationId)
      await rememberConversation(workspaceId, channel.conversationId, channel, now);
    for (const member of added) {
      if (!member.id || member.id === botId) continue;
      await rememberMember(
        workspaceId,
        member.aadObjectId || member.id,
        {
          serviceUrl: activity.serviceUrl,
          tenantId: tenantOf(activity),
          conversationId: isPersonal(activity) ? (activity.conversation?.id ?? null) : null,
          teamsUserId: member.id,
          name: member.name,
        },
        now,
      );
    }
    if (installed && isPersonal(activity) && activity.from?.id) {
      await remember(activity);
      await reply(
        { ...activity, id: undefined },
        "👋 Hi, I am QOps. I keep your quality management system running here: complaints, ideas, corrective actions and the quality policy. Type `help` to see what I can do; a quality manager starts with `qms setup`.",
        helpCard(),
      );
    }
  }

  async function onInvoke(turn: TurnContext, activity: InboundActivity): Promise<void> {
    const value = (activity.value ?? {}) as { action?: { verb?: unknown; data?: unknown } };
    let body: unknown;
    if (activity.name === "adaptiveCard/action" && typeof value.action?.verb === "string") {
      await remember(activity).catch((error: unknown) =>
        logger.warn({ err: error }, "could not remember the sender"),
      );
      const ctx = contextOf(clock, activity, activity.id ? `teams:${activity.id}` : undefined);
      const data = (
        value.action.data && typeof value.action.data === "object" ? value.action.data : {}
      ) as Record<string, unknown>;
      const card = await actions.run(ctx, value.action.verb, data, activity);
      body = { statusCode: 200, type: CARD_CONTENT_TYPE, value: card };
    } else {
      body = {
        statusCode: 400,
        type: "application/vnd.microsoft.error",
        value: {
          code: "BadRequest",
          message: `QOps does not handle the invoke "${String(activity.name).slice(0, 60)}".`,
        },
      };
    }
    const response: InvokeResponse = { status: 200, body };
    await turn.sendActivity({ type: "invokeResponse", value: response });
  }

  async function requestListener(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, { error: "request body too large" });
    let activity: InboundActivity;
    try {
      activity = JSON.parse(raw) as InboundActivity;
    } catch {
      return send(res, 400, { error: "the body is not JSON" });
    }
    if (!activity || typeof activity !== "object" || typeof activity.type !== "string") {
      return send(res, 400, { error: "the body is not a Bot Framework activity (no type)" });
    }
    const authHeader = String(req.headers.authorization ?? "");
    let authenticated = false;
    let background: (() => Promise<void>) | null = null;
    try {
      const invokeResponse = await adapter.run(authHeader, activity as unknown as Activity, async (turn) => {
        authenticated = true;
        if (activity.type === "invoke") await onInvoke(turn, activity);
        else if (activity.type === "message") background = () => onMessage(activity);
        else if (activity.type === "conversationUpdate" || activity.type === "installationUpdate")
          background = () => onConversationUpdate(activity);
      });
      if (activity.type === "invoke") return send(res, invokeResponse?.status ?? 200, invokeResponse?.body);
    } catch (error) {
      if (!authenticated) {
        // Nothing ran: the token was missing, not for this bot, expired, or could not be checked.
        logger.warn(
          { reason: (error as Error).message?.slice(0, 200) },
          "Teams request refused: not authenticated",
        );
        return send(res, 401, { error: "unauthorized" });
      }
      if (isQopsError(error)) {
        // Authenticated but not usable (no sender, say): say why, change nothing.
        return send(res, 400, { error: error.userMessage });
      }
      logger.error({ err: error }, "Teams request failed");
      return send(res, 500, { error: "internal error" });
    }
    // Acknowledge first; the answer goes out as a message (Teams waits at most 15 s).
    const work = background as (() => Promise<void>) | null;
    if (work && !inFlight.hasRoom()) {
      logger.warn({ inFlight: inFlight.count }, "Teams: too much work in flight; refusing");
      return send(res, 503, { error: "busy, retry" });
    }
    send(res, 200);
    if (work) {
      // Counted now (shutdown waits for it), started after the acknowledgement is on its way.
      void inFlight
        .run(() => new Promise<void>((resolve) => setImmediate(resolve)).then(work))
        .catch((error: unknown) => logger.error({ err: error }, "Teams work failed"));
    }
  }

  return {
    requestListener,
    port,
    start: async () => undefined,
    stop: async () => {
      await inFlight.idle(10_000);
    },
  };
}
