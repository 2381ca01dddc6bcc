import type { App } from "@slack/bolt";
import { isQopsError } from "../../../errors.js";
import type { SlackNotifier } from "../notify.js";
import { mrkdwnSection } from "../presenters/text.js";
import { commandContext, type SlackDeps } from "../requestContext.js";
import { EVENTS } from "../surface.js";

/** The App Home tab: "my items", and the triage queue for quality managers. */
export function register(app: App, deps: SlackDeps, notifier: SlackNotifier): void {
  app.event(EVENTS.appHomeOpened, async ({ event, body }) => {
    if (event.tab !== "home") return;
    const teamId = (body as { team_id?: string }).team_id;
    const ctx = commandContext(deps.clock, { teamId, userId: event.user, userName: undefined }, undefined);
    try {
      await notifier.publishHome(ctx);
    } catch (error) {
      if (!isQopsError(error)) {
        deps.logger.error({ err: error }, "App Home failed");
        return;
      }
      await deps.client.views.publish({
        user_id: event.user,
        view: { type: "home", blocks: [mrkdwnSection(`👋 ${error.userMessage}`)] },
      });
    }
  });
}
