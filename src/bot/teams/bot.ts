import { setTimeout as sleep } from "node:timers/promises";
import {
  type Activity,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  TeamsActivityHandler,
  TeamsInfo,
  TurnContext,
} from "botbuilder";
import type { CommandContext } from "../../commands/context.js";
import type { Core } from "../../commands/core.js";
import type { Clock } from "../../jobs/deps.js";
import type { Logger } from "../../logger.js";
import { answer as answerView } from "../../views/build.js";
import { TEAMS_SURFACE } from "../../views/surface.js";
import type { ActionTarget, Answer, MessageView, Token } from "../../views/types.js";
import { attachment, CARD_CONTENT_TYPE } from "./cards.js";
import { classifyTeamsError } from "./port.js";
import { formCard, messageCard, messageText, withNote } from "./render.js";

/** The parts of an incoming activity QOps reads beyond botbuilder's types. */
interface Incoming {
  channelData?: { tenant?: { id?: string }; team?: { id?: string } };
  conversation?: { id?: string; tenantId?: string; conversationType?: string };
  localTimezone?: string;
}

export const teamsWorkspaceId = (tenantId: string) => `teams:${tenantId}`;

/** The tenant is the workspace: Teams puts it on the conversation (the Emulator has none: "local"). */
export function tenantOf(activity: Incoming): string {
  return activity.conversation?.tenantId ?? activity.channelData?.tenant?.id ?? "local";
}

const isPersonal = (activity: Incoming) => {
  const type = activity.conversation?.conversationType;
  return !type || type === "personal";
};

/**
 * QOps as a Teams bot (botbuilder's TeamsActivityHandler): a typed command is answered with a
 * reply, a card's Universal Action with the card to show in its place, an installation with a
 * greeting; every activity leaves behind how to reach its sender (the conversation reference,
 * stored as botbuilder gives it) and the time zone their client reported.
 */
export class QopsTeamsBot extends TeamsActivityHandler {
  constructor(
    private readonly core: Core,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    super();
    this.onMessage(async (context, next) => {
      await this.remember(context);
      const value = context.activity.value as Record<string, unknown> | undefined;
      if (value && typeof value.verb === "string") {
        // Action.Submit (a client without Universal Actions, e.g. the Emulator): answer with a message.
        const { verb, ...data } = value;
        const result = await this.act(context, String(verb), data);
        await this.reply(context, result, "");
      } else {
        const { name, args } = await this.parse(context);
        const ctx = this.context(context);
        const answer = await this.core.command(ctx, name, args, tenantOf(context.activity as Incoming));
        await this.reply(context, answer, ctx.actor.id);
      }
      await next();
    });
    this.onInstallationUpdateAdd(async (context, next) => {
      await this.remember(context);
      if (isPersonal(context.activity as Incoming)) await this.greet(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      await this.remember(context);
      const activity = context.activity;
      const bot = activity.recipient?.id;
      const workspaceId = teamsWorkspaceId(tenantOf(activity as Incoming));
      for (const member of activity.membersAdded ?? []) {
        if (!member.id || member.id === bot) continue;
        await this.core.remember(
          workspaceId,
          "teams",
          "roster",
          member.aadObjectId || member.id,
          {
            kind: "roster",
            serviceUrl: activity.serviceUrl,
            tenantId: tenantOf(activity as Incoming),
            teamsUserId: member.id,
            name: member.name,
          },
          this.clock.now(),
        );
      }
      if (activity.membersAdded?.some((m) => m.id === bot) && isPersonal(activity as Incoming))
        await this.greet(context);
      await next();
    });
  }

  private context(
    turn: TurnContext,
    requestId = turn.activity.id ? `teams:${turn.activity.id}` : undefined,
  ): CommandContext {
    const activity = turn.activity;
    const from = activity.from;
    const id = from.aadObjectId || from.id;
    return {
      workspaceId: teamsWorkspaceId(tenantOf(activity as Incoming)),
      platform: "teams",
      actor: { id, name: from.name || id },
      now: this.clock.now(),
      ...(requestId ? { requestId } : {}),
      surface: TEAMS_SURFACE,
      here: { id: activity.conversation.id, personal: isPersonal(activity as Incoming) },
    };
  }

  /** Remembers how to reach the sender (their chat) or this channel, and the zone their client reported. */
  private async remember(turn: TurnContext): Promise<void> {
    const activity = turn.activity;
    const workspaceId = teamsWorkspaceId(tenantOf(activity as Incoming));
    const reference = TurnContext.getConversationReference(activity) as unknown as Record<string, unknown>;
    delete reference.activityId;
    const now = this.clock.now();
    const from = activity.from;
    const userId = from?.aadObjectId || from?.id;
    try {
      if (isPersonal(activity as Incoming)) {
        if (userId) await this.core.remember(workspaceId, "teams", "member", userId, reference, now);
        // A personal chat can be the quality "channel" too (a one-person trial, the Emulator).
        await this.core.remember(
          workspaceId,
          "teams",
          "conversation",
          activity.conversation.id,
          reference,
          now,
        );
      } else {
        const teamId = (activity as Incoming).channelData?.team?.id;
        await this.core.remember(
          workspaceId,
          "teams",
          "conversation",
          activity.conversation.id,
          { ...reference, ...(teamId ? { teamId } : {}) },
          now,
        );
        if (userId && from.id)
          await this.core.remember(
            workspaceId,
            "teams",
            "roster",
            userId,
            {
              kind: "roster",
              serviceUrl: activity.serviceUrl,
              tenantId: tenantOf(activity as Incoming),
              teamsUserId: from.id,
              name: from.name,
            },
            now,
          );
      }
      const zone = (activity as Incoming).localTimezone;
      if (userId && zone) await this.core.rememberZone(workspaceId, userId, zone, now);
    } catch (error) {
      this.logger.warn({ err: error }, "could not remember how to reach the sender");
    }
  }

  /** The text without the bot's mention; `<at>` mentions of people become people. */
  private async parse(turn: TurnContext): Promise<{ name: string; args: Token[] }> {
    const activity = turn.activity;
    let textTyped = activity.text ?? "";
    const bot = activity.recipient?.id;
    const mentions = (activity.entities ?? []).filter((e) => e.type === "mention") as {
      text?: string;
      mentioned?: { id?: string; name?: string };
    }[];
    for (const m of mentions)
      if (m.mentioned?.id === bot && m.text) textTyped = textTyped.replace(m.text, " ");
    const people: Token[] = [];
    const replaced = textTyped.replace(/<at>([^<]*)<\/at>/g, (whole, name: string) => {
      const m = mentions.find((e) => e.text === whole) ?? mentions.find((e) => e.mentioned?.name === name);
      people.push({ person: { id: m?.mentioned?.id ?? "", name } });
      return ` \u0000${people.length - 1} `;
    });
    const words = replaced
      .replace(/^\s*\//, "")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const tokens: Token[] = [];
    for (const w of words) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL marks where a mention was taken out above; typed text cannot contain it.
      const index = /^\u0000(\d+)$/.exec(w);
      if (!index) {
        tokens.push(
          w.toLowerCase() === "me"
            ? {
                person: {
                  id: activity.from.aadObjectId || activity.from.id,
                  name: activity.from.name || "me",
                },
              }
            : { word: w },
        );
        continue;
      }
      const token = people[Number(index[1])];
      if (token && "person" in token) tokens.push({ person: await this.resolve(turn, token.person) });
    }
    const [first, ...args] = tokens;
    return { name: first && "word" in first ? first.word.toLowerCase() : "", args };
  }

  /** A mentioned person's Entra object id, from the roster (Teams mentions carry only the Teams id). */
  private async resolve(turn: TurnContext, person: { id: string; name: string }) {
    try {
      const member = await TeamsInfo.getMember(turn, person.id);
      return { id: member.aadObjectId ?? person.id, name: member.name ?? person.name };
    } catch (error) {
      this.logger.warn({ err: error }, "could not look the mentioned member up; using their Teams id");
      return person;
    }
  }

  private async act(turn: TurnContext, verb: string, data: Record<string, unknown>): Promise<Answer> {
    const { formId, ...rest } = data;
    const target: ActionTarget = { ws: typeof rest.ws === "string" ? rest.ws : "" };
    const inputs: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(rest)) {
      if (typeof v === "string") {
        if (k === "ws" || k === "ref" || k === "source") target[k] = v;
        else inputs[k] = v;
      } else if (v !== null && v !== undefined) inputs[k] = v as never; // an object: refused by the core as not text
    }
    const ctx = this.context(turn, typeof formId === "string" ? `form:${formId}` : undefined);
    if (typeof formId === "string") target.formId = formId;
    return this.core.act(ctx, verb, {
      target,
      inputs,
      source: isPersonal(turn.activity as Incoming) ? "private" : "channel",
      submitted: Boolean(formId) || Object.keys(inputs).length > 0,
    });
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    await this.remember(context);
    const data = (
      invokeValue.action.data && typeof invokeValue.action.data === "object" ? invokeValue.action.data : {}
    ) as Record<string, unknown>;
    const result = await this.act(context, invokeValue.action.verb, data);
    return { statusCode: 200, type: CARD_CONTENT_TYPE, value: cardFor(result) as never };
  }

