import type { App } from "@slack/bolt";
import { IDEA_FILTERS, type IdeaFilter, listIdeas, showRecord } from "../../../commands/registers.js";
import { ideaModal } from "../presenters/modals.js";
import { helpBlocks, ideaRegister } from "../presenters/overview.js";
import { recordDetail } from "../presenters/records.js";
import { answering, commandContext, type SlackDeps } from "../requestContext.js";
import { SLASH_COMMANDS } from "../surface.js";
import { viewerFor } from "./viewer.js";

/** `/idea`, `/idea some text`, `/idea list [open|top|mine|all]`, `/idea IDEA-…`. */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMANDS.idea, async ({ command, ack, respond }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: "ephemeral", text }).then(() => undefined);
    await answering(deps.logger, tell, "/idea", async () => {
      const text = command.text.trim();
      const [first = "", second] = text.split(/\s+/);
      const ctx = commandContext(
        deps.clock,
        { teamId: command.team_id, userId: command.user_id, userName: command.user_name },
        command.trigger_id,
      );
      if (first.toLowerCase() === "list") {
        const filter = (second ?? "open").toLowerCase();
        if (!IDEA_FILTERS.includes(filter as IdeaFilter)) {
          await tell(
            `Unknown list "${filter.slice(0, 20)}". Try \`/idea list open\`, \`top\`, \`mine\` or \`all\`.`,
          );
          return;
        }
        const register = await listIdeas(ctx, filter as IdeaFilter);
        await respond({
          response_type: "ephemeral",
          text: `${register.total} ideas (${filter})`,
          blocks: ideaRegister(register),
        });
        return;
      }
      if (first.toLowerCase() === "help") {
        await respond({ response_type: "ephemeral", text: "QOps commands", blocks: helpBlocks() });
        return;
      }
      if (/^IDEA-\d{4}-\d{4,}$/i.test(text)) {
        const view = await showRecord(ctx, text);
        await respond({
          response_type: "ephemeral",
          text: `${view.record.ref}`,
          blocks: recordDetail(view, await viewerFor(ctx)),
        });
        return;
      }
      await deps.client.views.open({
        trigger_id: command.trigger_id,
        view: ideaModal(text ? { title: text.slice(0, 150) } : {}),
      });
    });
  });
}
