import { dashboardCommand } from "../dashboard/command.js";
import { QopsError } from "../errors.js";
import { evidenceCommand } from "../evidence/command.js";
import { SEVERITIES, type Severity } from "../records/complaint/model.js";
import { channelOf, head, peopleOf, wordsOf } from "../records/tokens.js";
import { requireWorkspace, roleName } from "../records/workspace/access.js";
import {
  changeRole,
  listRoles,
  setAuditReminderDays,
  setFindingActionDays,
  setGuestMembership,
  setQualityChannel,
  setSeveritySla,
  setupOutcomeText,
  setupWorkspace,
  setWorkingHours,
  setWorkspaceTimezone,
} from "../records/workspace/commands.js";
import { ROLES, type Role } from "../records/workspace/model.js";
import { answer, context, fields, heading, message } from "../views/build.js";
import { channel, cmd, join, person, type Rich, rich } from "../views/rich.js";
import type { Answer, Token } from "../views/types.js";
import type { CommandContext } from "./context.js";
import { helpView } from "./help.js";
import { mineView, statusView } from "./overview.js";

const ROLE_WORDS: Record<string, Role> = {
  qm: "qm",
  "quality-manager": "qm",
  quality_manager: "qm",
  top_management: "top_management",
  "top-management": "top_management",
  top: "top_management",
  auditor: "auditor",
};

const reply = (text: Rich, tone: "good" | "warning" | "attention" = "good"): Answer => ({
  kind: "reply",
  view: answer(text, tone),
});
const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

async function setup(ctx: CommandContext, args: Token[], externalId: string): Promise<Answer> {
  const named = channelOf(args);
  const here = ctx.here && !ctx.here.personal ? ctx.here.id : null;
  const result = await setupWorkspace(ctx, {
    externalId,
    qualityChannelId: named ?? (ctx.surface.channelIsHere ? here : null),
  });
  const lead = setupOutcomeText(result, ctx);
  const q = result.workspace.qualityChannelId;
  const next = q
    ? rich`Triage posts and ideas go to ${channel(q)}.`
    : ctx.surface.channelIsHere
      ? rich`Next: type ${cmd("qms channel")} in the channel where new complaints should be triaged.`
      : rich`Next: choose the quality channel with ${cmd("qms channel #quality")}, where new complaints are triaged and ideas posted.`;
  const text = rich`${lead} ${next}`;
  return {
    kind: "reply",
    view: message(text, [
      { type: "notice", text: lead, tone: result.outcome === "not_qm" ? "warning" : "good" },
      { type: "paragraph", text: next },
      context(
        rich`Give others roles with ${cmd("qms roles grant @person qm|top_management|auditor")}; ${cmd("qms help")} lists every command.`,
      ),
    ]),
  };
}

async function roles(ctx: CommandContext, args: Token[]): Promise<Answer> {
  const [verb, rest] = head(args);
  if (!verb) {
    const listing = listRoles(await requireWorkspace(ctx));
    return {
      kind: "reply",
      view: message("Roles", [
        heading("Roles"),
        fields(
          listing.map((l) => [
            roleName(l.role),
            l.members.length ? join(l.members.map(person)) : "nobody yet",
          ]),
        ),
        context(
          rich`Change with ${cmd("qms roles grant @person qm|top_management|auditor")} or revoke (quality managers only).`,
        ),
      ]),
    };
  }
  const grant = verb === "grant" || verb === "add";
  const revoke = verb === "revoke" || verb === "remove";
  const target = peopleOf(rest)[0];
  const role = ROLE_WORDS[(wordsOf(rest)[0] ?? "").toLowerCase()];
  if ((!grant && !revoke) || !target || !role)
    throw new QopsError(
      "invalid_input",
      `Use qms roles grant @person ROLE or qms roles revoke @person ROLE, where ROLE is ${ROLES.join(", ")}. Mention the person with @ so the platform links them.`,
    );
  const change = await changeRole(ctx, target, role, grant);
  const now = change.workspace.roles?.[target.id]?.roles ?? [];
  return reply(
    rich`✅ ${grant ? "Granted" : "Revoked"} ${roleName(role)} ${grant ? "to" : "from"} ${person(target)} (by ${ctx.actor.name}). Their roles now: ${now.map(roleName).join(", ") || "employee"}.`,
  );
}

