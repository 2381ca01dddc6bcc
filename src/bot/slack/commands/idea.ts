import type { App } from "@slack/bolt";
import { IDEA_FILTERS, listIdeas } from "../../../commands/registers.js";
import { ideaModal } from "../presenters/modals.js";
import { ideaRegister } from "../presenters/overview.js";
import type { SlackDeps } from "../requestContext.js";
import { SLASH_COMMANDS } from "../surface.js";
import { registerRecordCommand } from "./registerCommand.js";

/** `/idea`, `/idea some text`, `/idea list [open|top|mine|all]`, `/idea IDEA-…`. */
export function register(app: App, deps: SlackDeps): void {
  registerRecordCommand(app, deps, {
    command: SLASH_COMMANDS.idea,
    plural: "ideas",
    filters: IDEA_FILTERS,
    refPattern: /^IDEA-\d{4}-\d{4,}$/i,
    list: async (ctx, filter) => {
      const register = await listIdeas(ctx, filter);
      return { total: register.total, blocks: ideaRegister(register) };
    },
    form: (text) => ideaModal(text ? { title: text.slice(0, 150) } : {}),
  });
}
