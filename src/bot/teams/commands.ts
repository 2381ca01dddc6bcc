import { randomUUID } from "node:crypto";
import {
  auditCommand,
  type CalendarReply,
  type Dialect,
  docsCommand,
  objectivesCommand,
  reviewCommand,
} from "../../commands/calendarCommands.js";
import { COMPLAINT_CATEGORIES } from "../../commands/complaints/createComplaint.js";
import type { CommandContext } from "../../commands/context.js";
import {
  changeRole,
  hasRole,
  listRoles,
  requireRole,
  roleFromWord,
  roleName,
} from "../../commands/members.js";
import {
  approvePolicy,
  currentPolicy,
  policyStatus,
  policyStatusCsv,
} from "../../commands/policy/policyCommands.js";
import { publishAndAsk, publishedText } from "../../commands/policy/publishAndAsk.js";
import {
  ACTION_FILTERS,
  type ActionFilter,
  COMPLAINT_FILTERS,
  type ComplaintFilter,
  IDEA_FILTERS,
  type IdeaFilter,
  listActions,
  listComplaints,
  listIdeas,
  myItems,
  qmsStatus,
  showRecord,
} from "../../commands/registers.js";
import {
  setAuditReminderDays,
  setGuestMembership,
  setQualityChannel,
  setSeveritySla,
  setupWorkspace,
  setWorkingHours,
  setWorkspaceTimezone,
} from "../../commands/setupWorkspace.js";
import { QopsError } from "../../errors.js";
import { SEVERITIES, type Severity } from "../../models/complaint.js";
import { AcknowledgementModel } from "../../models/controlledDocument.js";
import { MemberModel, ROLES } from "../../models/member.js";
import {
  type AdaptiveCard,
  actionForm,
  actionLine,
  auditForm,
  complaintForm,
  complaintLine,
  helpCard,
  ideaForm,
  ideaLine,
  myItemsCard,
  outboundCard,
  policyDraftForm,
  recordDetailCard,
  registerCard,
  rolesCard,
  statusCard,
} from "./cards.js";
import { memberAddress, rememberConversation, userIdForTeamsId } from "./conversations.js";
import { policyCard } from "./policyCards.js";
import { TEAMS_COMMANDS } from "./surface.js";
import { channelAddress, type InboundActivity, isPersonal, type TeamsDeps, tenantOf } from "./turn.js";

/** What the bot answers to a typed command. */
export interface Reply {
  text: string;
  card?: AdaptiveCard;
}

interface Typed {
  ctx: CommandContext;
  args: string[];
  activity: InboundActivity;
  /** Mentions in the text, in order: `<at>Name</at>` became `@mention0`, … */
  mentions: { id: string; name: string }[];
}

/** Splits the text into words; each `<at>…</at>` mention becomes one `@mentionN` word. */
export function tokenize(
  text: string,
  activity: InboundActivity,
): { words: string[]; mentions: Typed["mentions"] } {
  const mentions: Typed["mentions"] = [];
  const entities = (activity.entities ?? []).filter((e) => e.type === "mention" && e.mentioned?.id);
  const replaced = text.replace(/<at>([^<]*)<\/at>/g, (whole, name: string) => {
    const entity = entities.find((e) => e.text === whole) ?? entities.find((e) => e.mentioned?.name === name);
    mentions.push({ id: entity?.mentioned?.id ?? "", name });
    return ` @mention${mentions.length - 1} `;
  });
  return { words: replaced.trim().split(/\s+/).filter(Boolean), mentions };
}