async function channelCommand(ctx: CommandContext, args: Token[]): Promise<Answer> {
  const id = channelOf(args) ?? (ctx.surface.channelIsHere ? ctx.here?.id : undefined);
  if (!id)
    throw new QopsError(
      "invalid_input",
      ctx.surface.channelIsHere
        ? "Type qms channel in the channel that should be the quality channel."
        : "Name the channel: qms channel #quality.",
    );
  await setQualityChannel(ctx, id);
  return reply(
    ctx.surface.channelIsHere
      ? rich`✅ The quality channel is now this ${ctx.here?.personal ? "chat" : "channel"} (set by ${ctx.actor.name}). New complaints are triaged and ideas posted here.`
      : rich`✅ The quality channel is now ${channel(id)} (set by ${ctx.actor.name}). New complaints are triaged and ideas posted there; invite QOps if it is private.`,
  );
}

/** `qms …`: QOps's own settings and views, and the record kinds that live under it (actions, docs, objectives). */
export async function qmsCommand(
  ctx: CommandContext,
  args: Token[],
  externalId: string,
  kinds: (word: string) => ((args: Token[]) => Promise<Answer>) | null,
): Promise<Answer> {
  const [name, rest] = head(args);
  const words = wordsOf(rest);
  switch (name) {
    case "setup":
      return setup(ctx, rest, externalId);
    case "roles":
      return roles(ctx, rest);
    case "channel":
      return channelCommand(ctx, rest);
    case "sla": {
      const severity = (words[0] ?? "").toLowerCase();
      if (!SEVERITIES.includes(severity as Severity) || !words[1])
        throw new QopsError(
          "invalid_input",
          "Use qms sla low|medium|high|critical DAYS, e.g. qms sla high 3.",
        );
      const { record } = await setSeveritySla(ctx, severity as Severity, Number(words[1]));
      const s = record.slaDays;
      return reply(
        rich`✅ ${severity} complaints are now due ${words[1]} days after they are logged (changed by ${ctx.actor.name}; applies to new complaints). Current: critical ${s.critical}, high ${s.high}, medium ${s.medium}, low ${s.low} days.`,
      );
    }
    case "status":
      return { kind: "reply", view: await statusView(ctx) };
    case "evidence":
      return evidenceCommand(ctx, rest);
    case "dashboard":
      return dashboardCommand(ctx);
    case "mine":
      return { kind: "reply", view: await mineView(ctx) };
    case "guests": {
      const choice = (words[0] ?? "").toLowerCase();
      if (choice !== "include" && choice !== "exclude")
        throw new QopsError(
          "invalid_input",
          "Use qms guests include or qms guests exclude (whether guest accounts are asked to acknowledge the policy).",
        );
      await setGuestMembership(ctx, choice === "include");
      return reply(
        rich`✅ Guests are now ${choice}d from the members QOps asks (changed by ${ctx.actor.name}); this applies from the next member sync and publication.`,
      );
    }
    case "hours": {
      const { record } = await setWorkingHours(ctx, words[0] ?? "", words[1] ?? "mon-fri");
      const { start, end, days } = record.workingHours;
      return reply(
        rich`✅ Reminders now go out ${start}–${end} on ${days.map((d) => DAY_NAMES[d]).join(", ")}, in each person's own time zone (changed by ${ctx.actor.name}).`,
      );
    }
    case "timezone": {
      const { record } = await setWorkspaceTimezone(ctx, words[0] ?? "");
      return reply(
        rich`✅ The workspace's time zone is now ${record.timezone} (changed by ${ctx.actor.name}); its dates are days there, and the weekly digest goes out Mondays at 09:00 there.`,
      );
    }
    case "audit-reminders": {
      const { record } = await setAuditReminderDays(ctx, words);
      return reply(
        rich`✅ Auditors and auditees are now reminded ${record.auditReminderDays.join(" and ")} days before an audit (changed by ${ctx.actor.name}).`,
      );
    }
    case "finding-days": {
      const { record } = await setFindingActionDays(ctx, words);
      const days = record.findingActionDays ?? { major_nc: 30, minor_nc: 60 };
      return reply(
        rich`✅ A corrective action from a major nonconformity is now due ${days.major_nc} days after the finding, from a minor one ${days.minor_nc} days (changed by ${ctx.actor.name}). Actions already raised keep their due dates.`,
      );
    }
    default: {
      const kind = name ? kinds(name) : null;
      if (kind) return kind(rest);
      const intro =
        name && name !== "help"
          ? rich`Unknown sub-command "${name.slice(0, 30)}". Here is what QOps understands:`
          : undefined;
      return { kind: "reply", view: helpView(ctx, intro) };
    }
  }
}
