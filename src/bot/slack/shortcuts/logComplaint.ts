import type { App, MessageShortcut } from "@slack/bolt";
import { complaintModal } from "../presenters/modals.js";
import { answering, dmTeller, type SlackDeps } from "../requestContext.js";
import { SHORTCUTS } from "../surface.js";

/** Message menu → "Log as complaint": the form, prefilled, remembering where it came from. */
export function register(app: App, deps: SlackDeps): void {
  app.shortcut<MessageShortcut>(SHORTCUTS.logComplaint, async ({ shortcut, ack }) => {
    await ack();
    await answering(deps.logger, dmTeller(deps, shortcut.user.id), SHORTCUTS.logComplaint, async () => {
      const text = (shortcut.message.text ?? "").trim();
      const firstLine = text.split("\n")[0] ?? "";
      await deps.client.views.open({
        trigger_id: shortcut.trigger_id,
        view: complaintModal(
          { title: firstLine.slice(0, 150), description: text.slice(0, 3000) },
          {
            channelId: shortcut.channel.id,
            ts: shortcut.message.ts,
            authorId: shortcut.message.user ?? null,
          },
        ),
      });
    });
  });
}