const listUsage = (command: string, filters: readonly string[]) =>
  `Try \`${command} list\` with one of ${filters.map((f) => `\`${f}\``).join(", ")}.`;

/** `complaint`, `complaint some text`, `complaint list [filter]`, `complaint CMP-…`. */
async function complaint({ ctx, args }: Typed): Promise<Reply> {
  const first = (args[0] ?? "").toLowerCase();
  if (first === "list") {
    const filter = (args[1] ?? "open").toLowerCase();
    if (!COMPLAINT_FILTERS.includes(filter as ComplaintFilter))
      throw new QopsError(
        "invalid_input",
        `Unknown list "${filter.slice(0, 20)}". ${listUsage("complaint", COMPLAINT_FILTERS)}`,
      );
    const register = await listComplaints(ctx, filter as ComplaintFilter);
    return {
      text: `${register.total} complaints (${filter})`,
      card: registerCard("Complaints", register, (c) => complaintLine(c, ctx.now), "No complaints match."),
    };
  }
  if (first === "help") return { text: "QOps commands", card: helpCard() };
  const text = args.join(" ");
  if (/^[A-Za-z]+-\d{4}-\d{4,}$/.test(text)) return recordReply(ctx, text);
  const values = text
    ? text.length > 150
      ? { title: text.slice(0, 150), description: text }
      : { title: text }
    : {};
  return {
    text: "Log a complaint: fill in the form and press Log complaint.",
    card: complaintForm(randomUUID(), values, {}, SEVERITIES, COMPLAINT_CATEGORIES),
  };
}

async function idea({ ctx, args }: Typed): Promise<Reply> {
  const first = (args[0] ?? "").toLowerCase();
  if (first === "list") {
    const filter = (args[1] ?? "open").toLowerCase();
    if (!IDEA_FILTERS.includes(filter as IdeaFilter))
      throw new QopsError(
        "invalid_input",
        `Unknown list "${filter.slice(0, 20)}". ${listUsage("idea", IDEA_FILTERS)}`,
      );
    const register = await listIdeas(ctx, filter as IdeaFilter);
    return {
      text: `${register.total} ideas (${filter})`,
      card: registerCard("Ideas", register, ideaLine, "No ideas match."),
    };
  }
  if (first === "help") return { text: "QOps commands", card: helpCard() };
  const text = args.join(" ");
  if (/^[A-Za-z]+-\d{4}-\d{4,}$/.test(text)) return recordReply(ctx, text);
  return {
    text: "Suggest an improvement: fill in the form and press Submit idea.",
    card: ideaForm(randomUUID(), text ? { title: text.slice(0, 150) } : {}, {}),
  };
}

async function recordReply(ctx: CommandContext, ref: string): Promise<Reply> {
  const view = await showRecord(ctx, ref);
  const viewer = { userId: ctx.actor.id, isQm: await hasRole(ctx, "qm") };
  return { text: `${view.record.ref} is ${view.record.state}`, card: recordDetailCard(view, { viewer }) };
}

/** A mentioned person (or a typed id, as the Emulator has no mentions) as a member id. */
async function mentioned(
  typed: Typed,
  word: string | undefined,
  deps: TeamsDeps,
): Promise<{ id: string; name: string } | null> {
  if (!word) return null;
  if (["me", "myself"].includes(word.toLowerCase())) return { ...typed.ctx.actor };
  const match = /^@mention(\d+)$/.exec(word);
  if (!match) {
    // A typed id: an Entra object id, or a Teams id (`29:…`) QOps has seen.
    if (!/^[\w:.-]{3,}$/.test(word)) return null;
    const id = (await userIdForTeamsId(typed.ctx.workspaceId, word)) ?? word;
    const address = await memberAddress(typed.ctx.workspaceId, id);
    return { id, name: address?.name ?? id };
  }
  const mention = typed.mentions[Number(match[1])];
  if (!mention?.id) return null;
  const known = await userIdForTeamsId(typed.ctx.workspaceId, mention.id);
  if (known) return { id: known, name: mention.name };
  const { activity } = typed;
  if (activity.serviceUrl && activity.conversation?.id) {
    try {
      const member = await deps.connector.member(
        activity.serviceUrl,
        tenantOf(activity),
        activity.conversation.id,
        mention.id,
      );
      return { id: member.aadObjectId ?? mention.id, name: member.name ?? mention.name };
    } catch (error) {
      deps.logger.warn({ err: error }, "could not look the mentioned member up; using their Teams id");
    }
  }
  return { id: mention.id, name: mention.name };
}

async function qms(typed: Typed, deps: TeamsDeps): Promise<Reply> {
  const { ctx, activity } = typed;
  const [name = "", ...args] = typed.args;
  switch (name.toLowerCase()) {
    case "setup": {
      const here = isPersonal(activity) ? null : (activity.conversation?.id ?? null);
      if (here) await rememberHere(activity, ctx);
      const { workspace, created } = await setupWorkspace(ctx, {
        externalId: tenantOf(activity),
        qualityChannelId: here,
      });
      const lead = created
        ? `✅ QOps is set up, and you (${ctx.actor.name}) are its first quality manager.`
        : "✅ QOps was already set up by you; you are its quality manager.";
      const next = workspace.qualityChannelId
        ? "Triage messages and ideas go to this channel."
        : "Next: type `qms channel` in the channel (or chat) where new complaints should be triaged and ideas posted.";
      return {
        text: `${lead} ${next} Give others roles with \`qms roles grant @person qm|top_management|auditor\`; \`help\` lists every command.`,
      };
    }
    case "channel": {
      const conversationId = activity.conversation?.id;
      if (!conversationId)
        throw new QopsError("invalid_input", "This message did not say which conversation it came from.");
      await requireRole(ctx, "qm", "choose the quality channel");
      await rememberHere(activity, ctx);
      await setQualityChannel(ctx, conversationId);
      return {
        text: `✅ The quality channel is now this ${isPersonal(activity) ? "chat" : "channel"} (set by ${ctx.actor.name}). New complaints are triaged and ideas posted here.`,
      };
    }
    case "roles": {
      const [verb, who, roleWord] = args;
      if (!verb) return { text: "Roles", card: rolesCard(await listRoles(ctx)) };
      const grant = ["grant", "add"].includes(verb.toLowerCase());
      const revoke = ["revoke", "remove"].includes(verb.toLowerCase());
      const role = roleFromWord(roleWord);
      const target = await mentioned(typed, who, deps);
      if ((!grant && !revoke) || !target || !role) {
        throw new QopsError(
          "invalid_input",
          `Use \`qms roles grant @person ROLE\` or \`qms roles revoke @person ROLE\`, where ROLE is ${ROLES.join(", ")}. Mention the person with @ so Teams links them.`,
        );
      }
      const change = await changeRole(ctx, target, role, grant);
      return {
        text: `${grant ? "✅ Granted" : "✅ Revoked"} ${roleName(role)} ${grant ? "to" : "from"} ${change.member.name || target.name} (by ${ctx.actor.name}). Their roles now: ${change.member.roles.map(roleName).join(", ") || "employee"}.`,
      };
    }
    case "sla": {
      const [severityWord, daysWord] = args;
      const severity = (severityWord ?? "").toLowerCase();
      if (!SEVERITIES.includes(severity as Severity) || !daysWord)
        throw new QopsError(
          "invalid_input",
          "Use `qms sla low|medium|high|critical DAYS`, e.g. `qms sla high 3`.",
        );
      const workspace = await setSeveritySla(ctx, severity as Severity, Number(daysWord));
      const s = workspace.slaDays;
      return {
        text: `✅ ${severity} complaints are now due ${daysWord} days after they are logged (changed by ${ctx.actor.name}; applies to new complaints). Current: critical ${s.critical}, high ${s.high}, medium ${s.medium}, low ${s.low} days.`,
      };
    }
    case "action": {
      const [what] = args;
      if ((what ?? "").toLowerCase() === "new") {
        await requireRole(ctx, "qm", "open an action directly");
        return {
          text: "Open a corrective or preventive action: fill in the form.",
          card: actionForm(randomUUID(), null, {}, {}, await peopleOf(ctx)),
        };
      }
      if (what && /^CA-\d{4}-\d{4,}$/i.test(what)) return recordReply(ctx, what);
      throw new QopsError("invalid_input", "Use `qms action new` or `qms action CA-2026-0001`.");
    }
    case "actions": {
      const filter = (args[0] ?? "open").toLowerCase();
      if (!ACTION_FILTERS.includes(filter as ActionFilter))
        throw new QopsError(
          "invalid_input",
          `Unknown list "${filter.slice(0, 20)}". Try \`qms actions open\`, \`mine\`, \`overdue\` or \`all\`.`,
        );
      const register = await listActions(ctx, filter as ActionFilter);
      return {
        text: `${register.total} actions (${filter})`,
        card: registerCard(
          "Corrective actions",
          register,
          (a) => actionLine(a, ctx.now),
          "No actions match.",
        ),
      };
    }
    case "status":
      return { text: "QMS status", card: statusCard(await qmsStatus(ctx)) };
    case "mine":
      return { text: "My items", card: myItemsCard(await myItems(ctx), ctx.now) };
    case "docs":
      return calendar({ ...typed, args }, deps, docsCommand);
    case "objectives":
      return calendar({ ...typed, args }, deps, objectivesCommand);
    case "audit-reminders": {
      const workspace = await setAuditReminderDays(ctx, args);
      return {
        text: `✅ Auditors and auditees are now reminded ${workspace.auditReminderDays.join(" and ")} days before an audit (changed by ${ctx.actor.name}).`,
      };
    }
    case "timezone": {
      const workspace = await setWorkspaceTimezone(ctx, args[0] ?? "");
      return {
        text: `✅ The workspace's time zone is now ${workspace.timezone} (changed by ${ctx.actor.name}); the weekly digest goes out Mondays at 09:00 there.`,
      };
    }
    case "guests": {
      const choice = (args[0] ?? "").toLowerCase();
      if (choice !== "include" && choice !== "exclude")
        throw new QopsError(
          "invalid_input",
          "Use `qms guests include` or `qms guests exclude` (whether guest accounts are asked to acknowledge the policy).",
        );
      await setGuestMembership(ctx, choice === "include");
      return {
        text: `✅ Guests are now ${choice}d from the members QOps asks (changed by ${ctx.actor.name}); this applies from the next member sync and publication.`,
      };
    }
    case "hours": {
      const workspace = await setWorkingHours(ctx, args[0] ?? "", args[1] ?? "mon-fri");
      const { start, end, days } = workspace.workingHours;
      const names = days.map((d) => ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d]).join(", ");
      return {
        text: `✅ Reminders now go out ${start}–${end} on ${names}, in each person's own time zone (changed by ${ctx.actor.name}).`,
      };
    }
    default: {
      const intro =
        name && name.toLowerCase() !== "help"
          ? `Unknown sub-command "${name.slice(0, 30)}". Here is what QOps understands:`
          : undefined;
      return { text: "QOps commands", card: helpCard(intro) };
    }
  }
}

