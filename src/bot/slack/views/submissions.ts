import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from "@slack/bolt";
import type { ZodType } from "zod";
import {
  markActionNotEffective,
  snoozeActionReminders,
} from "../../../commands/actions/actionTransitions.js";
import { actionInput, createAction } from "../../../commands/actions/createAction.js";
import { closeComplaint, rejectComplaint } from "../../../commands/complaints/complaintTransitions.js";
import { complaintInput, createComplaint } from "../../../commands/complaints/createComplaint.js";
import type { CommandContext } from "../../../commands/context.js";
import { ideaInput, rejectIdea, submitIdea } from "../../../commands/ideas/ideaCommands.js";
import { requireWorkspace } from "../../../commands/members.js";
import { loadRecord } from "../../../db/history.js";
import { isQopsError } from "../../../errors.js";
import type { Complaint } from "../../../models/complaint.js";
import type { ImprovementIdea } from "../../../models/improvementIdea.js";
import type { SlackNotifier } from "../notify.js";
import type { ButtonOrigin, MessageOrigin } from "../presenters/modals.js";
import { actionMessage, complaintText } from "../presenters/records.js";
import { slackDay } from "../presenters/text.js";
import { answering, commandContext, displayName, dmTeller, type SlackDeps } from "../requestContext.js";
import { VIEWS } from "../surface.js";
import { formValues, metadata } from "./formValues.js";

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Inline errors for Slack, keyed by block id (= field name); null when the form is valid. */
function inlineErrors(schema: ZodType, values: unknown): Record<string, string> | null {
  const parsed = schema.safeParse(values);
  if (parsed.success) return null;
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
  return errors;
}

function reasonError(reason: string | undefined): Record<string, string> | null {
  const text = (reason ?? "").trim();
  if (!text) return { reason: "Please give a reason." };
  if (text.length > 1000) return { reason: "At most 1,000 characters." };
  return null;
}

