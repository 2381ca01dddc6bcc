import type { App, types } from "@slack/bolt";
import type { CommandContext } from "../../../commands/context.js";
import { showRecord } from "../../../commands/registers.js";
import { helpBlocks } from "../presenters/overview.js";
import { recordDetail } from "../presenters/records.js";
import { answering, commandContext, type SlackDeps } from "../requestContext.js";
import { viewerFor } from "./viewer.js";

/** What differs between `/complaint` and `/idea`: the register, the reference, the form. */
export interface RecordCommand<F extends string> {
  command: string;
  /** "complaints", "ideas": used in replies. */
  plural: string;
  filters: readonly F[];
  refPattern: RegExp;
  list: (ctx: CommandContext, filter: F) => Promise<{ total: number; blocks: types.KnownBlock[] }>;
  /** The form, prefilled from the command's text. */
  form: (text: string) => types.View;
}

/** `/x`, `/x some text` (the form, prefilled), `/x list [filter]`, `/x REF`, `/x help`. */
export function registerRecordCommand<F extends string>(
  app: App,
  deps: SlackDeps,
  spec: RecordCommand<F>,
): void {
  app.command(spec.command, async ({ command, ack, respond }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: "ephemeral", text }).then(() => undefined);
    await answering(deps.logger, tell, spec.command, async () => {
      const text = command.text.trim();
      const [first = "", second] = text.split(/\s+/);
      const who = { teamId: command.team_id, userId: command.user_id, userName: command.user_name };
      const ctx = commandContext(deps.clock, who, command.trigger_id);
      if (first.toLowerCase() === "list") {
        const filter = (second ?? "open").toLowerCase() as F;
        if (!spec.filters.includes(filter)) {
          const options = spec.filters.map((f) => `\`${f}\``).join(", ");
          await tell(
            `Unknown list "${filter.slice(0, 20)}". Try \`${spec.command} list\` with one of ${options}.`,
          );
          return;
        }
        const { total, blocks } = await spec.list(ctx, filter);
        await respond({ response_type: "ephemeral", text: `${total} ${spec.plural} (${filter})`, blocks });
        return;
      }
      if (first.toLowerCase() === "help") {
        await respond({ response_type: "ephemeral", text: "QOps commands", blocks: helpBlocks() });
        return;
      }
      if (spec.refPattern.test(text)) {
        const view = await showRecord(ctx, text);
        const blocks = recordDetail(view, await viewerFor(ctx));
        await respond({ response_type: "ephemeral", text: `${view.record.ref}`, blocks });
        return;
      }
      await deps.client.views.open({ trigger_id: command.trigger_id, view: spec.form(text) });
    });
  });
}