async function rememberHere(activity: InboundActivity, ctx: CommandContext): Promise<void> {
  const channel = channelAddress(activity, true);
  if (channel?.conversationId)
    await rememberConversation(ctx.workspaceId, channel.conversationId, channel, ctx.now);
}

async function peopleOf(ctx: CommandContext) {
  const members = await MemberModel.find(
    { workspaceId: ctx.workspaceId, active: true },
    { userId: 1, name: 1 },
  )
    .limit(200)
    .lean();
  return members.map((m) => ({ id: m.userId, name: m.name || m.userId }));
}

async function policy(typed: Typed, deps: TeamsDeps): Promise<Reply> {
  const { ctx } = typed;
  const [sub = "", arg, arg2] = typed.args;
  switch (sub.toLowerCase()) {
    case "": {
      const current = await currentPolicy(ctx.workspaceId);
      if (!current)
        throw new QopsError(
          "not_found",
          "No quality policy has been published yet. A quality manager drafts one with `policy draft`.",
        );
      const mine = await AcknowledgementModel.findById(
        `${ctx.workspaceId}/ack/${current.ref}/${ctx.actor.id}`,
      ).lean();
      const status = await policyStatus(ctx);
      return {
        text: `Quality policy ${current.ref}: acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%).`,
        card: policyCard(current, {
          acknowledgedAt: mine?.acknowledgedAt ?? null,
          footer: `Acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%).`,
        }),
      };
    }
    case "draft":
      await requireRole(ctx, "qm", "draft the quality policy");
      return {
        text: "Draft the quality policy: fill in the form.",
        card: policyDraftForm(randomUUID(), {}, {}),
      };
    case "approve": {
      const { record } = await approvePolicy(ctx, arg ?? "");
      return {
        text: `✅ ${record.ref} approved by ${ctx.actor.name}. A quality manager can now publish it with \`policy publish ${record.ref}\`.`,
      };
    }
    case "publish": {
      const result = await publishAndAsk(ctx, arg ?? "", deps.port, deps.logger);
      return { text: publishedText(ctx, result, "`policy status`") };
    }
    case "status": {
      await requireRole(ctx, "qm", "see who has acknowledged the policy");
      const status = await policyStatus(ctx, arg && arg.toLowerCase() !== "export" ? arg : undefined);
      if ([arg, arg2].some((a) => a?.toLowerCase() === "export")) return { text: policyStatusCsv(status) };
      return {
        text: `${status.policy.ref}: acknowledged by ${status.acknowledged} of ${status.members} members (${Math.round(status.rate * 100)}%).${status.missing.length ? `\nNot yet: ${status.missing.map((m) => m.name || m.userId).join(", ")}` : ""}\n\`policy status export\` gives the list as CSV.`,
      };
    }
    default:
      throw new QopsError(
        "invalid_input",
        "Use `policy`, `policy draft`, `policy approve POL-v2`, `policy publish POL-v2` or `policy status [export]`.",
      );
  }
}

