import { recordHistory } from "../db/history.js";
import { kindOfRef } from "../db/references.js";
import { readSnapshot } from "../db/snapshots.js";
import { QopsError } from "../errors.js";
import { type Complaint, ComplaintModel, type ComplaintState } from "../models/complaint.js";
import {
  type ActionState,
  type CorrectiveAction,
  CorrectiveActionModel,
} from "../models/correctiveAction.js";
import type { HistoryEvent } from "../models/historyEvent.js";
import { type IdeaState, type ImprovementIdea, ImprovementIdeaModel } from "../models/improvementIdea.js";
import { type InternalAudit, InternalAuditModel } from "../models/internalAudit.js";
import { SingleFlight } from "../util/singleFlight.js";
import type { CommandContext } from "./context.js";
import { loadByRef, type StatefulRecord } from "./lifecycle.js";
import { hasRole, requireWorkspace } from "./members.js";

export const OPEN_COMPLAINT_STATES: ComplaintState[] = ["new", "accepted", "investigating", "resolved"];
export const OPEN_IDEA_STATES: IdeaState[] = ["submitted", "approved", "in_progress"];
export const OPEN_ACTION_STATES: ActionState[] = ["open", "in_progress", "done", "reopened"];

export const COMPLAINT_FILTERS = ["open", "mine", "overdue", "all"] as const;
export type ComplaintFilter = (typeof COMPLAINT_FILTERS)[number];
export const IDEA_FILTERS = ["open", "top", "mine", "all"] as const;
export type IdeaFilter = (typeof IDEA_FILTERS)[number];
export const ACTION_FILTERS = ["open", "mine", "overdue", "all"] as const;
export type ActionFilter = (typeof ACTION_FILTERS)[number];

/** Register pages stay readable in chat; the export is for everything. */
export const REGISTER_LIMIT = 50;

export interface Register<T> {
  filter: string;
  items: T[];
  /** How many matched in all (items holds at most REGISTER_LIMIT). */
  total: number;
}

function page<T>(filter: string, items: T[]): Register<T> {
  return { filter, items: items.slice(0, REGISTER_LIMIT), total: items.length };
}

const byDue = (a: { dueAt: Date }, b: { dueAt: Date }) => a.dueAt.getTime() - b.dueAt.getTime();

/** What a register line shows; the long texts stay in the database. */
const COMPLAINT_LINE_FIELDS = "ref state severity title dueAt owner reporter workspaceId createdAt";
const complaintReads = new SingleFlight<Complaint[]>();

/**
 * Complaints of a workspace; identical concurrent reads (a busy morning) share one query, and
 * the open register is kept as a snapshot rebuilt only after a complaint changes.
 */
function readComplaints(workspaceId: string, openOnly: boolean): Promise<Complaint[]> {
  return complaintReads.run(`${workspaceId}|${openOnly}`, async () => {
    const query = openOnly ? { workspaceId, state: { $in: OPEN_COMPLAINT_STATES } } : { workspaceId };
    const read = async () => (await ComplaintModel.find(query, COMPLAINT_LINE_FIELDS).lean()) as Complaint[];
    return openOnly ? readSnapshot(workspaceId, "complaint", "open", read) : read();
  });
}

export async function listComplaints(
  ctx: CommandContext,
  filter: ComplaintFilter,
): Promise<Register<Complaint>> {
  await requireWorkspace(ctx);
  let items = [...(await readComplaints(ctx.workspaceId, filter !== "all"))];
  if (filter === "mine") {
    items = items.filter((c) => c.reporter.id === ctx.actor.id || c.owner?.id === ctx.actor.id);
  }
  if (filter === "overdue") items = items.filter((c) => c.dueAt < ctx.now);
  return page(filter, items.sort(byDue));
}

export async function listIdeas(ctx: CommandContext, filter: IdeaFilter): Promise<Register<ImprovementIdea>> {
  await requireWorkspace(ctx);
  const query =
    filter === "all"
      ? { workspaceId: ctx.workspaceId }
      : { workspaceId: ctx.workspaceId, state: { $in: OPEN_IDEA_STATES } };
  let items = (await ImprovementIdeaModel.find(query).lean()) as ImprovementIdea[];
  if (filter === "mine") {
    items = items.filter((i) => i.submitter.id === ctx.actor.id || i.owner?.id === ctx.actor.id);
  }
  items.sort((a, b) =>
    filter === "top" ? b.votes.length - a.votes.length : b.createdAt.getTime() - a.createdAt.getTime(),
  );
  return page(filter, items);
}

export async function listActions(
  ctx: CommandContext,
  filter: ActionFilter,
): Promise<Register<CorrectiveAction>> {
  await requireWorkspace(ctx);
  const query =
    filter === "all"
      ? { workspaceId: ctx.workspaceId }
      : { workspaceId: ctx.workspaceId, state: { $in: OPEN_ACTION_STATES } };
  let items = (await CorrectiveActionModel.find(query).lean()) as CorrectiveAction[];
  if (filter === "mine") items = items.filter((a) => a.owner.id === ctx.actor.id);
  if (filter === "overdue") items = items.filter((a) => a.dueAt < ctx.now && a.state !== "done");
  return page(filter, items.sort(byDue));
}