  private async reply(turn: TurnContext, result: Answer, _actor: string): Promise<void> {
    const zone = (turn.activity as Incoming).localTimezone ?? "UTC";
    const view = viewOf(result);
    await this.send(turn, {
      type: "message",
      text: messageText(view.text, zone),
      textFormat: "markdown",
      attachments: [attachment(cardFor(result))],
    });
  }

  /**
   * A reply within the turn. The connector's 429 (with Retry-After) and a request that never
   * reached it are tried again, a few times; a 5xx may have been posted, so it is not sent twice.
   */
  private async send(turn: TurnContext, activity: Partial<Activity>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await turn.sendActivity(activity);
        return;
      } catch (error) {
        const failure = classifyTeamsError(error);
        const again =
          attempt < REPLY_ATTEMPTS && (failure.kind === "rate_limited" || failure.kind === "transient");
        this.logger.warn({ kind: failure.kind, attempt, again }, "a Teams reply was not accepted");
        if (!again) throw error;
        await sleep(Math.min(failure.retryAfterMs || 1000, 10_000));
      }
    }
  }

  private async greet(turn: TurnContext): Promise<void> {
    const view = answerView(
      "👋 Hi, I am QOps. I keep your quality management system running here: complaints, ideas, corrective actions, audits, reviews and the quality policy. Type help to see what I can do; a quality manager starts with qms setup.",
    );
    const help = await this.core.command(this.context(turn), "help", []);
    await this.send(turn, {
      type: "message",
      text: messageText(view.text, "UTC"),
      textFormat: "markdown",
      attachments: [attachment(cardFor(help))],
    });
  }
}

const REPLY_ATTEMPTS = 3;

function viewOf(result: Answer): MessageView {
  if (result.kind === "form" || result.kind === "invalid") return { text: [result.form.title], blocks: [] };
  return result.kind === "update" ? withNote(result.view, result.note) : result.view;
}

/** What a card shows after a press or for a command: the form, or the view with the line for the presser on top. */
export function cardFor(result: Answer) {
  if (result.kind === "form" || result.kind === "invalid") return formCard(result.form);
  return messageCard(viewOf(result));
}
