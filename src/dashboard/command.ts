import type { CommandContext } from "../commands/context.js";
import { evidenceSettings } from "../evidence/settings.js";
import { answer } from "../views/build.js";
import { at, link, rich } from "../views/rich.js";
import type { Answer } from "../views/types.js";
import { issueSignIn } from "./auth.js";

/** `qms dashboard`: a sign-in link for one use within 10 minutes (QMs, top management, auditors). */
export async function dashboardCommand(ctx: CommandContext): Promise<Answer> {
  const { token, expiresAt } = await issueSignIn(ctx);
  const url = `${evidenceSettings().publicUrl}/dashboard/signin?token=${token}`;
  return {
    kind: "reply",
    view: answer(
      rich`📊 ${link(url, "Open the quality dashboard")}, ${ctx.actor.name}. The link works once, until ${at(expiresAt)}, and signs you in for 8 hours; only you see it here.`,
    ),
  };
}
