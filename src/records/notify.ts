import type { CommandContext } from "../commands/context.js";
import type { Effect } from "../db/historyModels.js";
import type { RecordBase } from "../db/recordBase.js";
import type { NewDelivery } from "../outbox/enqueue.js";
import type { MessageView } from "../views/types.js";

/**
 * Who is told what after a change, as effects of the change: recorded with it, sent through the
 * delivery engine (once, after a crash too), and in the recipient's working hours unless urgent
 * by rule. The urgent kinds, listed in README:
 * - the answer to the person who just acted (they are at their screen);
 * - posts and edits in the quality channel (a channel has no working hours).
 */
export interface Notice {
  /** A person's id, or the quality channel's id with `channel: true`. */
  to: string;
  channel?: boolean;
  /** What it is about, unique within the record's history: `accepted`, `owner:U123`. */
  about: string;
  view?: MessageView;
  /** Drawn when sent (a record's card as it is then). */
  dynamic?: { type: string; [key: string]: unknown };
  /** An edit of the post delivery `updates` made. */
  updates?: string;
  after?: { delivery: string; workingDays: number };
  notBefore?: Date;
  /** Overrides the rule above (a reminder the person asked for, say). */
  urgent?: boolean;
}

export interface NoticeSource {
  workspaceId: string;
  /** The record's reference or key: the occasion is `<record>:<seq>:<about>`. */
  record: string;
  recordKey: string;
  seq: number;
}

export function deliveries(ctx: CommandContext, source: NoticeSource, notices: Notice[]): NewDelivery[] {
  return notices.map((n) => ({
    workspaceId: source.workspaceId,
    occasion: `${source.record}:${source.seq}:${n.about}`,
    recipientId: n.to,
    to: n.channel ? "channel" : "person",
    notBefore: n.notBefore ?? ctx.now,
    content: n.view ? { view: n.view } : { dynamic: n.dynamic ?? { type: "none" } },
    workingHoursOnly: !(n.urgent ?? (n.channel || n.to === ctx.actor.id)),
    ...(n.updates ? { updates: n.updates } : {}),
    ...(n.after ? { after: n.after } : {}),
    recordKey: source.recordKey,
  }));
}

/** The effect that records these notices' deliveries (nothing when there are none). */
export function notifyEffect(ctx: CommandContext, source: NoticeSource, notices: Notice[]): Effect[] {
  const items = deliveries(ctx, source, notices);
  return items.length ? [{ type: "deliver", items }] : [];
}

/**
 * The answer to a submitted form, as a message where the platform's form closes on submit (a
 * Slack modal): recorded with the change, so the person hears what happened even if QOps stops
 * right after saving. Nothing where the answer is shown in the form's place.
 */
export function formAnswerNotice(ctx: CommandContext, view: MessageView): Notice[] {
  return ctx.surface.formAnswers === "message"
    ? [{ to: ctx.actor.id, about: `answer:${ctx.actor.id}`, view, urgent: true }]
    : [];
}

/** After every change of a record posted in the quality channel, its post shows the new state. */
export function postUpdateEffect(
  ctx: CommandContext,
  record: RecordBase & { post?: string | null },
  seq: number,
): Effect[] {
  if (!record.post) return [];
  const channel = record.post.split("|").at(-1) ?? "";
  return notifyEffect(
    ctx,
    { workspaceId: ctx.workspaceId, record: record.ref ?? record._id, recordKey: record._id, seq },
    [
      {
        to: channel,
        channel: true,
        about: "post-update",
        updates: record.post,
        dynamic: { type: "card", kind: record.kind, recordKey: record._id },
      },
    ],
  );
}
