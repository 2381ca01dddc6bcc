import {
  type AllMiddlewareArgs,
  App,
  type BlockAction,
  type MessageShortcut,
  type RespondFn,
  type SlackActionMiddlewareArgs,
  type SlackViewMiddlewareArgs,
  type ViewSubmitAction,
  webApi,
} from "@slack/bolt";
import type { CommandContext } from "../../commands/context.js";
import type { Core } from "../../commands/core.js";
import type { SlackSettings } from "../../config/index.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import type { RequestHandler } from "../../server.js";
import { InFlight } from "../../util/inFlight.js";
import { withTimeout } from "../../util/timeout.js";
import { SLACK_SURFACE } from "../../views/surface.js";
import type { ActionTarget, Answer, FormView, MessageView } from "../../views/types.js";
import { keptAliveFetch } from "./keptAlive.js";
import { boltLogger, QopsSlackReceiver } from "./receiver.js";
import { blocks, homeBlocks, messageText, modal, modalErrors, plainText } from "./render.js";
import { formValues, personFields, targetOf, tokenize } from "./request.js";

export interface SlackAppOptions {
  logger: Logger;
  clock: Clock;
  core: Core;
  /** Web API retry policy for the adapter's own calls (forms, names); production uses the client's default. */
  retryConfig?: webApi.RetryOptions;
  /** Requests whose work may run at once (default 200). */
  maxInFlight?: number;
}

