import { randomBytes } from "node:crypto";
import { type CommandContext, systemContext } from "../commands/context.js";
import { enqueueDeliveries } from "../outbox/enqueue.js";
import { readWorkspace, requireRole, rolesOf } from "../records/workspace/access.js";
import { answer } from "../views/build.js";
import { at, link, rich } from "../views/rich.js";
import type { Answer, MessageView } from "../views/types.js";
import { webSettings } from "../web/settings.js";
import { DASHBOARD_ROLES, issueSignIn } from "./auth.js";

function linkView(token: string, expiresAt: Date, name: string): MessageView {
  const url = `${webSettings().publicUrl}/dashboard/signin?token=${token}`;
  return answer(
    rich`📊 ${link(url, "Open the quality dashboard")}, ${name}. The link works once, until ${at(expiresAt)}, and signs you in for 8 hours; keep it to yourself.`,
  );
}

/**
 * `qms dashboard`: a sign-in link for one use within 10 minutes (QMs, top management, auditors).
 * Where the answer would be seen by others (a Teams channel), the link goes to the person's own
 * chat instead, minted when that message is sent.
 */
export async function dashboardCommand(ctx: CommandContext): Promise<Answer> {
  await requireRole(ctx, DASHBOARD_ROLES, "open the quality dashboard");
  if (!ctx.surface.privateReplies && ctx.here && !ctx.here.personal) {
    await enqueueDeliveries(
      [
        {
          workspaceId: ctx.workspaceId,
          occasion: `dashboard:${ctx.requestId ?? randomBytes(8).toString("hex")}`,
          recipientId: ctx.actor.id,
          notBefore: ctx.now,
          workingHoursOnly: false,
          content: { dynamic: { type: "dashboardLink", name: ctx.actor.name } },
        },
      ],
      ctx.now,
    );
    return {
      kind: "reply",
      view: answer(
        rich`🔒 ${ctx.actor.name}, your sign-in link to the quality dashboard is in your personal chat with QOps: a link posted here could be used by anyone who sees it first.`,
      ),
    };
  }
  const { token, expiresAt } = await issueSignIn(ctx);
  return { kind: "reply", view: linkView(token, expiresAt, ctx.actor.name) };
}

/** The link sent to a person's own chat, minted as it is sent; null if their role is gone. */
export async function dashboardLinkView(
  workspaceId: string,
  userId: string,
  name: string,
  now: Date,
): Promise<MessageView | null> {
  const workspace = await readWorkspace(workspaceId);
  if (!workspace || !rolesOf(workspace, userId).some((r) => DASHBOARD_ROLES.includes(r))) return null;
  const ctx = { ...systemContext(workspaceId, now), actor: { id: userId, name } };
  const { token, expiresAt } = await issueSignIn(ctx);
  return linkView(token, expiresAt, name);
}
