import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs, webApi } from "@slack/bolt";
import type { CommandContext } from "../../commands/context.js";
import { isQopsError, QopsError, userMessageFor } from "../../errors.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";

export interface SlackDeps {
  client: webApi.WebClient;
  logger: Logger;
  clock: Clock;
}

export const slackWorkspaceId = (teamId: string) => `slack:${teamId}`;

export function commandContext(
  clock: Clock,
  who: { teamId: string | undefined; userId: string; userName: string | undefined },
  requestId: string | undefined,
): CommandContext {
  if (!who.teamId)
    throw new QopsError("invalid_input", "This request did not say which Slack workspace it came from.");
  return {
    workspaceId: slackWorkspaceId(who.teamId),
    platform: "slack",
    actor: { id: who.userId, name: who.userName || who.userId },
    now: clock.now(),
    requestId,
  };
}

/** How to answer the person who asked: ephemeral via response_url, or a DM. */
export type Tell = (text: string) => Promise<void>;

/**
 * Runs the work after `ack()` and turns any failure into a message for the person: our
 * coded errors as they are, anything else as a generic apology (logged with its cause).
 */
export async function answering(
  logger: Logger,
  tell: Tell,
  what: string,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!isQopsError(error)) logger.error({ err: error, what }, "Slack request failed");
    else logger.debug({ code: error.code, what }, "request refused");
    try {
      await tell(`⚠️ ${userMessageFor(error)}`);
    } catch (tellError) {
      logger.error({ err: tellError, what }, "could not tell the user about a failure");
    }
  }
}

/** A DM (the bot's conversation with the person); Slack opens it from the user id. */
export function dmTeller(deps: SlackDeps, userId: string): Tell {
  return async (text) => {
    await deps.client.chat.postMessage({ channel: userId, text });
  };
}

/** Words of slash command text; a Slack token like `<@U1|Robin M>` stays one word. */
export function commandWords(text: string): string[] {
  return text.trim().match(/<[^>]*>|\S+/g) ?? [];
}

/** Mentions in slash command text: `<@U123|name>` (escaped) or a bare `@name` we cannot use. */
export function parseMention(token: string | undefined): { id: string; name: string | null } | null {
  const match = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/.exec(token ?? "");
  return match?.[1] ? { id: match[1], name: match[2] || null } : null;
}

/** A channel in slash command text: `<#C123|name>`. */
export function parseChannel(token: string | undefined): string | null {
  const match = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(token ?? "");
  return match?.[1] ?? null;
}

/** A display name for a user id, best effort (users.info); the id when Slack cannot say. */
export async function displayName(deps: SlackDeps, userId: string): Promise<string> {
  try {
    const info = await deps.client.users.info({ user: userId });
    return info.user?.real_name || info.user?.name || userId;
  } catch (error) {
    deps.logger.warn({ err: error, userId }, "users.info failed; using the user id as name");
    return userId;
  }
}

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** The person who pressed a button, in the workspace it came from. */
export function buttonContext(deps: SlackDeps, body: BlockAction): CommandContext {
  return commandContext(
    deps.clock,
    { teamId: body.team?.id ?? body.user.team_id, userId: body.user.id, userName: body.user.name },
    `action:${body.trigger_id}`,
  );
}

/** Answers the presser: ephemerally where the button was in a conversation, else by DM. */
export function buttonTeller(deps: SlackDeps, args: ButtonArgs): Tell {
  const { body, respond } = args;
  if (body.response_url) {
    return (text) =>
      respond({ response_type: "ephemeral", replace_original: false, text }).then(() => undefined);
  }
  return dmTeller(deps, body.user.id);
}

/**
 * A button: acknowledged first, then `run` with the presser's context and the button's value;
 * a refusal or failure is told to the presser (never silence, never a stack trace).
 */
export function onButtonPress(
  app: App,
  deps: SlackDeps,
  actionId: string,
  run: (ctx: CommandContext, value: string, args: ButtonArgs, tell: Tell) => Promise<void>,
): void {
  app.action<BlockAction>(actionId, async (args) => {
    await args.ack();
    const tell = buttonTeller(deps, args);
    await answering(deps.logger, tell, actionId, async () => {
      const value = (args.action as { value?: unknown }).value;
      await run(buttonContext(deps, args.body), typeof value === "string" ? value : "", args, tell);
    });
  });
}