export type RecordView =
  | { kind: "complaint"; record: Complaint; history: HistoryEvent[] }
  | { kind: "idea"; record: ImprovementIdea; history: HistoryEvent[] }
  | { kind: "action"; record: CorrectiveAction; history: HistoryEvent[] };

/** One record with its full history, by reference. */
export async function showRecord(ctx: CommandContext, ref: string): Promise<RecordView> {
  await requireWorkspace(ctx);
  const kind = kindOfRef(ref);
  if (kind !== "complaint" && kind !== "idea" && kind !== "action") {
    throw new QopsError(
      "not_found",
      `"${ref.slice(0, 40)}" is not a reference QOps knows. References look like CMP-2026-0007, IDEA-2026-0003 or CA-2026-0012.`,
    );
  }
  const record = await loadByRef<StatefulRecord>(ctx, kind, ref);
  const history = await recordHistory(record._id);
  return { kind, record, history } as RecordView;
}

export interface QmsStatus {
  openComplaintsBySeverity: Record<string, number>;
  overdueComplaints: number;
  ideasByState: Record<string, number>;
  actionsByState: Record<string, number>;
  overdueActions: number;
  awaitingEffectivenessCheck: number;
}

function countBy<T>(items: T[], key: (item: T) => string, keys: readonly string[]): Record<string, number> {
  const counts = Object.fromEntries(keys.map((k) => [k, 0]));
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** `/qms status`: the numbers a QM reads in ten seconds. */
export async function qmsStatus(ctx: CommandContext): Promise<QmsStatus> {
  await requireWorkspace(ctx);
  const [complaints, ideas, actions] = await Promise.all([
    ComplaintModel.find({ workspaceId: ctx.workspaceId, state: { $in: OPEN_COMPLAINT_STATES } }).lean(),
    ImprovementIdeaModel.find({ workspaceId: ctx.workspaceId }).lean(),
    CorrectiveActionModel.find({ workspaceId: ctx.workspaceId }).lean(),
  ]);
  const openActions = actions.filter((a) => OPEN_ACTION_STATES.includes(a.state));
  return {
    openComplaintsBySeverity: countBy(complaints, (c) => c.severity, ["critical", "high", "medium", "low"]),
    overdueComplaints: complaints.filter((c) => c.dueAt < ctx.now).length,
    ideasByState: countBy(ideas, (i) => i.state, [
      "submitted",
      "approved",
      "in_progress",
      "implemented",
      "rejected",
    ]),
    actionsByState: countBy(actions, (a) => a.state, [
      "open",
      "in_progress",
      "done",
      "reopened",
      "verified_effective",
    ]),
    overdueActions: openActions.filter((a) => a.dueAt < ctx.now && a.state !== "done").length,
    awaitingEffectivenessCheck: actions.filter((a) => a.state === "done").length,
  };
}

export interface MyItems {
  isQm: boolean;
  complaints: Complaint[];
  actions: CorrectiveAction[];
  ideas: ImprovementIdea[];
  /** Audits not yet reported that I lead or am audited in. */
  audits: InternalAudit[];
  /** For QMs: what waits for them (new complaints, submitted ideas, actions to verify). */
  triage: { complaints: Complaint[]; ideas: ImprovementIdea[]; actions: CorrectiveAction[] } | null;
}

/** The App Home: what I own or reported, and for QMs the triage queue. */
export async function myItems(ctx: CommandContext): Promise<MyItems> {
  await requireWorkspace(ctx);
  const me = ctx.actor.id;
  const [complaints, ideas, actions, audits, isQm] = await Promise.all([
    ComplaintModel.find({ workspaceId: ctx.workspaceId, state: { $in: OPEN_COMPLAINT_STATES } }).lean(),
    ImprovementIdeaModel.find({ workspaceId: ctx.workspaceId, state: { $in: OPEN_IDEA_STATES } }).lean(),
    CorrectiveActionModel.find({ workspaceId: ctx.workspaceId, state: { $in: OPEN_ACTION_STATES } }).lean(),
    InternalAuditModel.find({
      workspaceId: ctx.workspaceId,
      state: { $in: ["scheduled", "in_progress"] },
    }).lean(),
    hasRole(ctx, "qm"),
  ]);
  return {
    isQm,
    complaints: complaints.filter((c) => c.reporter.id === me || c.owner?.id === me).sort(byDue),
    actions: actions.filter((a) => a.owner.id === me).sort(byDue),
    ideas: ideas.filter((i) => i.submitter.id === me || i.owner?.id === me),
    audits: (audits as InternalAudit[])
      .filter((a) => a.leadAuditor?.id === me || a.auditees.some((p) => p.id === me))
      .sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0)),
    triage: isQm
      ? {
          complaints: complaints.filter((c) => c.state === "new").sort(byDue),
          ideas: ideas.filter((i) => i.state === "submitted"),
          actions: actions.filter((a) => a.state === "done"),
        }
      : null,
  };
}
