import type { types } from "@slack/bolt";
import { actionButtons, complaintButtons, ideaButtons, type Viewer } from "../../../commands/buttons.js";
import { words } from "../../../commands/context.js";
import type { RecordView } from "../../../commands/registers.js";
import type { Complaint } from "../../../models/complaint.js";
import type { CorrectiveAction } from "../../../models/correctiveAction.js";
import type { HistoryEvent } from "../../../models/historyEvent.js";
import type { ImprovementIdea } from "../../../models/improvementIdea.js";
import { ACTIONS } from "../surface.js";
import {
  actionsBlock,
  context,
  escapeMrkdwn,
  header,
  linesToSections,
  mention,
  mrkdwnSection,
  plainSection,
  slackDate,
  slackDay,
} from "./text.js";

type KnownBlock = types.KnownBlock;

export type { Viewer };

const SEVERITY_MARK: Record<string, string> = { critical: "🔴", high: "🟠", medium: "🟡", low: "⚪" };

function stateLine(record: {
  state: string;
  stateChangedBy: { name: string };
  stateChangedAt: Date;
}): string {
  return `*${words(record.state)}* — by ${escapeMrkdwn(record.stateChangedBy.name)}, ${slackDate(record.stateChangedAt)}`;
}

function ownerPicker(actionId: string, current: string | null, blockId: string): KnownBlock {
  return {
    type: "actions",
    block_id: blockId,
    elements: [
      {
        type: "users_select",
        action_id: actionId,
        placeholder: { type: "plain_text", text: current ? "Change owner" : "Assign owner" },
        ...(current ? { initial_user: current } : {}),
      },
    ],
  };
}

/** The triage message in the quality channel, kept up to date in place. */
export function complaintMessage(c: Complaint, viewer: Viewer = "channel"): KnownBlock[] {
  const ref = c.ref ?? "";
  const fields = [
    `*Severity:* ${SEVERITY_MARK[c.severity] ?? ""} ${c.severity}`,
    `*Due:* ${slackDay(c.dueAt)}`,
    `*Customer:* ${escapeMrkdwn(c.customer || "—")}`,
    `*Product / order:* ${escapeMrkdwn(c.productRef || "—")}`,
    `*Category:* ${c.category}`,
    `*Reporter:* ${mention(c.reporter.id)}`,
    `*Owner:* ${c.owner ? mention(c.owner.id) : "not assigned"}`,
    `*Actions:* ${c.linkedActions.length ? c.linkedActions.join(", ") : "none"}`,
  ];
  const blocks: KnownBlock[] = [
    header(`${ref} · ${c.title}`),
    { type: "section", fields: fields.map((text) => ({ type: "mrkdwn" as const, text })) },
  ];
  if (c.description) blocks.push(plainSection(c.description));
  if (c.source?.permalink)
    blocks.push(
      context(
        `From <${c.source.permalink}|a message>${c.source.authorId ? ` by ${mention(c.source.authorId)}` : ""}`,
      ),
    );
  let status = stateLine(c);
  if (c.state === "rejected" && c.rejectionReason) status += `\nReason: ${escapeMrkdwn(c.rejectionReason)}`;
  if (c.state === "closed") status += `\nCustomer notified: ${c.customerNotified ? "yes" : "no"}`;
  blocks.push(context(status));
  blocks.push(...actionsBlock(complaintButtons(c, viewer), `complaint:${ref}`));
  const open = ["new", "accepted", "investigating", "resolved"].includes(c.state);
  if (open && (viewer === "channel" || viewer.isQm)) {
    blocks.push(ownerPicker(ACTIONS.complaintAssign, c.owner?.id ?? null, `complaint-owner:${ref}`));
  }
  return blocks;
}

export function complaintText(c: Complaint): string {
  return `${c.ref} (${c.severity}) ${words(c.state)}: ${c.title}`;
}

