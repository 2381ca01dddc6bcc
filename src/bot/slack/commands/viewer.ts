import type { CommandContext } from "../../../commands/context.js";
import { hasRole } from "../../../commands/members.js";
import type { Viewer } from "../presenters/records.js";

/** Buttons in a reply to one person show only what that person may do. */
export async function viewerFor(ctx: CommandContext): Promise<Viewer> {
  return { userId: ctx.actor.id, isQm: await hasRole(ctx, "qm") };
}
