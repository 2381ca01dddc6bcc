import type { Model } from "mongoose";
import { chartBlock } from "../dashboard/chartLinks.js";
import { findByIds } from "../db/read.js";
import { readSnapshot } from "../db/snapshots.js";
import {
  type CorrectiveAction,
  CorrectiveActionModel,
  OPEN_ACTION_STATES,
  WORKING_ACTION_STATES,
} from "../records/action/model.js";
import { actionLine } from "../records/action/views.js";
import { type InternalAudit, InternalAuditModel } from "../records/audit/model.js";
import { auditDay, programmeStatus } from "../records/audit/programme.js";
import { today } from "../records/common.js";
import { type Complaint, ComplaintModel, OPEN_COMPLAINT_STATES } from "../records/complaint/model.js";
import { complaintLine } from "../records/complaint/views.js";
import { reviewDayOf } from "../records/document/index.js";
import { type ControlledDocument, ControlledDocumentModel } from "../records/document/model.js";
import { type ImprovementIdea, ImprovementIdeaModel, OPEN_IDEA_STATES } from "../records/idea/model.js";
import { type NonconformingOutput, NonconformingOutputModel, OPEN_NC_STATES } from "../records/nc/model.js";
import {
  objectiveStanding,
  type QualityObjective,
  QualityObjectiveModel,
} from "../records/objective/index.js";
import { defById } from "../records/refs.js";
import { viewerFor } from "../records/registers.js";
import { type ManagementReview, ManagementReviewModel } from "../records/review/model.js";
import { requireWorkspace, rolesOf } from "../records/workspace/access.js";
import type { Workspace } from "../records/workspace/model.js";
import { context, divider, fields, heading, list, message } from "../views/build.js";
import { cmd, day, type Rich, rich, strong } from "../views/rich.js";
import type { Block, MessageView } from "../views/types.js";
import { type CommandContext, words } from "./context.js";