export function ideaMessage(i: ImprovementIdea, viewer: Viewer = "channel"): KnownBlock[] {
  const ref = i.ref ?? "";
  const blocks: KnownBlock[] = [
    header(`${ref} · ${i.title}`),
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Submitted by:* ${mention(i.submitter.id)}` },
        { type: "mrkdwn", text: `*Votes:* ${i.votes.length}` },
        { type: "mrkdwn", text: `*Owner:* ${i.owner ? mention(i.owner.id) : "not assigned"}` },
        {
          type: "mrkdwn",
          text: `*Actions:* ${i.linkedActions.length ? i.linkedActions.join(", ") : "none"}`,
        },
      ],
    },
  ];
  if (i.description) blocks.push(plainSection(i.description));
  if (i.expectedBenefit) blocks.push(plainSection(`Expected benefit: ${i.expectedBenefit}`));
  let status = stateLine(i);
  if (i.state === "rejected" && i.rejectionReason) status += `\nReason: ${escapeMrkdwn(i.rejectionReason)}`;
  blocks.push(context(status));
  blocks.push(...actionsBlock(ideaButtons(i, viewer), `idea:${ref}`));
  if (["submitted", "approved", "in_progress"].includes(i.state) && (viewer === "channel" || viewer.isQm)) {
    blocks.push(ownerPicker(ACTIONS.ideaAssign, i.owner?.id ?? null, `idea-owner:${ref}`));
  }
  return blocks;
}

export function actionMessage(a: CorrectiveAction, viewer: Viewer = "channel"): KnownBlock[] {
  const ref = a.ref ?? "";
  const blocks: KnownBlock[] = [
    header(`${ref} · ${a.actionType} action`),
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Owner:* ${mention(a.owner.id)}` },
        { type: "mrkdwn", text: `*Due:* ${slackDay(a.dueAt)}` },
        { type: "mrkdwn", text: `*Source:* ${a.sourceRef ?? words(a.source)}` },
        {
          type: "mrkdwn",
          text: `*Effectiveness check:* ${a.effectivenessCheckAt ? slackDay(a.effectivenessCheckAt) : "after it is done"}`,
        },
      ],
    },
    plainSection(`Problem: ${a.problem}`),
  ];
  if (a.containment) blocks.push(plainSection(`Containment: ${a.containment}`));
  if (a.rootCause) blocks.push(plainSection(`Root cause: ${a.rootCause}`));
  if (a.plan) blocks.push(plainSection(`Plan: ${a.plan}`));
  let status = stateLine(a);
  if (a.state === "reopened" && a.reopenReason)
    status += `\nNot effective because: ${escapeMrkdwn(a.reopenReason)}`;
  blocks.push(context(status));
  blocks.push(...actionsBlock(actionButtons(a, viewer), `action:${ref}`));
  return blocks;
}

function historyLines(history: HistoryEvent[]): string[] {
  return history.map((e) => {
    const changed = Object.keys(e.changes).filter((f) => !["stateChangedBy", "stateChangedAt"].includes(f));
    const state = e.changes.state ? ` → *${words(String(e.changes.state.after))}*` : "";
    const fields = e.type === "created" || state ? "" : ` (${changed.join(", ")})`;
    const reason = e.reason ? ` — “${escapeMrkdwn(e.reason)}”` : "";
    return `• ${slackDate(e.at)} · ${escapeMrkdwn(e.actor.name)} · ${words(e.type)}${state}${fields}${reason}`;
  });
}

/** One record with its whole history, for `/complaint CMP-…` and friends. */
export function recordDetail(view: RecordView, viewer: Viewer): KnownBlock[] {
  const body =
    view.kind === "complaint"
      ? complaintMessage(view.record, viewer)
      : view.kind === "idea"
        ? ideaMessage(view.record, viewer)
        : actionMessage(view.record, viewer);
  const lines = historyLines(view.history);
  // Keep the message under Slack's 50 blocks: the newest history when it is long.
  const shown =
    lines.length > 40 ? [`_${lines.length - 40} earlier events not shown_`, ...lines.slice(-40)] : lines;
  return [...body, { type: "divider" }, mrkdwnSection("*History*"), ...linesToSections(shown)];
}

/**
 * Register lines drawn lately, by the complaint they show: a register served from a snapshot
 * hands out the same (unchanging) objects until a complaint changes, so each line is drawn once.
 */
const complaintLines = new WeakMap<Complaint, { drawnFrom: string; line: string }>();

export function complaintLine(c: Complaint, now: Date): string {
  const overdue = c.dueAt < now && !["closed", "rejected"].includes(c.state);
  // What the line shows besides the reference, so a changed object is drawn again.
  const drawnFrom = `${overdue}|${c.state}|${c.severity}|${c.dueAt.getTime()}|${c.owner?.id ?? ""}|${c.title}`;
  const drawn = complaintLines.get(c);
  if (drawn?.drawnFrom === drawnFrom) return drawn.line;
  const line = `${SEVERITY_MARK[c.severity] ?? ""} *${c.ref}* · ${words(c.state)} · due ${slackDay(c.dueAt)}${overdue ? " ⚠️ *overdue*" : ""} · ${escapeMrkdwn(c.title)}${c.owner ? ` · ${mention(c.owner.id)}` : ""}`;
  complaintLines.set(c, { drawnFrom, line });
  return line;
}

export function ideaLine(i: ImprovementIdea): string {
  return `💡 *${i.ref}* · ${words(i.state)} · 👍 ${i.votes.length} · ${escapeMrkdwn(i.title)}`;
}

export function actionLine(a: CorrectiveAction, now: Date): string {
  const overdue =
    a.dueAt < now && ["open", "in_progress", "reopened"].includes(a.state) ? " ⚠️ *overdue*" : "";
  return `🛠️ *${a.ref}* · ${words(a.state)} · due ${slackDay(a.dueAt)}${overdue} · ${mention(a.owner.id)} · ${escapeMrkdwn(a.problem.slice(0, 80))}`;
}
