import type { App, ViewSubmitAction } from "@slack/bolt";
import type { CommandContext } from "../../../commands/context.js";
import { formatWhen } from "../../../commands/context.js";
import { namesWithRole, requireRole } from "../../../commands/members.js";
import {
  acknowledgePolicy,
  approvePolicy,
  currentPolicy,
  draftPolicy,
  policyInput,
  policyStatus,
  policyStatusCsv,
} from "../../../commands/policy/policyCommands.js";
import { ACKNOWLEDGE_ACTION, stopPolicyReminders } from "../../../commands/policy/policyRequests.js";
import { publishAndAsk, publishedText } from "../../../commands/policy/publishAndAsk.js";
import { QopsError } from "../../../errors.js";
import type { ControlledDocument } from "../../../models/controlledDocument.js";
import { AcknowledgementModel } from "../../../models/controlledDocument.js";
import { MemberModel } from "../../../models/member.js";
import type { MessagingPort } from "../../ports.js";
import { policyDraftModal } from "../presenters/modals.js";
import { actionsBlock, context, header, mrkdwnSection, plainSection } from "../presenters/text.js";
import {
  answering,
  type ButtonArgs,
  commandContext,
  commandWords,
  dmTeller,
  onButtonPress,
  type SlackDeps,
  type Tell,
} from "../requestContext.js";
import { ACTIONS, SLASH_COMMANDS, VIEWS } from "../surface.js";
import { formValues } from "../views/formValues.js";

function policyBlocks(policy: ControlledDocument, acknowledgedAt: Date | null) {
  return [
    header(`Quality policy ${policy.ref}`),
    ...(policy.text ? [plainSection(policy.text)] : []),
    ...(policy.summary ? [plainSection(policy.summary)] : []),
    ...(policy.link ? [mrkdwnSection(`<${policy.link}|Read the full policy>`)] : []),
    context(
      `Published ${policy.publishedAt ? formatWhen(policy.publishedAt) : "—"} · approved by ${policy.approvedBy?.name ?? "—"}`,
    ),
    ...(acknowledgedAt
      ? [context(`✅ You acknowledged ${policy.ref} on ${formatWhen(acknowledgedAt)}.`)]
      : actionsBlock([
          {
            actionId: ACKNOWLEDGE_ACTION,
            text: "I have read and understood",
            value: policy.ref ?? "",
            style: "primary",
          },
        ])),
  ];
}

/** Publishes, asks every member, and announces it in the quality channel. */
async function publishAndRequest(
  ctx: CommandContext,
  ref: string,
  deps: SlackDeps,
  port: MessagingPort,
): Promise<string> {
  const result = await publishAndAsk(ctx, ref, port, deps.logger);
  const { policy, workspace } = result;
  if (workspace.qualityChannelId) {
    // A courtesy: the record of who was asked is the deliveries.
    await deps.client.chat
      .postMessage({
        channel: workspace.qualityChannelId,
        text: `📣 ${ctx.actor.name} published the quality policy ${policy.ref}. Everyone will get a message asking them to read and acknowledge it.`,
        blocks: [
          mrkdwnSection(
            `📣 *${ctx.actor.name} published the quality policy ${policy.ref}.* Everyone will get a message asking them to read and acknowledge it.`,
          ),
          ...policyBlocks(policy, null).slice(0, -1),
        ],
      })
      .catch((error: unknown) =>
        deps.logger.error({ err: error, ref: policy.ref }, "policy announcement failed"),
      );
  }
  return publishedText(ctx, result, "`/policy status`");
}

