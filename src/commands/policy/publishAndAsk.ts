import type { MessagingPort } from "../../bot/ports.js";
import type { Logger } from "../../logger.js";
import type { ControlledDocument } from "../../models/controlledDocument.js";
import { MemberModel } from "../../models/member.js";
import type { Workspace } from "../../models/workspace.js";
import type { CommandContext } from "../context.js";
import { requireWorkspace } from "../members.js";
import { publishPolicy } from "./policyCommands.js";
import { enqueuePolicyRequests, POLICY_REMINDER_EVERY_DAYS, syncMembers } from "./policyRequests.js";

export interface PublishedAndAsked {
  policy: ControlledDocument;
  superseded: ControlledDocument | null;
  workspace: Workspace;
  /** How many members will be asked to acknowledge it. */
  asked: number;
}

/**
 * Publishes an approved policy, then asks every member (synced from the platform first)
 * to acknowledge it, each during their own working hours.
 */
export async function publishAndAsk(
  ctx: CommandContext,
  ref: string,
  port: MessagingPort | undefined,
  logger: Logger,
): Promise<PublishedAndAsked> {
  const { policy, superseded } = await publishPolicy(ctx, ref);
  const workspace = await requireWorkspace(ctx);
  if (port) {
    try {
      await syncMembers(
        ctx.workspaceId,
        await port.listMembers(ctx.workspaceId),
        ctx.now,
        workspace.includeGuests,
      );
    } catch (error) {
      logger.warn({ err: error }, "member sync before publishing failed; asking the members QOps knows");
    }
  }
  const members = (
    await MemberModel.find(
      { workspaceId: ctx.workspaceId, active: true },
      { userId: 1, tz: 1, isGuest: 1 },
    ).lean()
  ).filter((m) => workspace.includeGuests || !m.isGuest);
  await enqueuePolicyRequests(policy, members, ctx.now);
  return { policy, superseded: superseded ?? null, workspace, asked: members.length };
}

export function publishedText(ctx: CommandContext, result: PublishedAndAsked, statusCommand: string): string {
  const { policy, superseded, asked } = result;
  return `✅ Published ${policy.ref} (by ${ctx.actor.name}).${superseded ? ` ${superseded.ref} is superseded.` : ""} ${asked} members will be asked to acknowledge it during their working hours, and reminded every ${POLICY_REMINDER_EVERY_DAYS} working days until they do. Track it with ${statusCommand}.`;
}
