import type { App, BlockAction } from "@slack/bolt";
import {
  completeAction,
  startAction,
  verifyActionEffective,
} from "../../../commands/actions/actionTransitions.js";
import {
  acceptComplaint,
  assignComplaintOwner,
  resolveComplaint,
  startInvestigation,
} from "../../../commands/complaints/complaintTransitions.js";
import type { CommandContext } from "../../../commands/context.js";
import {
  approveIdea,
  assignIdeaOwner,
  implementIdea,
  startIdea,
  toggleVote,
} from "../../../commands/ideas/ideaCommands.js";
import { loadByRef } from "../../../commands/lifecycle.js";
import { requireRole } from "../../../commands/members.js";
import { setQualityChannel } from "../../../commands/setupWorkspace.js";
import { QopsError } from "../../../errors.js";
import type { Complaint } from "../../../models/complaint.js";
import type { CorrectiveAction } from "../../../models/correctiveAction.js";
import type { ImprovementIdea } from "../../../models/improvementIdea.js";
import type { SlackNotifier } from "../notify.js";
import {
  actionModal,
  type ButtonOrigin,
  closeComplaintModal,
  reasonModal,
  snoozeModal,
} from "../presenters/modals.js";
import { actionMessage, complaintMessage, ideaMessage } from "../presenters/records.js";
import { slackDay } from "../presenters/text.js";
import {
  answering,
  type ButtonArgs,
  buttonContext,
  buttonTeller,
  displayName,
  onButtonPress,
  type SlackDeps,
  type Tell,
} from "../requestContext.js";
import { ACTIONS, VIEWS } from "../surface.js";

type ActionArgs = ButtonArgs;

type Changed =
  | { kind: "complaint"; record: Complaint }
  | { kind: "idea"; record: ImprovementIdea }
  | { kind: "action"; record: CorrectiveAction }
  | null;