export interface SlackApp {
  app: App;
  /** Mounted at POST /slack/events; undefined in Socket Mode. */
  requestListener: RequestHandler | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const BUSY =
  "⏳ QOps is very busy right now and did not take this request; nothing was changed. Please try again in a minute.";
/** Slack waits 3 seconds for a form's answer; the work gets most of them. */
const FORM_ANSWER_MS = 2_500;
export const SHORTCUT_LOG_COMPLAINT = "complaint.from_message";

type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;
type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * Slack on Bolt: verifies each request (see the receiver), turns it into a core request
 * (who, where, the words or the press), and renders the core's answer as Block Kit: ephemeral
 * replies and redraws through the interaction's response_url, forms as modals. Every message
 * that follows a change is the delivery engine's, not this adapter's.
 */
export function createSlackApp(settings: SlackSettings, options: SlackAppOptions): SlackApp {
  const { core, logger } = options;
  const clientOptions = {
    slackApiUrl: settings.apiUrl,
    timeout: 10_000,
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
  };
  const socketMode = Boolean(settings.appToken);
  const receiver = socketMode ? undefined : new QopsSlackReceiver(settings.signingSecret, logger);
  const app = new App({
    // A single-workspace bot token: no auth.test round trip per request.
    authorize: async () => ({ botToken: settings.botToken }),
    logger: boltLogger(logger),
    // Bolt's `respond` posts through this; the adapter's Web API calls use `client` below.
    clientOptions: { ...clientOptions, fetch: keptAliveFetch },
    convoStore: false,
    ...(receiver
      ? { receiver }
      : { socketMode: true, appToken: settings.appToken, signingSecret: settings.signingSecret }),
  });
  const client = new webApi.WebClient(settings.botToken, { ...clientOptions, logger: boltLogger(logger) });

  // Bound the work in flight: beyond it, say "busy" at once rather than queue without limit.
  const inFlight = new InFlight(options.maxInFlight ?? 200);
  app.use(async (args) => {
    if (inFlight.hasRoom()) {
      await inFlight.run(args.next);
      return;
    }
    logger.warn({ inFlight: inFlight.count }, "Slack request refused: too much work in flight");
    const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
    const isCommand = (args.body as { command?: string }).command !== undefined;
    if (ack) await ack(isCommand ? { response_type: "ephemeral", text: BUSY } : undefined);
  });
  app.error(async (error) => {
    logger.error({ err: error }, "unhandled error in a Slack listener");
  });

  /** A display name for a user id, best effort (users.info); the id when Slack cannot say. */
  async function nameOf(userId: string): Promise<string> {
    try {
      const info = await client.users.info({ user: userId });
      return info.user?.real_name || info.user?.name || userId;
    } catch (error) {
      logger.warn({ err: error, userId }, "users.info failed; using the user id as name");
      return userId;
    }
  }

  const context = (
    teamId: string,
    user: { id: string; name?: string | undefined },
    requestId: string,
    extra: Partial<CommandContext> = {},
  ): CommandContext => ({
    workspaceId: `slack:${teamId}`,
    platform: "slack",
    actor: { id: user.id, name: user.name || user.id },
    now: options.clock.now(),
    requestId,
    surface: SLACK_SURFACE,
    ...extra,
  });

  const ephemeral = (view: MessageView) => ({
    response_type: "ephemeral" as const,
    text: messageText(view),
    blocks: blocks(view),
  });

  async function openForm(triggerId: string, form: FormView): Promise<void> {
    await client.views.open({ trigger_id: triggerId, view: modal(form) });
  }

  /** The answer to a command: privately to the person who typed it. */
  async function answerCommand(answer: Answer, respond: RespondFn, triggerId: string): Promise<void> {
    if (answer.kind === "form") return openForm(triggerId, answer.form);
    if (answer.kind === "invalid") return openForm(triggerId, answer.form);
    const view = answer.kind === "update" ? (answer.note ?? answer.view) : answer.view;
    await respond(ephemeral(view));
  }

  // ---- Slash commands: one listener; the core knows which commands there are.
  const known = new Set(core.commands());
  app.command(/[\s\S]*/, async ({ command, ack, respond }) => {
    const name = command.command.replace(/^\//, "").toLowerCase();
    if (!known.has(name)) {
      await ack({
        response_type: "ephemeral",
        text: `QOps does not handle the command ${command.command.slice(0, 40)}; nothing was changed. \`/qms help\` lists what it does.`,
      });
      return;
    }
    await ack();
    const tokens = await tokenize(command.text, nameOf);
    const ctx = context(
      command.team_id,
      { id: command.user_id, name: command.user_name },
      command.trigger_id,
      {
        here: { id: command.channel_id, personal: command.channel_id.startsWith("D") },
      },
    );
    const answer = await core.command(ctx, name, tokens, command.team_id);
    await answerCommand(answer, respond, command.trigger_id).catch((error: unknown) =>
      logger.error({ err: error, command: name }, "could not answer a slash command"),
    );
  });

  // ---- Buttons and pickers: one listener; ids the core does not know are acknowledged and ignored.
  const ours = new Set(core.actionIds());
  app.action(/[\s\S]*/, async (args: ActionArgs) => {
    await args.ack();
    const action = args.action as {
      action_id: string;
      value?: string;
      block_id?: string;
      selected_user?: string;
    };
    if (!ours.has(action.action_id)) {
      logger.warn(
        { id: action.action_id.slice(0, 80) },
        "Slack press on nothing QOps made; acknowledged, nothing changed",
      );
      return;
    }
    const { body } = args;
    const teamId = body.team?.id ?? body.user.team_id ?? "";
    const target = targetOf(action);
    const inputs = action.selected_user ? { ownerId: action.selected_user } : {};
    const names = action.selected_user
      ? { [action.selected_user]: await nameOf(action.selected_user) }
      : undefined;
    const container = body.container as { type?: string; is_ephemeral?: boolean; channel_id?: string };
    const inChannel =
      container.type === "message" &&
      !container.is_ephemeral &&
      !String(container.channel_id ?? "").startsWith("D");
    const ctx = context(teamId, body.user, `action:${body.trigger_id}`, names ? { names } : {});
    if (!target) {
      await args.respond?.({
        response_type: "ephemeral",
        replace_original: false,
        text: "⚠️ That button carries nothing QOps can act on; nothing was changed.",
      });
      return;
    }
    const answer = await core.act(ctx, action.action_id, {
      target,
      inputs,
      source: inChannel ? "channel" : "private",
      submitted: false,
    });
    await answerPress(answer, args, ctx).catch((error: unknown) =>
      logger.error({ err: error, id: action.action_id }, "could not answer a button press"),
    );
  });

  /**
   * The answer to a press: a form opens as a modal; a redraw replaces the message through the
   * interaction's response_url (Slack refuses chat.update on an ephemeral message), and the line
   * for the presser goes ephemerally; on the App Home, the home is drawn again with it on top.
   */
  async function answerPress(answer: Answer, args: ActionArgs, ctx: CommandContext): Promise<void> {
    const { body, respond } = args;
    if (answer.kind === "form" || answer.kind === "invalid") return openForm(body.trigger_id, answer.form);
    const note = answer.kind === "update" ? answer.note : answer.view;
    if ((body.container as { type?: string }).type === "view") {
      const home = await core.home(ctx);
      const withNote = note ? { ...home, blocks: [...note.blocks, ...home.blocks] } : home;
      await client.views.publish({
        user_id: body.user.id,
        view: { type: "home", blocks: homeBlocks(withNote) },
      });
      return;
    }
    // A refused press leaves the message as it is; the presser alone is told why.
    if (answer.kind === "update" && !answer.refused)
      await respond({ replace_original: true, text: messageText(answer.view), blocks: blocks(answer.view) });
    if (note) await respond({ ...ephemeral(note), replace_original: false });
  }

  // ---- Forms (modals): validated and saved before the modal closes where the core answers in time.
  app.view(/[\s\S]*/, async ({ ack, body, view }: ViewArgs) => {
    const target = parseTarget(view.private_metadata);
    const user = body.user;
    const teamId = body.team?.id ?? user.team_id ?? "";
    if (!target) {
      await ack({
        response_action: "errors",
        errors: {
          [firstBlock(view)]: "This form came from somewhere QOps does not know; nothing was saved.",
        },
      });
      return;
    }
    const inputs = formValues(view);
    const names: Record<string, string> = {};
    for (const id of personFields(view, inputs)) names[id] = await nameOf(id);
    const ctx = context(teamId, user, `view:${view.id}`, { names });
    const work = core.act(ctx, view.callback_id, { target, inputs, source: "private", submitted: true });
    let answer: Answer;
    try {
      answer = await withTimeout(work, FORM_ANSWER_MS, "form");
    } catch {
      // Slow: the modal closes now; the answer still comes (as a message for a saved form).
      await ack();
      const late = await work;
      if (late.kind === "invalid" || late.kind === "reply")
        await client.chat
          .postMessage({
            channel: user.id,
            // A refusal or an error, which says itself what was saved (an error after a commit names it).
            text:
              late.kind === "invalid"
                ? `⚠️ Your form "${view.title?.text ?? ""}" was not saved: ${Object.values(late.form.errors ?? {}).join(" ")}`
                : `Your form "${view.title?.text ?? ""}": ${plainText(late.view.text)}`,
          })
          .catch((error: unknown) =>
            logger.error({ err: error }, "could not tell the person their form was not saved"),
          );
      return;
    }
    if (answer.kind === "invalid") {
      await ack({ response_action: "errors", errors: modalErrors(answer.form, answer.form.errors ?? {}) });
      return;
    }
    if (answer.kind === "reply") {
      // A refusal (not a field's): shown on the form, which stays open.
      await ack({
        response_action: "errors",
        errors: { [firstBlock(view)]: plainText(answer.view.text).slice(0, 2000) },
      });
      return;
    }
    if (answer.kind === "form") {
      await ack({ response_action: "update", view: modal(answer.form) });
      return;
    }
    // Saved: the answer is a message the change recorded (sent once, after a crash too).
    await ack();
  });

  // ---- Message menu → Log as complaint.
  app.shortcut<MessageShortcut>(SHORTCUT_LOG_COMPLAINT, async ({ shortcut, ack }) => {
    await ack();
    let permalink: string | null = null;
    try {
      permalink =
        (await client.chat.getPermalink({ channel: shortcut.channel.id, message_ts: shortcut.message.ts }))
          .permalink ?? null;
    } catch (error) {
      logger.warn({ err: error }, "chat.getPermalink failed; keeping the channel and time instead");
    }
    const teamId = shortcut.team?.id ?? shortcut.user.team_id ?? "";
    const ctx = context(teamId, shortcut.user, `shortcut:${shortcut.trigger_id}`);
    const answer = await core.messageForm(ctx, {
      text: shortcut.message.text ?? "",
      permalink,
      authorId: shortcut.message.user ?? null,
      postedAt: new Date(Number(shortcut.message.ts) * 1000),
      channelId: shortcut.channel.id,
    });
    if (answer.kind === "form" || answer.kind === "invalid") await openForm(shortcut.trigger_id, answer.form);
    else
      await client.chat
        .postMessage({
          channel: shortcut.user.id,
          text: messageText(answer.kind === "update" ? (answer.note ?? answer.view) : answer.view),
        })
        .catch((error: unknown) => logger.error({ err: error }, "could not answer the message shortcut"));
  });

  // ---- App Home.
  app.event("app_home_opened", async ({ event, body }) => {
    if (event.tab !== "home") return;
    const teamId = (body as { team_id?: string }).team_id ?? "";
    const ctx = context(teamId, { id: event.user }, `home:${event.event_ts}`);
    const view = await core.home(ctx);
    await client.views
      .publish({ user_id: event.user, view: { type: "home", blocks: homeBlocks(view) } })
      .catch((error: unknown) => logger.error({ err: error }, "could not publish the App Home"));
  });

  return {
    app,
    requestListener: receiver ? receiver.requestListener : undefined,
    start: async () => {
      if (socketMode) await app.start();
    },
    stop: async () => {
      if (socketMode) await app.stop();
      const left = await inFlight.idle(10_000);
      if (left > 0) logger.warn({ left }, "stopped with Slack work still running");
    },
  };
}

function parseTarget(metadata: string | undefined): ActionTarget | null {
  try {
    const value = JSON.parse(metadata || "null") as unknown;
    if (value && typeof value === "object" && typeof (value as ActionTarget).ws === "string")
      return value as ActionTarget;
  } catch {
    // Not JSON QOps wrote.
  }
  return null;
}

const firstBlock = (view: ViewSubmitAction["view"]) => Object.keys(view.state.values)[0] ?? "form";
