import type { App, RespondFn } from "@slack/bolt";
import type { CommandContext } from "../../../commands/context.js";
import { changeRole, listRoles, roleFromWord, roleName } from "../../../commands/members.js";
import {
  ACTION_FILTERS,
  type ActionFilter,
  listActions,
  myItems,
  qmsStatus,
  showRecord,
} from "../../../commands/registers.js";
import {
  setAuditReminderDays,
  setGuestMembership,
  setQualityChannel,
  setSeveritySla,
  setupWorkspace,
  setWorkingHours,
  setWorkspaceTimezone,
} from "../../../commands/setupWorkspace.js";
import { QopsError } from "../../../errors.js";
import { SEVERITIES, type Severity } from "../../../models/complaint.js";
import { ROLES } from "../../../models/member.js";
import { actionModal } from "../presenters/modals.js";
import {
  actionRegister,
  helpBlocks,
  myItemsBlocks,
  rolesBlocks,
  statusBlocks,
} from "../presenters/overview.js";
import { recordDetail } from "../presenters/records.js";
import { context, mrkdwnSection } from "../presenters/text.js";
import {
  answering,
  commandContext,
  commandWords,
  displayName,
  parseChannel,
  parseMention,
  type SlackDeps,
} from "../requestContext.js";
import { ACTIONS, SLASH_COMMANDS } from "../surface.js";
import { qmsCalendarSubcommands } from "./calendar.js";
import { viewerFor } from "./viewer.js";

function channelPicker() {
  return {
    type: "actions" as const,
    block_id: "qms-channel",
    elements: [
      {
        type: "conversations_select" as const,
        action_id: ACTIONS.qmsSetChannel,
        placeholder: { type: "plain_text" as const, text: "Choose the quality channel" },
        filter: { include: ["public" as const, "private" as const], exclude_bot_users: true },
      },
    ],
  };
}

interface Sub {
  ctx: CommandContext;
  args: string[];
  respond: RespondFn;
  teamId: string;
  triggerId: string;
}

async function setup({ ctx, args, respond, teamId }: Sub) {
  const channel = parseChannel(args[0]);
  const { workspace, created } = await setupWorkspace(ctx, { externalId: teamId, qualityChannelId: channel });
  const lead = created
    ? `✅ QOps is set up, and you (${ctx.actor.name}) are its first quality manager.`
    : "✅ QOps was already set up by you; you are its quality manager.";
  const next = workspace.qualityChannelId
    ? `Triage messages and ideas go to <#${workspace.qualityChannelId}>. Invite QOps there (\`/invite @QOps\`).`
    : "Next: choose the quality channel, where new complaints are triaged and ideas are posted.";
  await respond({
    response_type: "ephemeral",
    text: `${lead} ${next}`,
    blocks: [
      mrkdwnSection(`${lead}\n${next}`),
      ...(workspace.qualityChannelId ? [] : [channelPicker()]),
      context(
        "Give others roles with `/qms roles grant @person qm|top_management|auditor`. `/qms help` lists every command.",
      ),
    ],
  });
}

async function roles({ ctx, args, respond }: Sub, deps: SlackDeps) {
  const [verb, who, roleWord] = args;
  if (!verb) {
    await respond({ response_type: "ephemeral", text: "Roles", blocks: rolesBlocks(await listRoles(ctx)) });
    return;
  }
  const grant = verb.toLowerCase() === "grant" || verb.toLowerCase() === "add";
  const revoke = verb.toLowerCase() === "revoke" || verb.toLowerCase() === "remove";
  const target = parseMention(who);
  const role = roleFromWord(roleWord);
  if ((!grant && !revoke) || !target || !role) {
    throw new QopsError(
      "invalid_input",
      `Use \`/qms roles grant @person ROLE\` or \`/qms roles revoke @person ROLE\`, where ROLE is ${ROLES.join(", ")}. Mention the person with @ so Slack links them.`,
    );
  }
  const name = target.name ?? (await displayName(deps, target.id));
  const change = await changeRole(ctx, { id: target.id, name }, role, grant);
  await respond({
    response_type: "in_channel",
    text: `${grant ? "✅ Granted" : "✅ Revoked"} ${roleName(role)} ${grant ? "to" : "from"} <@${change.member.userId}> (by ${ctx.actor.name}). Their roles now: ${change.member.roles.map(roleName).join(", ") || "employee"}.`,
  });
}

async function channel({ ctx, args, respond }: Sub) {
  const channelId = parseChannel(args[0]);
  if (!channelId) throw new QopsError("invalid_input", "Name the channel: `/qms channel #quality`.");
  await setQualityChannel(ctx, channelId);
  await respond({
    response_type: "ephemeral",
    text: `✅ The quality channel is now <#${channelId}> (set by ${ctx.actor.name}). Invite QOps there if it is private.`,
  });
}

async function sla({ ctx, args, respond }: Sub) {
  const [severityWord, daysWord] = args;
  const severity = (severityWord ?? "").toLowerCase();
  if (!SEVERITIES.includes(severity as Severity) || !daysWord) {
    throw new QopsError(
      "invalid_input",
      "Use `/qms sla low|medium|high|critical DAYS`, e.g. `/qms sla high 3`.",
    );
  }
  const workspace = await setSeveritySla(ctx, severity as Severity, Number(daysWord));
  const s = workspace.slaDays;
  await respond({
    response_type: "ephemeral",
    text: `✅ ${severity} complaints are now due ${daysWord} days after they are logged (changed by ${ctx.actor.name}; applies to new complaints). Current: critical ${s.critical}, high ${s.high}, medium ${s.medium}, low ${s.low} days.`,
  });
}