export function register(app: App, deps: SlackDeps, notifier: SlackNotifier): void {
  const ctxOf = (body: BlockAction): CommandContext => buttonContext(deps, body);
  const tellerFor = (args: ActionArgs): Tell => buttonTeller(deps, args);

  /** Shows the change where it happened: the stored channel message, this message, the App Home. */
  async function reflect(changed: Changed, args: ActionArgs, ctx: CommandContext): Promise<void> {
    if (!changed) return;
    const container = args.body.container as { type?: string; channel_id?: string; message_ts?: string };
    if (changed.kind === "complaint") await notifier.refreshComplaint(changed.record);
    if (changed.kind === "idea") await notifier.refreshIdea(changed.record);
    if (container.type === "message" && container.channel_id && container.message_ts) {
      const stored =
        changed.kind === "complaint"
          ? changed.record.triageMessage
          : changed.kind === "idea"
            ? changed.record.channelMessage
            : null;
      if (stored?.ts !== container.message_ts) {
        const blocks =
          changed.kind === "complaint"
            ? complaintMessage(changed.record)
            : changed.kind === "idea"
              ? ideaMessage(changed.record)
              : actionMessage(changed.record);
        await deps.client.chat
          .update({
            channel: container.channel_id,
            ts: container.message_ts,
            text: `${changed.record.ref} updated`,
            blocks,
          })
          .catch((error: unknown) =>
            deps.logger.warn(
              { err: error, ref: changed.record.ref },
              "could not update the message in place",
            ),
          );
      }
    }
    if (container.type === "view") await notifier.publishHome(ctx);
  }

  function onButton(
    actionId: string,
    run: (ctx: CommandContext, ref: string, args: ActionArgs) => Promise<Changed>,
  ) {
    onButtonPress(app, deps, actionId, async (ctx, ref, args) => {
      await reflect(await run(ctx, ref, args), args, ctx);
    });
  }

  const originOf = (args: ActionArgs, ref: string): ButtonOrigin => {
    const container = args.body.container as { channel_id?: string; message_ts?: string };
    return { ref, channelId: container.channel_id ?? null, ts: container.message_ts ?? null };
  };

  onButton(ACTIONS.complaintAccept, async (ctx, ref) => {
    const { record } = await acceptComplaint(ctx, ref);
    await notifier.dm(
      record.reporter.id,
      `Your complaint *${record.ref}* was accepted by ${ctx.actor.name}; it is due ${slackDay(record.dueAt)}.`,
      undefined,
      record.ref,
    );
    return { kind: "complaint", record };
  });
  onButton(ACTIONS.complaintInvestigate, async (ctx, ref) => ({
    kind: "complaint",
    record: (await startInvestigation(ctx, ref)).record,
  }));
  onButton(ACTIONS.complaintResolve, async (ctx, ref) => {
    const { record } = await resolveComplaint(ctx, ref);
    return { kind: "complaint", record };
  });

  // Buttons that need more input open a modal; the permission is checked first so nobody fills
  // in a form only to be refused, and again when the form is submitted.
  onButton(ACTIONS.complaintReject, async (ctx, ref, args) => {
    await requireRole(ctx, "qm", "reject complaints");
    await loadByRef(ctx, "complaint", ref);
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: reasonModal(
        VIEWS.rejectComplaint,
        `Reject ${ref}`,
        "Why is it rejected? The reporter will see this.",
        originOf(args, ref),
      ),
    });
    return null;
  });
  onButton(ACTIONS.complaintClose, async (ctx, ref, args) => {
    await requireRole(ctx, "qm", "close complaints");
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: closeComplaintModal(originOf(args, ref)),
    });
    return null;
  });
  onButton(ACTIONS.complaintRaiseAction, async (ctx, ref, args) => {
    const complaint = await loadByRef<Complaint>(ctx, "complaint", ref);
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: actionModal(ref, { problem: `${complaint.title}\n${complaint.description}`.trim() }),
    });
    return null;
  });

  onButton(ACTIONS.ideaVote, async (ctx, ref) => ({
    kind: "idea",
    record: (await toggleVote(ctx, ref)).record,
  }));
  onButton(ACTIONS.ideaApprove, async (ctx, ref) => {
    const { record } = await approveIdea(ctx, ref);
    await notifier.dm(
      record.submitter.id,
      `💡 Your idea *${record.ref}* was approved by ${ctx.actor.name}.`,
      undefined,
      record.ref,
    );
    return { kind: "idea", record };
  });
  onButton(ACTIONS.ideaReject, async (ctx, ref, args) => {
    await requireRole(ctx, "qm", "reject ideas");
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: reasonModal(
        VIEWS.rejectIdea,
        `Reject ${ref}`,
        "Why is it not taken up? The submitter will see this.",
        originOf(args, ref),
      ),
    });
    return null;
  });
  onButton(ACTIONS.ideaStart, async (ctx, ref) => ({
    kind: "idea",
    record: (await startIdea(ctx, ref)).record,
  }));
  onButton(ACTIONS.ideaImplement, async (ctx, ref) => ({
    kind: "idea",
    record: (await implementIdea(ctx, ref)).record,
  }));
  onButton(ACTIONS.ideaRaiseAction, async (ctx, ref, args) => {
    const idea = await loadByRef<ImprovementIdea>(ctx, "idea", ref);
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: actionModal(ref, { problem: idea.title }),
    });
    return null;
  });

  onButton(ACTIONS.actionStart, async (ctx, ref) => ({
    kind: "action",
    record: (await startAction(ctx, ref)).record,
  }));
  onButton(ACTIONS.actionComplete, async (ctx, ref) => {
    const { record } = await completeAction(ctx, ref);
    return { kind: "action", record };
  });
  onButton(ACTIONS.actionEffective, async (ctx, ref) => {
    const { record } = await verifyActionEffective(ctx, ref);
    await notifier.dm(
      record.owner.id,
      `✅ ${ctx.actor.name} verified *${record.ref}* as effective. It is closed.`,
      undefined,
      record.ref,
    );
    return { kind: "action", record };
  });
  onButton(ACTIONS.actionNotEffective, async (ctx, ref, args) => {
    await requireRole(ctx, "qm", "verify effectiveness");
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: reasonModal(
        VIEWS.actionNotEffective,
        `Not effective`,
        `Why was ${ref} not effective? It will be reopened.`,
        originOf(args, ref),
      ),
    });
    return null;
  });

  onButton(ACTIONS.actionSnooze, async (ctx, ref, args) => {
    const action = await loadByRef<CorrectiveAction>(ctx, "action", ref);
    if (action.owner.id !== ctx.actor.id) await requireRole(ctx, "qm", "snooze someone else's reminders");
    await deps.client.views.open({
      trigger_id: args.body.trigger_id,
      view: snoozeModal(originOf(args, ref)),
    });
    return null;
  });

  // Pickers: the reference is in the block id, the choice in the action.
  function onOwnerPicker(actionId: string, kind: "complaint" | "idea") {
    app.action<BlockAction>(actionId, async (args) => {
      await args.ack();
      await answering(deps.logger, tellerFor(args), actionId, async () => {
        const ctx = ctxOf(args.body);
        const action = args.action as { block_id: string; selected_user?: string };
        const ref = action.block_id.split(":")[1] ?? "";
        if (!action.selected_user) throw new QopsError("invalid_input", "Choose a person to own it.");
        const owner = { id: action.selected_user, name: await displayName(deps, action.selected_user) };
        if (kind === "complaint") {
          const { record } = await assignComplaintOwner(ctx, ref, owner);
          await notifier.dm(
            owner.id,
            `📌 ${ctx.actor.name} made you the owner of complaint *${record.ref}*, due ${slackDay(record.dueAt)}.`,
            complaintMessage(record, { userId: owner.id, isQm: false }),
            record.ref,
          );
          await reflect({ kind, record }, args, ctx);
        } else {
          const { record } = await assignIdeaOwner(ctx, ref, owner);
          await notifier.dm(
            owner.id,
            `📌 ${ctx.actor.name} made you the owner of idea *${record.ref}*.`,
            undefined,
            record.ref,
          );
          await reflect({ kind, record }, args, ctx);
        }
      });
    });
  }
  onOwnerPicker(ACTIONS.complaintAssign, "complaint");
  onOwnerPicker(ACTIONS.ideaAssign, "idea");

  app.action<BlockAction>(ACTIONS.qmsSetChannel, async (args) => {
    await args.ack();
    const tell = tellerFor(args);
    await answering(deps.logger, tell, ACTIONS.qmsSetChannel, async () => {
      const selected = (args.action as { selected_conversation?: string }).selected_conversation;
      if (!selected) throw new QopsError("invalid_input", "Choose a channel.");
      await setQualityChannel(ctxOf(args.body), selected);
      await tell(`✅ The quality channel is now <#${selected}>. Invite QOps there if it is private.`);
    });
  });
}