export function register(app: App, deps: SlackDeps, port: MessagingPort): void {
  app.command(SLASH_COMMANDS.policy, async ({ command, ack, respond }) => {
    await ack();
    const tell: Tell = (text) => respond({ response_type: "ephemeral", text }).then(() => undefined);
    await answering(deps.logger, tell, "/policy", async () => {
      const [sub = "", arg, arg2] = commandWords(command.text);
      const ctx = commandContext(
        deps.clock,
        { teamId: command.team_id, userId: command.user_id, userName: command.user_name },
        command.trigger_id,
      );
      switch (sub.toLowerCase()) {
        case "": {
          const policy = await currentPolicy(ctx.workspaceId);
          if (!policy)
            throw new QopsError(
              "not_found",
              "No quality policy has been published yet. A quality manager drafts one with `/policy draft`.",
            );
          const mine = await AcknowledgementModel.findById(
            `${ctx.workspaceId}/ack/${policy.ref}/${ctx.actor.id}`,
          ).lean();
          const status = await policyStatus(ctx);
          await respond({
            response_type: "ephemeral",
            text: `Quality policy ${policy.ref}`,
            blocks: [
              ...policyBlocks(policy, mine?.acknowledgedAt ?? null),
              context(
                `Acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%).`,
              ),
            ],
          });
          return;
        }
        case "draft":
          await requireRole(ctx, "qm", "draft the quality policy");
          await deps.client.views.open({ trigger_id: command.trigger_id, view: policyDraftModal() });
          return;
        case "approve": {
          const { record } = await approvePolicy(ctx, arg ?? "");
          await tell(
            `✅ ${record.ref} approved by ${ctx.actor.name}. A quality manager can now publish it with \`/policy publish ${record.ref}\`.`,
          );
          return;
        }
        case "publish":
          await tell(await publishAndRequest(ctx, arg ?? "", deps, port));
          return;
        case "status": {
          await requireRole(ctx, "qm", "see who has acknowledged the policy");
          const status = await policyStatus(ctx, arg && arg.toLowerCase() !== "export" ? arg : undefined);
          const exporting = [arg, arg2].some((a) => a?.toLowerCase() === "export");
          const text = exporting
            ? `\`\`\`\n${policyStatusCsv(status)}\n\`\`\``
            : `*${status.policy.ref}*: acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%).${status.missing.length ? `\nNot yet: ${status.missing.map((m) => `<@${m.userId}>`).join(", ")}` : ""}\n\`/policy status export\` gives the list as CSV.`;
          await respond({ response_type: "ephemeral", text });
          return;
        }
        default:
          throw new QopsError(
            "invalid_input",
            "Use `/policy`, `/policy draft`, `/policy approve POL-v2`, `/policy publish POL-v2` or `/policy status [export]`.",
          );
      }
    });
  });

  app.view<ViewSubmitAction>(VIEWS.draftPolicy, async ({ ack, body, view }) => {
    const values = formValues(view);
    const parsed = policyInput.safeParse(values);
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? "text")] ??= issue.message;
      await ack({ response_action: "errors", errors });
      return;
    }
    await ack();
    await answering(deps.logger, dmTeller(deps, body.user.id), VIEWS.draftPolicy, async () => {
      const ctx = commandContext(
        deps.clock,
        { teamId: body.team?.id ?? body.user.team_id, userId: body.user.id, userName: body.user.name },
        `view:${body.view.id}`,
      );
      const policy = await draftPolicy(ctx, values);
      const approvers = await MemberModel.find({
        workspaceId: ctx.workspaceId,
        roles: "top_management",
        active: true,
      }).lean();
      for (const approver of approvers) {
        await deps.client.chat.postMessage({
          channel: approver.userId,
          text: `${ctx.actor.name} drafted the quality policy ${policy.ref}; please review and approve it.`,
          blocks: [
            ...policyBlocks(policy, new Date()).slice(0, -1),
            ...actionsBlock([
              {
                actionId: ACTIONS.policyApprove,
                text: `Approve ${policy.ref}`,
                value: policy.ref ?? "",
                style: "primary",
              },
            ]),
          ],
        });
      }
      const who = await namesWithRole(ctx.workspaceId, "top_management");
      await deps.client.chat.postMessage({
        channel: ctx.actor.id,
        text: who
          ? `📝 Drafted *${policy.ref}*. Top management (${who}) has been asked to approve it.`
          : `📝 Drafted *${policy.ref}*. Nobody holds the top management role yet: grant it with \`/qms roles grant @person top_management\`, who then approves with \`/policy approve ${policy.ref}\`.`,
      });
    });
  });

  const button = (
    actionId: string,
    run: (ctx: CommandContext, ref: string, args: ButtonArgs, tell: Tell) => Promise<void>,
  ) => onButtonPress(app, deps, actionId, run);

  button(ACTIONS.policyApprove, async (ctx, ref, _args, tell) => {
    const { record } = await approvePolicy(ctx, ref);
    const qms = await MemberModel.find({ workspaceId: ctx.workspaceId, roles: "qm", active: true }).lean();
    for (const qm of qms) {
      await deps.client.chat.postMessage({
        channel: qm.userId,
        text: `${ctx.actor.name} approved the quality policy ${record.ref}. Publish it when ready.`,
        blocks: [
          mrkdwnSection(
            `✅ ${ctx.actor.name} approved *${record.ref}*. Publishing asks every member to acknowledge it.`,
          ),
          ...actionsBlock([
            {
              actionId: ACTIONS.policyPublish,
              text: `Publish ${record.ref}`,
              value: record.ref ?? "",
              style: "primary",
            },
          ]),
        ],
      });
    }
    await tell(`✅ You approved ${record.ref}; the quality managers can publish it now.`);
  });

  button(ACTIONS.policyPublish, async (ctx, ref, _args, tell) => {
    await tell(await publishAndRequest(ctx, ref, deps, port));
  });

  button(ACKNOWLEDGE_ACTION, async (ctx, ref, args, tell) => {
    const { acknowledgement, created, policy } = await acknowledgePolicy(ctx, ref);
    await stopPolicyReminders(policy, ctx.actor.id);
    if (!created) {
      await tell(
        `You already acknowledged ${policy.ref} on ${formatWhen(acknowledgement.acknowledgedAt)}; nothing more to do.`,
      );
      return;
    }
    const container = args.body.container as { channel_id?: string; message_ts?: string };
    if (container.channel_id && container.message_ts) {
      await deps.client.chat
        .update({
          channel: container.channel_id,
          ts: container.message_ts,
          text: `You acknowledged ${policy.ref}`,
          blocks: policyBlocks(policy, acknowledgement.acknowledgedAt),
        })
        .catch((error: unknown) =>
          deps.logger.warn({ err: error, ref: policy.ref }, "could not update the request in place"),
        );
    }
    await tell(
      `✅ Thank you — your acknowledgement of ${policy.ref} is recorded (${formatWhen(acknowledgement.acknowledgedAt)}).`,
    );
  });
}
