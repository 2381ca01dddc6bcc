import type { App, RespondFn, ViewSubmitAction } from "@slack/bolt";
import { auditInput, scheduleAudit } from "../../../commands/audits/auditCommands.js";
import { RECORD_ACTIONS } from "../../../commands/buttons.js";
import {
  announceAudit,
  auditCommand,
  auditReply,
  type CalendarReply,
  type Dialect,
  docsCommand,
  objectivesCommand,
  type PersonResolver,
  reviewCommand,
} from "../../../commands/calendarCommands.js";
import type { CommandContext } from "../../../commands/context.js";
import { QopsError } from "../../../errors.js";
import { actionsBlock, header, plainSection } from "../presenters/text.js";
import {
  answering,
  type ButtonArgs,
  commandContext,
  commandWords,
  displayName,
  dmTeller,
  onButtonPress,
  parseMention,
  type SlackDeps,
  type Tell,
} from "../requestContext.js";
import { SLASH_COMMANDS, VIEWS } from "../surface.js";
import { formValues } from "../views/formValues.js";

export const SLACK_DIALECT: Dialect = { audit: "/audit", review: "/review", qms: "/qms" };

/** A calendar reply as Block Kit: a header, the lines as plain text (user text stays literal), buttons. */
export function calendarBlocks(reply: CalendarReply) {
  const chunks: string[] = [];
  let current = reply.text;
  for (const line of reply.lines ?? []) {
    if (current.length + line.length + 1 > 2900) {
      chunks.push(current);
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return [
    ...(reply.title ? [header(reply.title)] : []),
    ...chunks.map(plainSection),
    ...actionsBlock(reply.buttons ?? []),
  ];
}

export function slackPeople(deps: SlackDeps): PersonResolver {
  return async (word) => {
    const mention = parseMention(word);
    if (!mention) return null;
    return { id: mention.id, name: mention.name ?? (await displayName(deps, mention.id)) };
  };
}

function auditModal() {
  const text = (
    id: string,
    label: string,
    options: { multiline?: boolean; optional?: boolean; max: number; placeholder?: string },
  ) => ({
    type: "input" as const,
    block_id: id,
    optional: options.optional ?? false,
    label: { type: "plain_text" as const, text: label },
    element: {
      type: "plain_text_input" as const,
      action_id: id,
      multiline: options.multiline ?? false,
      max_length: options.max,
      ...(options.placeholder
        ? { placeholder: { type: "plain_text" as const, text: options.placeholder } }
        : {}),
    },
  });
  return {
    type: "modal" as const,
    callback_id: VIEWS.scheduleAudit,
    title: { type: "plain_text" as const, text: "Schedule an audit" },
    submit: { type: "plain_text" as const, text: "Schedule" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      text("process", "Process or area", { max: 150, placeholder: "e.g. Purchasing" }),
      text("clauses", "ISO 9001 clauses", { max: 300, optional: true, placeholder: "e.g. 8.4, 8.5.1" }),
      {
        type: "input" as const,
        block_id: "leadAuditor",
        label: { type: "plain_text" as const, text: "Lead auditor" },
        element: { type: "users_select" as const, action_id: "leadAuditor" },
      },
      {
        type: "input" as const,
        block_id: "auditees",
        optional: true,
        label: { type: "plain_text" as const, text: "Auditees" },
        element: { type: "multi_users_select" as const, action_id: "auditees" },
      },
      {
        type: "input" as const,
        block_id: "date",
        label: { type: "plain_text" as const, text: "Date" },
        element: { type: "datepicker" as const, action_id: "date" },
      },
      text("checklist", "Checklist questions (one per line)", { multiline: true, optional: true, max: 3000 }),
    ],
  };
}

function objectiveModal(ref: string) {
  return {
    type: "modal" as const,
    callback_id: VIEWS.objectiveValue,
    title: { type: "plain_text" as const, text: "Record a value" },
    submit: { type: "plain_text" as const, text: "Record" },
    close: { type: "plain_text" as const, text: "Cancel" },
    private_metadata: JSON.stringify({ ref }),
    blocks: [
      {
        type: "input" as const,
        block_id: "value",
        label: { type: "plain_text" as const, text: `Value of ${ref}` },
        element: { type: "plain_text_input" as const, action_id: "value", max_length: 30 },
      },
      {
        type: "input" as const,
        block_id: "period",
        optional: true,
        label: {
          type: "plain_text" as const,
          text: "Period (default: the last one), e.g. 2026-11 or 2026-Q4",
        },
        element: { type: "plain_text_input" as const, action_id: "period", max_length: 10 },
      },
    ],
  };
}

/** `/audit …`, `/review …`, `/qms docs …`, `/qms objectives …`, their buttons and forms. */
export function register(app: App, deps: SlackDeps): void {
  const people = slackPeople(deps);
  const answer = async (respond: RespondFn, reply: CalendarReply) => {
    await respond({ response_type: "ephemeral", text: reply.text, blocks: calendarBlocks(reply) });
  };
  for (const [command, run] of [
    [SLASH_COMMANDS.audit, auditCommand],
    [SLASH_COMMANDS.review, reviewCommand],
  ] as const) {
    app.command(command, async ({ command: body, ack, respond }) => {
      await ack();
      const tell: Tell = (text) => respond({ response_type: "ephemeral", text }).then(() => undefined);
      await answering(deps.logger, tell, command, async () => {
        const ctx = commandContext(
          deps.clock,
          { teamId: body.team_id, userId: body.user_id, userName: body.user_name },
          body.trigger_id,
        );
        const reply = await run(ctx, commandWords(body.text), people, SLACK_DIALECT);
        if (reply.form === "audit") {
          await deps.client.views.open({ trigger_id: body.trigger_id, view: auditModal() });
          return;
        }
        await answer(respond, reply);
      });
    });
  }

  app.view<ViewSubmitAction>(VIEWS.scheduleAudit, async ({ ack, body, view }) => {
    const values = formValues(view);
    const parsed = auditInput.safeParse(values);
    if (!parsed.success || !values.leadAuditor) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.success ? [] : parsed.error.issues)
        errors[String(issue.path[0])] ??= issue.message;
      if (!values.leadAuditor) errors.leadAuditor = "Choose the lead auditor.";
      await ack({ response_action: "errors", errors });
      return;
    }
    const state = view.state.values.auditees?.auditees as { selected_users?: string[] } | undefined;
    const auditeeIds = state?.selected_users ?? [];
    const ctx = commandContext(
      deps.clock,
      { teamId: body.team?.id ?? body.user.team_id, userId: body.user.id, userName: body.user.name },
      `view:${view.id}`,
    );
    const leadAuditor = { id: values.leadAuditor, name: await displayName(deps, values.leadAuditor) };
    const auditees = await Promise.all(
      auditeeIds.map(async (id) => ({ id, name: await displayName(deps, id) })),
    );
    try {
      // Checked before the modal closes, so an impartiality refusal shows on the form.
      const { audit, created } = await scheduleAudit(ctx, values, { leadAuditor, auditees });
      await ack();
      if (!created) return;
      await announceAudit(ctx, audit, "scheduled");
      const reply = auditReply(
        audit,
        `✅ ${audit.ref} scheduled by ${ctx.actor.name}: ${audit.process} on ${audit.scheduledFor?.toISOString().slice(0, 10)}, lead auditor ${leadAuditor.name}.`,
      );
      await deps.client.chat.postMessage({
        channel: ctx.actor.id,
        text: reply.text,
        blocks: calendarBlocks(reply),
      });
    } catch (error) {
      if (error instanceof QopsError && error.fieldErrors) {
        await ack({ response_action: "errors", errors: error.fieldErrors });
        return;
      }
      await ack();
      await answering(deps.logger, dmTeller(deps, ctx.actor.id), VIEWS.scheduleAudit, async () => {
        throw error;
      });
    }
  });

  const button = (
    actionId: string,
    run: (ctx: CommandContext, ref: string, args: ButtonArgs) => Promise<CalendarReply | null>,
  ) =>
    onButtonPress(app, deps, actionId, async (ctx, ref, args) => {
      const reply = await run(ctx, ref, args);
      if (!reply) return;
      const message = { text: reply.text, blocks: calendarBlocks(reply) };
      if (args.body.response_url)
        await args.respond({ response_type: "ephemeral", replace_original: false, ...message });
      else await deps.client.chat.postMessage({ channel: args.body.user.id, ...message });
    });
  button(RECORD_ACTIONS.auditStart, (ctx, ref) => auditCommand(ctx, [ref, "start"], people, SLACK_DIALECT));
  button(RECORD_ACTIONS.auditReport, (ctx, ref) => auditCommand(ctx, [ref, "report"], people, SLACK_DIALECT));
  button(RECORD_ACTIONS.auditClose, (ctx, ref) => auditCommand(ctx, [ref, "close"], people, SLACK_DIALECT));
  button(RECORD_ACTIONS.reviewApproveMinutes, (ctx, ref) =>
    reviewCommand(ctx, [ref, "approve"], people, SLACK_DIALECT),
  );
  button(RECORD_ACTIONS.documentReviewed, (ctx, ref) =>
    docsCommand(ctx, [ref, "reviewed"], people, SLACK_DIALECT),
  );
  button(RECORD_ACTIONS.objectiveRecord, async (_ctx, ref, args) => {
    await deps.client.views.open({ trigger_id: args.body.trigger_id, view: objectiveModal(ref) });
    return null;
  });

  app.view<ViewSubmitAction>(VIEWS.objectiveValue, async ({ ack, body, view }) => {
    const values = formValues(view);
    if (!values.value || !Number.isFinite(Number(values.value.replace(",", ".")))) {
      await ack({ response_action: "errors", errors: { value: "Give a number, e.g. 97.5." } });
      return;
    }
    await ack();
    const { ref = "" } = JSON.parse(view.private_metadata || "{}") as { ref?: string };
    await answering(deps.logger, dmTeller(deps, body.user.id), VIEWS.objectiveValue, async () => {
      const ctx = commandContext(
        deps.clock,
        { teamId: body.team?.id ?? body.user.team_id, userId: body.user.id, userName: body.user.name },
        `view:${view.id}`,
      );
      const reply = await objectivesCommand(
        ctx,
        [ref, "record", values.value ?? "", ...(values.period ? [values.period] : [])],
        people,
        SLACK_DIALECT,
      );
      await deps.client.chat.postMessage({
        channel: body.user.id,
        text: reply.text,
        blocks: calendarBlocks(reply),
      });
    });
  });
}

/** `/qms docs …` and `/qms objectives …`, for the /qms router. */
export function qmsCalendarSubcommands(deps: SlackDeps) {
  const people = slackPeople(deps);
  const wrap =
    (run: typeof docsCommand) =>
    async ({ ctx, args, respond }: { ctx: CommandContext; args: string[]; respond: RespondFn }) => {
      const reply = await run(ctx, args, people, SLACK_DIALECT);
      await respond({ response_type: "ephemeral", text: reply.text, blocks: calendarBlocks(reply) });
    };
  return { docs: wrap(docsCommand), objectives: wrap(objectivesCommand) };
}
