import type { types } from "@slack/bolt";
import { auditLine } from "../../../commands/calendarCommands.js";
import { words } from "../../../commands/context.js";
import { HELP } from "../../../commands/help.js";
import type { RoleListing } from "../../../commands/members.js";
import { roleName } from "../../../commands/members.js";
import type { MyItems, QmsStatus, Register } from "../../../commands/registers.js";
import type { Complaint } from "../../../models/complaint.js";
import type { CorrectiveAction } from "../../../models/correctiveAction.js";
import type { ImprovementIdea } from "../../../models/improvementIdea.js";
import {
  actionLine,
  actionMessage,
  complaintLine,
  complaintMessage,
  ideaLine,
  ideaMessage,
} from "./records.js";
import { context, escapeMrkdwn, header, linesToSections, mention, mrkdwnSection } from "./text.js";

type KnownBlock = types.KnownBlock;

export const HELP_LINES = HELP.flatMap((section) => [
  `*${section.title}*`,
  ...section.lines.map((l) =>
    l.slackOnly ? `${l.usage.replace("→ ", "→ *")}* — ${l.text}` : `\`${l.usage}\` — ${l.text}`,
  ),
]);

export function helpBlocks(intro?: string): KnownBlock[] {
  return [...(intro ? [mrkdwnSection(intro)] : []), ...linesToSections(HELP_LINES)];
}

function registerBlocks<T>(
  title: string,
  register: Register<T>,
  line: (item: T) => string,
  empty: string,
): KnownBlock[] {
  const more =
    register.total > register.items.length ? ` (showing ${register.items.length} of ${register.total})` : "";
  return [
    mrkdwnSection(
      `*${title} — ${register.filter}* · ${register.total} item${register.total === 1 ? "" : "s"}${more}`,
    ),
    ...(register.items.length ? linesToSections(register.items.map(line)) : [context(empty)]),
  ];
}

export const complaintRegister = (r: Register<Complaint>, now: Date) =>
  registerBlocks("Complaints", r, (c) => complaintLine(c, now), "No complaints match.");
export const ideaRegister = (r: Register<ImprovementIdea>) =>
  registerBlocks("Ideas", r, ideaLine, "No ideas match.");
export const actionRegister = (r: Register<CorrectiveAction>, now: Date) =>
  registerBlocks("Corrective actions", r, (a) => actionLine(a, now), "No actions match.");

export function statusBlocks(s: QmsStatus): KnownBlock[] {
  const sev = s.openComplaintsBySeverity;
  const pairs = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([k, n]) => `${words(k)} ${n}`)
      .join(" · ");
  return [
    header("QMS status"),
    mrkdwnSection(
      [
        `*Open complaints:* ${Object.values(sev).reduce((a, b) => a + b, 0)} — 🔴 critical ${sev.critical} · 🟠 high ${sev.high} · 🟡 medium ${sev.medium} · ⚪ low ${sev.low}`,
        `*Overdue:* ${s.overdueComplaints} complaint${s.overdueComplaints === 1 ? "" : "s"}, ${s.overdueActions} action${s.overdueActions === 1 ? "" : "s"}`,
        `*Ideas:* ${pairs(s.ideasByState)}`,
        `*Actions:* ${pairs(s.actionsByState)}`,
        `*Waiting for an effectiveness check:* ${s.awaitingEffectivenessCheck}`,
      ].join("\n"),
    ),
  ];
}

export function rolesBlocks(listing: RoleListing[]): KnownBlock[] {
  return [
    mrkdwnSection(
      listing
        .map(
          (l) =>
            `*${roleName(l.role)}:* ${l.members.length ? l.members.map((m) => mention(m.userId)).join(", ") : "nobody yet"}`,
        )
        .join("\n"),
    ),
    context(
      "Change with `/qms roles grant @person qm|top_management|auditor` or `revoke` (quality managers only).",
    ),
  ];
}

function myLines(items: MyItems, now: Date): string[] {
  return [
    ...items.complaints.map((c) => complaintLine(c, now)),
    ...items.actions.map((a) => actionLine(a, now)),
    ...items.ideas.map(ideaLine),
    ...items.audits.map((a) => `🔍 ${escapeMrkdwn(auditLine(a, now))}`),
  ];
}

/** `/qms mine`: my items and (for QMs) the triage queue, as lines; the App Home has the buttons. */
export function myItemsBlocks(items: MyItems, now: Date): KnownBlock[] {
  const mine = myLines(items, now);
  const blocks: KnownBlock[] = [header("My items")];
  blocks.push(...(mine.length ? linesToSections(mine) : [context("Nothing is waiting for you. 🎉")]));
  if (items.triage) {
    const queue = [
      ...items.triage.complaints.map((c) => complaintLine(c, now)),
      ...items.triage.actions.map((a) => actionLine(a, now)),
      ...items.triage.ideas.map(ideaLine),
    ];
    blocks.push(header("Triage queue (quality manager)"));
    blocks.push(...(queue.length ? linesToSections(queue.slice(0, 40)) : [context("Nothing to triage.")]));
  }
  blocks.push(context("Open the QOps App Home for the buttons, or show one record: `/complaint CMP-…`."));
  return blocks;
}

/** App Home: my items with their buttons, then (for QMs) the triage queue. Max 100 blocks. */
export function homeBlocks(items: MyItems, userId: string, now: Date): KnownBlock[] {
  const viewer = { userId, isQm: items.isQm };
  const blocks: KnownBlock[] = [header("My items")];
  const mine = myLines(items, now);
  blocks.push(...(mine.length ? linesToSections(mine) : [context("Nothing is waiting for you. 🎉")]));
  const withButtons = [
    ...items.complaints.filter((c) => c.owner?.id === userId).map((c) => complaintMessage(c, viewer)),
    ...items.actions.map((a) => actionMessage(a, viewer)),
  ];
  for (const record of withButtons.slice(0, 5)) blocks.push({ type: "divider" }, ...record);
  if (items.triage) {
    blocks.push({ type: "divider" }, header("Triage queue (quality manager)"));
    const queue = [
      ...items.triage.complaints.map((c) => complaintMessage(c, viewer)),
      ...items.triage.actions.map((a) => actionMessage(a, viewer)),
      ...items.triage.ideas.map((i) => ideaMessage(i, viewer)),
    ];
    if (queue.length === 0) blocks.push(context("Nothing to triage."));
    for (const record of queue) {
      if (blocks.length + record.length + 2 > 98) {
        blocks.push(context("More items wait: see `/complaint list open` and `/qms actions`."));
        break;
      }
      blocks.push({ type: "divider" }, ...record);
    }
  }
  return blocks;
}
