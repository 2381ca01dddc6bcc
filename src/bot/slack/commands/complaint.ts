import type { App } from "@slack/bolt";
import {
  COMPLAINT_FILTERS,
  type ComplaintFilter,
  listComplaints,
  showRecord,
} from "../../../commands/registers.js";
import { complaintModal } from "../presenters/modals.js";
import { complaintRegister, helpBlocks } from "../presenters/overview.js";
import { recordDetail } from "../presenters/records.js";
import { answering, commandContext, type SlackDeps } from "../requestContext.js";
import { SLASH_COMMANDS } from "../surface.js";
import { viewerFor } from "./viewer.js";

const REF = /^[A-Za-z]+-\d{4}-\d{4,}$/;

/** `/complaint`, `/complaint some text`, `/complaint list [filter]`, `/complaint CMP-…`. */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMANDS.complaint, async ({ command, ack, respond }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: "ephemeral", text }).then(() => undefined);
    await answering(deps.logger, tell, "/complaint", async () => {
      const text = command.text.trim();
      const [first = "", second] = text.split(/\s+/);
      const ctx = commandContext(
        deps.clock,
        { teamId: command.team_id, userId: command.user_id, userName: command.user_name },
        command.trigger_id,
      );
      if (first.toLowerCase() === "list") {
        const filter = (second ?? "open").toLowerCase();
        if (!COMPLAINT_FILTERS.includes(filter as ComplaintFilter)) {
          await tell(
            `Unknown list "${filter.slice(0, 20)}". Try \`/complaint list open\`, \`mine\`, \`overdue\` or \`all\`.`,
          );
          return;
        }
        const register = await listComplaints(ctx, filter as ComplaintFilter);
        await respond({
          response_type: "ephemeral",
          text: `${register.total} complaints (${filter})`,
          blocks: complaintRegister(register, ctx.now),
        });
        return;
      }
      if (first.toLowerCase() === "help") {
        await respond({ response_type: "ephemeral", text: "QOps commands", blocks: helpBlocks() });
        return;
      }
      if (REF.test(text)) {
        const view = await showRecord(ctx, text);
        await respond({
          response_type: "ephemeral",
          text: `${view.record.ref}`,
          blocks: recordDetail(view, await viewerFor(ctx)),
        });
        return;
      }
      // Anything else is the start of a complaint: open the form with it.
      const prefill = text.length > 150 ? { title: text.slice(0, 150), description: text } : { title: text };
      await deps.client.views.open({
        trigger_id: command.trigger_id,
        view: complaintModal(text ? prefill : {}),
      });
    });
  });
}