async function action({ ctx, args, respond, triggerId }: Sub, deps: SlackDeps) {
  const [what] = args;
  if ((what ?? "").toLowerCase() === "new") {
    await deps.client.views.open({ trigger_id: triggerId, view: actionModal(null) });
    return;
  }
  if (what && /^CA-\d{4}-\d{4,}$/i.test(what)) {
    const view = await showRecord(ctx, what);
    await respond({
      response_type: "ephemeral",
      text: `${view.record.ref}`,
      blocks: recordDetail(view, await viewerFor(ctx)),
    });
    return;
  }
  throw new QopsError("invalid_input", "Use `/qms action new` or `/qms action CA-2026-0001`.");
}

async function actions({ ctx, args, respond }: Sub) {
  const filter = (args[0] ?? "open").toLowerCase();
  if (!ACTION_FILTERS.includes(filter as ActionFilter)) {
    throw new QopsError(
      "invalid_input",
      `Unknown list "${filter.slice(0, 20)}". Try \`/qms actions open\`, \`mine\`, \`overdue\` or \`all\`.`,
    );
  }
  const register = await listActions(ctx, filter as ActionFilter);
  await respond({
    response_type: "ephemeral",
    text: `${register.total} actions (${filter})`,
    blocks: actionRegister(register, ctx.now),
  });
}

async function guests({ ctx, args, respond }: Sub) {
  const choice = (args[0] ?? "").toLowerCase();
  if (choice !== "include" && choice !== "exclude") {
    throw new QopsError(
      "invalid_input",
      "Use `/qms guests include` or `/qms guests exclude` (whether guest accounts are asked to acknowledge the policy).",
    );
  }
  await setGuestMembership(ctx, choice === "include");
  await respond({
    response_type: "ephemeral",
    text: `✅ Guests are now ${choice}d from the members QOps asks (changed by ${ctx.actor.name}); this applies from the next member sync and publication.`,
  });
}

async function hours({ ctx, args, respond }: Sub) {
  const workspace = await setWorkingHours(ctx, args[0] ?? "", args[1] ?? "mon-fri");
  const { start, end, days } = workspace.workingHours;
  const names = days.map((d) => ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d]).join(", ");
  await respond({
    response_type: "ephemeral",
    text: `✅ Reminders now go out ${start}–${end} on ${names}, in each person's own time zone (changed by ${ctx.actor.name}).`,
  });
}

async function timezone({ ctx, args, respond }: Sub) {
  const workspace = await setWorkspaceTimezone(ctx, args[0] ?? "");
  await respond({
    response_type: "ephemeral",
    text: `✅ The workspace's time zone is now ${workspace.timezone} (changed by ${ctx.actor.name}); the weekly digest goes out Mondays at 09:00 there.`,
  });
}

async function auditReminders({ ctx, args, respond }: Sub) {
  const workspace = await setAuditReminderDays(ctx, args);
  await respond({
    response_type: "ephemeral",
    text: `✅ Auditors and auditees are now reminded ${workspace.auditReminderDays.join(" and ")} days before an audit (changed by ${ctx.actor.name}).`,
  });
}

async function mine({ ctx, respond }: Sub) {
  const items = await myItems(ctx);
  await respond({ response_type: "ephemeral", text: "My items", blocks: myItemsBlocks(items, ctx.now) });
}

async function status({ ctx, respond }: Sub) {
  await respond({
    response_type: "ephemeral",
    text: "QMS status",
    blocks: statusBlocks(await qmsStatus(ctx)),
  });
}

/** `/qms setup|roles|channel|sla|action|actions|status|help`. */
export function register(app: App, deps: SlackDeps): void {
  const subcommands: Record<string, (sub: Sub) => Promise<void>> = {
    setup,
    roles: (sub) => roles(sub, deps),
    channel,
    sla,
    action: (sub) => action(sub, deps),
    actions,
    status,
    guests,
    hours,
    timezone,
    mine,
    "audit-reminders": auditReminders,
    ...qmsCalendarSubcommands(deps),
  };
  app.command(SLASH_COMMANDS.qms, async ({ command, ack, respond }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: "ephemeral", text }).then(() => undefined);
    await answering(deps.logger, tell, "/qms", async () => {
      const [name = "", ...args] = commandWords(command.text);
      const run = subcommands[name.toLowerCase()];
      if (!run) {
        const intro =
          name && name.toLowerCase() !== "help"
            ? `Unknown sub-command "${name.slice(0, 30)}". Here is what QOps understands:`
            : undefined;
        await respond({ response_type: "ephemeral", text: "QOps commands", blocks: helpBlocks(intro) });
        return;
      }
      const ctx = commandContext(
        deps.clock,
        { teamId: command.team_id, userId: command.user_id, userName: command.user_name },
        command.trigger_id,
      );
      await run({ ctx, args, respond, teamId: command.team_id, triggerId: command.trigger_id });
    });
  });
}
