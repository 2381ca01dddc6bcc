import type { App } from "@slack/bolt";
import { COMPLAINT_FILTERS, listComplaints } from "../../../commands/registers.js";
import { complaintModal } from "../presenters/modals.js";
import { complaintRegister } from "../presenters/overview.js";
import type { SlackDeps } from "../requestContext.js";
import { SLASH_COMMANDS } from "../surface.js";
import { registerRecordCommand } from "./registerCommand.js";

/** `/complaint`, `/complaint some text`, `/complaint list [open|mine|overdue|all]`, `/complaint CMP-…`. */
export function register(app: App, deps: SlackDeps): void {
  registerRecordCommand(app, deps, {
    command: SLASH_COMMANDS.complaint,
    plural: "complaints",
    filters: COMPLAINT_FILTERS,
    // Any reference: /complaint CA-… says clearly that it is not a complaint.
    refPattern: /^[A-Za-z]+-\d{4}-\d{4,}$/,
    list: async (ctx, filter) => {
      const register = await listComplaints(ctx, filter);
      return { total: register.total, blocks: complaintRegister(register, ctx.now) };
    },
    form: (text) => {
      if (!text) return complaintModal();
      return complaintModal(
        text.length > 150 ? { title: text.slice(0, 150), description: text } : { title: text },
      );
    },
  });
}