export function register(app: App, deps: SlackDeps, notifier: SlackNotifier): void {
  const ctxOf = (body: ViewArgs["body"]): CommandContext =>
    commandContext(
      deps.clock,
      { teamId: body.team?.id ?? body.user.team_id, userId: body.user.id, userName: body.user.name },
      `view:${body.view.id}`,
    );

  /** Validate before ack (inline errors keep the modal open), then do the work after it. */
  function onSubmit(
    callbackId: string,
    validate: (values: Record<string, string | undefined>) => Record<string, string> | null,
    work: (ctx: CommandContext, values: Record<string, string | undefined>, args: ViewArgs) => Promise<void>,
  ) {
    app.view<ViewSubmitAction>(callbackId, async (args) => {
      const values = formValues(args.view);
      const errors = validate(values);
      if (errors) {
        await args.ack({ response_action: "errors", errors });
        return;
      }
      await args.ack();
      const tell = dmTeller(deps, args.body.user.id);
      await answering(deps.logger, tell, callbackId, () => work(ctxOf(args.body), values, args));
    });
  }

  onSubmit(
    VIEWS.newComplaint,
    (v) => inlineErrors(complaintInput, v),
    async (ctx, values, { view }) => {
      const origin = metadata<{ origin: MessageOrigin | null }>(view).origin ?? null;
      const source = origin ? await messageSource(deps, origin) : null;
      try {
        const { complaint, workspace, created } = await createComplaint(ctx, values, source);
        if (!created) return; // a repeated submit of the same form: already logged and announced
        const posted = await notifier.postComplaintForTriage(workspace, complaint);
        const where = workspace.qualityChannelId
          ? posted
            ? `The quality team triages it in <#${workspace.qualityChannelId}>.`
            : "The quality team will see it in their QOps home (the channel post is being retried)."
          : "No quality channel is set yet, so the quality managers will see it in their QOps home.";
        await notifier.dm(
          ctx.actor.id,
          `✅ Logged *${complaint.ref}* — ${complaint.severity}, due ${slackDay(complaint.dueAt)}. ${where} You will hear when it is accepted. See it any time with \`/complaint ${complaint.ref}\`.`,
          undefined,
          complaint.ref,
        );
      } catch (error) {
        // The modal is closed already: give the person back what they typed.
        if (isQopsError(error)) throw error;
        deps.logger.error({ err: error }, "complaint could not be saved");
        await notifier.dm(
          ctx.actor.id,
          `⚠️ Your complaint "${values.title ?? ""}" could not be saved because of a problem on our side; nothing was logged. Please try again with \`/complaint ${values.title ?? ""}\`.`,
        );
      }
    },
  );

  onSubmit(
    VIEWS.newIdea,
    (v) => inlineErrors(ideaInput, v),
    async (ctx, values) => {
      const workspace = await requireWorkspace(ctx);
      const { idea, created } = await submitIdea(ctx, values);
      if (!created) return;
      await notifier.postIdea(workspace, idea);
      await notifier.dm(
        ctx.actor.id,
        `💡 Thanks — your idea *${idea.ref}* is submitted${workspace.qualityChannelId ? ` and posted in <#${workspace.qualityChannelId}> for votes` : ""}. A quality manager will approve or reject it.`,
        undefined,
        idea.ref,
      );
    },
  );

  onSubmit(
    VIEWS.newAction,
    (v) => inlineErrors(actionInput, { ...v, ownerName: undefined }),
    async (ctx, values, { view }) => {
      const sourceRef = metadata<{ sourceRef: string | null }>(view).sourceRef ?? null;
      const ownerName = values.ownerId ? await displayName(deps, values.ownerId) : "";
      const { action, created, source } = await createAction(ctx, { ...values, ownerName }, sourceRef);
      if (!created) return;
      await notifier.dm(
        action.owner.id,
        `🛠️ ${ctx.actor.name} opened *${action.ref}* for you, due ${slackDay(action.dueAt)}.`,
        actionMessage(action),
        action.ref,
      );
      await notifier.dm(
        ctx.actor.id,
        `✅ Opened *${action.ref}*${source ? ` for ${source.ref}` : ""}, owner <@${action.owner.id}>, due ${slackDay(action.dueAt)}.`,
        undefined,
        action.ref,
      );
      // Show the new link on the source's channel message, from the record as it is now.
      if (source?.kind === "complaint") {
        const complaint = await loadRecord<Complaint>("complaint", source._id);
        if (complaint) await notifier.refreshComplaint(complaint);
      }
      if (source?.kind === "idea") {
        const idea = await loadRecord<ImprovementIdea>("idea", source._id);
        if (idea) await notifier.refreshIdea(idea);
      }
    },
  );

  onSubmit(
    VIEWS.rejectComplaint,
    (v) => reasonError(v.reason),
    async (ctx, values, { view }) => {
      const { ref = "" } = metadata<ButtonOrigin>(view);
      const { record } = await rejectComplaint(ctx, ref, values.reason);
      await notifier.refreshComplaint(record);
      await notifier.dm(
        record.reporter.id,
        `Your complaint *${record.ref}* was rejected by ${ctx.actor.name}: ${record.rejectionReason}`,
        undefined,
        record.ref,
      );
    },
  );

  onSubmit(
    VIEWS.closeComplaint,
    (v) => (v.customerNotified ? null : { customerNotified: "Say whether the customer was told." }),
    async (ctx, values, { view }) => {
      const { ref = "" } = metadata<ButtonOrigin>(view);
      const { record } = await closeComplaint(ctx, ref, values.customerNotified === "yes");
      await notifier.refreshComplaint(record);
      await notifier.dm(
        record.reporter.id,
        `Your complaint ${complaintText(record)} was closed by ${ctx.actor.name}.`,
        undefined,
        record.ref,
      );
    },
  );

  onSubmit(
    VIEWS.rejectIdea,
    (v) => reasonError(v.reason),
    async (ctx, values, { view }) => {
      const { ref = "" } = metadata<ButtonOrigin>(view);
      const { record } = await rejectIdea(ctx, ref, values.reason);
      await notifier.refreshIdea(record);
      await notifier.dm(
        record.submitter.id,
        `Your idea *${record.ref}* was not taken up; ${ctx.actor.name} said: ${record.rejectionReason}`,
        undefined,
        record.ref,
      );
    },
  );

  onSubmit(
    VIEWS.snoozeAction,
    (v) => reasonError(v.reason) ?? (v.until ? null : { until: "Choose a date." }),
    async (ctx, values, { view }) => {
      const { ref = "" } = metadata<ButtonOrigin>(view);
      const { record } = await snoozeActionReminders(ctx, ref, values.until, values.reason);
      await notifier.dm(
        ctx.actor.id,
        `😴 Reminders about *${record.ref}* are paused until ${slackDay(record.snoozedUntil ?? ctx.now)} (by ${ctx.actor.name}: ${values.reason?.trim()}).`,
        undefined,
        record.ref,
      );
    },
  );

  onSubmit(
    VIEWS.actionNotEffective,
    (v) => reasonError(v.reason),
    async (ctx, values, { view }) => {
      const origin = metadata<ButtonOrigin>(view);
      const { record } = await markActionNotEffective(ctx, origin.ref ?? "", values.reason);
      if (origin.channelId && origin.ts) await notifier.updateMessage(origin.channelId, origin.ts, record);
      await notifier.dm(
        record.owner.id,
        `🔁 ${ctx.actor.name} found *${record.ref}* not effective and reopened it: ${record.reopenReason}`,
        actionMessage(record),
        record.ref,
      );
    },
  );
}

/** The permalink, author and time of the message a complaint was logged from (best effort). */
async function messageSource(deps: SlackDeps, origin: MessageOrigin) {
  let permalink: string | null = null;
  try {
    permalink =
      (await deps.client.chat.getPermalink({ channel: origin.channelId, message_ts: origin.ts })).permalink ??
      null;
  } catch (error) {
    deps.logger.warn({ err: error }, "chat.getPermalink failed; keeping the channel and time instead");
  }
  return {
    permalink,
    authorId: origin.authorId,
    postedAt: new Date(Number(origin.ts) * 1000),
    channelId: origin.channelId,
  };
}