export const TEAMS_DIALECT: Dialect = { audit: "audit", review: "review", qms: "qms" };

/** A calendar reply (audits, reviews, documents, objectives) as a card. */
export function calendarReply(reply: CalendarReply): Reply {
  return { text: reply.text, card: outboundCard({ ...reply, deliveryId: "" }) };
}

async function calendar(typed: Typed, deps: TeamsDeps, run: typeof auditCommand): Promise<Reply> {
  const reply = await run(typed.ctx, typed.args, (word) => mentioned(typed, word, deps), TEAMS_DIALECT);
  if (reply.form === "audit") {
    await requireRole(typed.ctx, "qm", "schedule internal audits");
    return {
      text: "Schedule an internal audit: fill in the form.",
      card: auditForm(randomUUID(), {}, {}, await peopleOf(typed.ctx)),
    };
  }
  return calendarReply(reply);
}

/** Runs a typed command; throws QopsError for refusals (the caller answers with its message). */
export async function runTyped(
  ctx: CommandContext,
  text: string,
  activity: InboundActivity,
  deps: TeamsDeps,
): Promise<Reply> {
  const { words, mentions } = tokenize(text, activity);
  const [command = "", ...args] = words;
  const typed: Typed = { ctx, args, activity, mentions };
  switch (command.toLowerCase()) {
    case TEAMS_COMMANDS.complaint:
      return complaint(typed);
    case TEAMS_COMMANDS.idea:
      return idea(typed);
    case TEAMS_COMMANDS.qms:
      return qms(typed, deps);
    case TEAMS_COMMANDS.policy:
      return policy(typed, deps);
    case TEAMS_COMMANDS.audit:
      return calendar(typed, deps, auditCommand);
    case TEAMS_COMMANDS.review:
      return calendar(typed, deps, reviewCommand);
    case TEAMS_COMMANDS.help:
    case "":
      return { text: "QOps commands", card: helpCard() };
    default:
      return {
        text: `Unknown command "${command.slice(0, 30)}".`,
        card: helpCard(`Unknown command "${command.slice(0, 30)}". Here is what QOps understands:`),
      };
  }
}