function countBy<T>(items: T[], key: (item: T) => string, keys: readonly string[]): Record<string, number> {
  const counts = Object.fromEntries(keys.map((k) => [k, 0]));
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const pairs = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${words(k)} ${n}`)
    .join(" · ");

/**
 * The calendar in `qms status`: this year's audits against the programme, the next management
 * review, documents due for review and objectives off target, as of today in the workspace's zone.
 */
async function calendarRows(ctx: CommandContext, workspace: Workspace): Promise<[string, Rich | string][]> {
  const now = today(ctx, workspace);
  const ws = { workspaceId: ctx.workspaceId };
  const [programme, reviews, documents, objectives] = await Promise.all([
    programmeStatus(ctx, Number(now.slice(0, 4))),
    ManagementReviewModel.find({ ...ws, state: "scheduled" }).lean() as Promise<ManagementReview[]>,
    ControlledDocumentModel.find({ ...ws, state: "published" }).lean() as Promise<ControlledDocument[]>,
    QualityObjectiveModel.find({ ...ws, state: "active" }).lean() as Promise<QualityObjective[]>,
  ]);
  const planned = programme.rows.reduce((n, r) => n + r.planned, 0);
  const done = programme.rows.reduce((n, r) => n + r.done, 0);
  const late = programme.rows.flatMap((r) => r.late.map((a) => a.ref ?? ""));
  const next = reviews
    .filter((r) => r.day && r.day >= now)
    .sort((a, b) => String(a.day).localeCompare(String(b.day)))[0];
  const due = documents
    .filter((d) => d.documentType !== "policy")
    .filter((d) => {
      const reviewDay = reviewDayOf(d, workspace);
      return reviewDay !== null && reviewDay <= now;
    });
  const off = objectives.filter((o) => objectiveStanding(o).met === false);
  return [
    [
      `Audits ${now.slice(0, 4)}`,
      planned
        ? `${done} of ${planned} planned done${late.length ? ` · ⚠️ late: ${late.join(", ")}` : ""}`
        : "no programme yet",
    ],
    ["Next management review", next ? rich`${next.ref ?? ""} on ${day(next.day ?? "")}` : "none scheduled"],
    ["Documents due for review", due.length ? due.map((d) => d.ref ?? "").join(", ") : "none"],
    ["Objectives off target", off.length ? off.map((o) => o.name).join(", ") : "none"],
  ];
}

/** `qms status`: the numbers a QM reads in ten seconds, the calendar included. */
export async function statusView(ctx: CommandContext): Promise<MessageView> {
  const workspace = await requireWorkspace(ctx);
  const ws = { workspaceId: ctx.workspaceId };
  const [complaints, ideas, actions, ncs, calendar] = (await Promise.all([
    ComplaintModel.find({ ...ws, state: { $in: OPEN_COMPLAINT_STATES } }).lean(),
    ImprovementIdeaModel.find(ws).lean(),
    CorrectiveActionModel.find(ws).lean(),
    NonconformingOutputModel.find({ ...ws, state: { $in: OPEN_NC_STATES } }).lean(),
    calendarRows(ctx, workspace),
  ])) as [
    Complaint[],
    ImprovementIdea[],
    CorrectiveAction[],
    NonconformingOutput[],
    [string, Rich | string][],
  ];
  const sev = countBy(complaints, (c) => c.severity, ["critical", "high", "medium", "low"]);
  const overdueComplaints = complaints.filter((c) => c.dueAt < ctx.now).length;
  const overdueActions = actions.filter(
    (a) => WORKING_ACTION_STATES.includes(a.state) && a.dueAt < ctx.now,
  ).length;
  const open = complaints.length;
  return message("QMS status", [
    heading("QMS status"),
    fields([
      [
        "Open complaints",
        `${open} — 🔴 critical ${sev.critical} · 🟠 high ${sev.high} · 🟡 medium ${sev.medium} · ⚪ low ${sev.low}`,
      ],
      [
        "Overdue",
        `${overdueComplaints} complaint${overdueComplaints === 1 ? "" : "s"}, ${overdueActions} action${overdueActions === 1 ? "" : "s"}`,
      ],
      [
        "Ideas",
        pairs(
          countBy(ideas, (i) => i.state, ["submitted", "approved", "in_progress", "implemented", "rejected"]),
        ),
      ],
      [
        "Actions",
        pairs(
          countBy(actions, (a) => a.state, ["open", "in_progress", "done", "reopened", "verified_effective"]),
        ),
      ],
      ["Waiting for an effectiveness check", String(actions.filter((a) => a.state === "done").length)],
      ["Open nonconforming outputs", String(ncs.length)],
      ...calendar,
    ]),
    ...(await chartBlock(
      ctx.workspaceId,
      "open-by-severity",
      `Open complaints by severity: ${open} in all`,
      ctx.now,
    )),
  ]);
}

export interface MyItems {
  isQm: boolean;
  complaints: Complaint[];
  actions: CorrectiveAction[];
  ideas: ImprovementIdea[];
  audits: InternalAudit[];
  ncs: NonconformingOutput[];
  triage: {
    complaints: Complaint[];
    ideas: ImprovementIdea[];
    actions: CorrectiveAction[];
    ncs: NonconformingOutput[];
  } | null;
}

/** What I own, reported or audit, and for QMs what waits for them. */
export async function myItems(ctx: CommandContext): Promise<MyItems> {
  const workspace = await requireWorkspace(ctx);
  const me = ctx.actor.id;
  const ws = { workspaceId: ctx.workspaceId };
  // The open records of each kind: a query each, kept as snapshots on the embedded engine (where
  // a query reads the whole collection, closed records and all).
  const open = <T extends { workspaceId: string; state: string }>(
    kind: string,
    model: Model<T>,
    states: string[],
  ) =>
    readSnapshot<T>(
      ctx.workspaceId,
      kind,
      "open-records",
      async () => (await model.find({ ...ws, state: { $in: states } }).lean()) as T[],
      {
        read: (keys) => findByIds(model, keys) as Promise<(T | null)[]>,
        keeps: (r) => r.workspaceId === ctx.workspaceId && states.includes(r.state),
      },
    );
  const [complaints, ideas, actions, audits, ncs] = await Promise.all([
    open<Complaint>("complaint", ComplaintModel, OPEN_COMPLAINT_STATES),
    open<ImprovementIdea>("idea", ImprovementIdeaModel, OPEN_IDEA_STATES),
    open<CorrectiveAction>("action", CorrectiveActionModel, OPEN_ACTION_STATES),
    open<InternalAudit>("audit", InternalAuditModel, ["scheduled", "in_progress"]),
    open<NonconformingOutput>("nc", NonconformingOutputModel, OPEN_NC_STATES),
  ]);
  const isQm = rolesOf(workspace, me).includes("qm");
  const byDue = (a: { dueAt: Date }, b: { dueAt: Date }) => a.dueAt.getTime() - b.dueAt.getTime();
  return {
    isQm,
    complaints: complaints.filter((c) => c.reporter.id === me || c.owner?.id === me).sort(byDue),
    actions: actions.filter((a) => a.owner.id === me).sort(byDue),
    ideas: ideas.filter((i) => i.submitter.id === me || i.owner?.id === me),
    audits: audits.filter((a) => a.leadAuditor?.id === me || a.auditees.some((p) => p.id === me)),
    ncs: ncs.filter((n) => n.reporter.id === me || n.owner?.id === me),
    triage: isQm
      ? {
          complaints: complaints.filter((c) => c.state === "new").sort(byDue),
          ideas: ideas.filter((i) => i.state === "submitted"),
          actions: actions.filter((a) => a.state === "done"),
          ncs: ncs.filter((n) => n.state === "reported"),
        }
      : null,
  };
}

const refLine = (r: { ref: string | null; state: string }, what: string): Rich =>
  rich`${strong(r.ref)} · ${words(r.state)} · ${what}`;

async function lines(ctx: CommandContext, items: MyItems) {
  const workspace = await requireWorkspace(ctx);
  return {
    mine: [
      ...items.complaints.map((c) => complaintLine(c, ctx, workspace)),
      ...items.actions.map((a) => actionLine(a, ctx, workspace)),
      ...items.ideas.map((i) => refLine(i, `💡 ${i.title}`)),
      ...items.audits.map((a) => {
        const when = auditDay(a, workspace);
        return rich`${strong(a.ref)} · ${words(a.state)} · ${when ? day(when) : "not dated yet"} · 🔍 ${a.process} · lead ${a.leadAuditor?.name ?? "not named yet"}`;
      }),
      ...items.ncs.map((n) => refLine(n, `⛔ ${n.title}`)),
    ],
    queue: items.triage
      ? [
          ...items.triage.complaints.map((c) => complaintLine(c, ctx, workspace)),
          ...items.triage.actions.map((a) => actionLine(a, ctx, workspace)),
          ...items.triage.ideas.map((i) => refLine(i, `💡 ${i.title}`)),
          ...items.triage.ncs.map((n) => refLine(n, `⛔ ${n.title}`)),
        ]
      : null,
  };
}

/** `qms mine`: my items and (for QMs) the triage queue, as lines. */
export async function mineView(ctx: CommandContext): Promise<MessageView> {
  const { mine, queue } = await lines(ctx, await myItems(ctx));
  const blocks: Block[] = [
    heading("My items"),
    mine.length ? list(mine) : context("Nothing is waiting for you. 🎉"),
  ];
  if (queue)
    blocks.push(
      heading("Triage queue (quality manager)"),
      queue.length ? list(queue.slice(0, 40)) : context("Nothing to triage."),
    );
  blocks.push(
    context(
      rich`Show one to act on it: ${cmd("complaint CMP-…")}, ${cmd("qms action CA-…")}, ${cmd("idea IDEA-…")}, ${cmd("audit AUD-…")}, ${cmd("nc NC-…")}.`,
    ),
  );
  return message("My items", blocks);
}

/** The Slack App Home: my items with their buttons, then (for QMs) the triage queue. At most 100 blocks. */
export async function homeView(ctx: CommandContext): Promise<MessageView> {
  const workspace = await requireWorkspace(ctx);
  const items = await myItems(ctx);
  const { mine } = await lines(ctx, items);
  const viewer = viewerFor(ctx, workspace);
  const blocks: Block[] = [
    heading("My items"),
    mine.length ? list(mine) : context("Nothing is waiting for you. 🎉"),
  ];
  const cardOf = async (kind: string, record: { ref: string | null }) => {
    const def = defById(kind);
    return def ? (await def.card(ctx, record as never, viewer)).blocks : [];
  };
  const owned = [
    ...items.complaints.filter((c) => c.owner?.id === ctx.actor.id).map((c) => ["complaint", c] as const),
    ...items.actions.map((a) => ["action", a] as const),
  ];
  for (const [kind, record] of owned.slice(0, 5)) blocks.push(divider, ...(await cardOf(kind, record)));
  if (items.triage) {
    blocks.push(divider, heading("Triage queue (quality manager)"));
    const queue = [
      ...items.triage.complaints.map((c) => ["complaint", c] as const),
      ...items.triage.actions.map((a) => ["action", a] as const),
      ...items.triage.ideas.map((i) => ["idea", i] as const),
      ...items.triage.ncs.map((n) => ["nc", n] as const),
    ];
    if (!queue.length) blocks.push(context("Nothing to triage."));
    for (const [kind, record] of queue) {
      const card = await cardOf(kind, record);
      if (blocks.length + card.length + 2 > 98) {
        blocks.push(
          context(rich`More items wait: see ${cmd("complaint list open")} and ${cmd("qms actions")}.`),
        );
        break;
      }
      blocks.push(divider, ...card);
    }
  }
  return message("QOps home", blocks);
}
