import { findByIds } from "../../db/read.js";
import type { RecordBase } from "../../db/recordBase.js";
import { readSnapshot } from "../../db/snapshots.js";
import type { NewDelivery } from "../../outbox/enqueue.js";

import { workingDayOf } from "../../time/workingHours.js";
import { SingleFlight } from "../../util/singleFlight.js";
import { answer } from "../../views/build.js";
import { day, rich } from "../../views/rich.js";
import type { ButtonView } from "../../views/types.js";
import { raiseActionForm } from "../action/commands.js";
import { dueDayOf } from "../common.js";
import type { ActionHandler, RecordKindDef, Viewer } from "../kind.js";
import { buttonId, loadByRef, mayPerform, pressTransition } from "../lifecycle.js";
import { type RegisterSpec, recordCommand } from "../registers.js";
import { textOf, wordsOf } from "../tokens.js";
import { holders, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { COMPLAINT_FORM_FIELDS, NEW_COMPLAINT_FORM, prefilledForm, submitComplaint } from "./commands.js";
import { COMPLAINT_TRANSITIONS } from "./lifecycle.js";
import { type Complaint, ComplaintModel, OPEN_COMPLAINT_STATES } from "./model.js";
import { complaintCard, complaintLine } from "./views.js";

/** What a register line shows; the long texts stay in the database. */
const LINE_FIELDS = "ref state severity title dueDay dueAt owner reporter workspaceId createdAt kind";
const LINE_PROJECTION = Object.fromEntries(LINE_FIELDS.split(" ").map((f) => [f, 1 as const]));
const reads = new SingleFlight<Complaint[]>();

/**
 * Complaints of a workspace; identical concurrent reads share one query, and on the embedded
 * engine the open register is kept as a snapshot rebuilt only after a complaint changes.
 */
function readComplaints(workspaceId: string, openOnly: boolean): Promise<Complaint[]> {
  return reads.run(`${workspaceId}|${openOnly}`, async () => {
    const query = openOnly ? { workspaceId, state: { $in: OPEN_COMPLAINT_STATES } } : { workspaceId };
    const read = async () => (await ComplaintModel.find(query, LINE_FIELDS).lean()) as Complaint[];
    if (!openOnly) return read();
    return readSnapshot(workspaceId, "complaint", "open", read, {
      read: (keys) => findByIds(ComplaintModel, keys, LINE_PROJECTION) as Promise<(Complaint | null)[]>,
      keeps: (c) => c.workspaceId === workspaceId && OPEN_COMPLAINT_STATES.includes(c.state),
    });
  });
}

const register: RegisterSpec<Complaint> = {
  filters: ["open", "mine", "overdue", "all"],
  title: "Complaints",
  empty: "No complaints match.",
  load: async (ctx, filter) => {
    let items = [...(await readComplaints(ctx.workspaceId, filter !== "all"))];
    if (filter === "mine")
      items = items.filter((c) => c.reporter.id === ctx.actor.id || c.owner?.id === ctx.actor.id);
    if (filter === "overdue") items = items.filter((c) => c.dueAt < ctx.now);
    return items.sort((a, b) => new Date(a.dueAt).getTime() - new Date(b.dueAt).getTime());
  },
  line: complaintLine,
};

const RAISE_ACTION = "complaint.raise_action";

function raiseActionButton(c: Complaint, viewer: Viewer): ButtonView[] {
  if (!["accepted", "investigating", "resolved"].includes(c.state)) return [];
  if (viewer !== "channel" && !mayPerform("owner_or_qm", c, viewer.userId, viewer.roles)) return [];
  return [
    { id: RAISE_ACTION, label: "Raise corrective action", target: { ws: c.workspaceId, ref: c.ref ?? "" } },
  ];
}

/**
 * Complaints past their due day: the owner is told once per due day; the QMs get one list per
 * working day (drawn when it goes out) of those a day or more past due.
 */
async function complaintReminders(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const zone = zoneOf(workspace);
  const workspaceId = workspace.workspaceId;
  const breached = (
    (await ComplaintModel.find({ workspaceId, state: { $in: OPEN_COMPLAINT_STATES } }).lean()) as Complaint[]
  ).filter((c) => c.dueAt <= now);
  const items: NewDelivery[] = [];
  for (const c of breached) {
    const dueDay = dueDayOf(c, workspace);
    if (c.owner)
      items.push({
        workspaceId,
        occasion: `complaint:${c.ref}:sla-${dueDay}:owner`,
        recipientId: c.owner.id,
        notBefore: c.dueAt,
        content: { view: answer(rich`${c.ref} is past its due day (${day(dueDay)}): ${c.title}`) },
        recordKey: c._id,
      });
  }
  // The QMs hear of a breach from a day after it, all of them in one list.
  if (breached.some((c) => now.getTime() - c.dueAt.getTime() >= 86_400_000))
    for (const qm of holders(workspace, "qm"))
      items.push({
        workspaceId,
        occasion: `escalation:complaints:${workingDayOf(now, zone, workspace.workingHours)}`,
        recipientId: qm.id,
        notBefore: now,
        content: { dynamic: { type: "complaintEscalation" } },
      });
  return items;
}

export const complaintKind: RecordKindDef = {
  id: "complaint",
  evidence: { clauses: ["8.2.1", "9.1.2"], title: "Customer complaints", finished: ["closed", "rejected"] },
  kind: "complaint",
  model: ComplaintModel as never,
  noun: "complaint",
  plural: "complaints",
  prefix: "CMP",
  refPattern: /^CMP-\d{4}-\d{4,}$/i,
  command: { name: "complaint" },
  postField: "triageMessage",
  registerRoles: ["qm", "top_management", "auditor"],
  help: [
    { usage: "complaint [text]", text: "log a customer complaint (a form; the text prefills it)" },
    { usage: "complaint list [open|mine|overdue|all]", text: "the complaints register" },
    { usage: "complaint CMP-2026-0007", text: "one complaint with its history" },
    {
      usage: "Message menu → Log as complaint",
      text: "log a complaint from any message, keeping its link",
      messageShortcut: true,
    },
  ],
  involves: (record: RecordBase, userId: string) => {
    const c = record as Complaint;
    return c.reporter.id === userId || c.owner?.id === userId;
  },
  typed: (ctx, args) =>
    recordCommand(complaintKind, register, ctx, wordsOf(args), async () => prefilledForm(ctx, textOf(args))),
  actions: {
    ...Object.fromEntries(
      COMPLAINT_TRANSITIONS.map((spec): [string, ActionHandler] => [
        buttonId({ id: "complaint" }, spec),
        (action) =>
          pressTransition(complaintKind, spec, action, (c, ctx) =>
            spec.id === "assign"
              ? rich`✅ ${c.ref} assigned to ${c.owner?.name ?? ""} by ${ctx.actor.name}.`
              : rich`✅ ${c.ref} ${spec.done} by ${ctx.actor.name}.`,
          ),
      ]),
    ),
    [RAISE_ACTION]: async (action) => {
      const c = await loadByRef<Complaint>(action.ctx, complaintKind, action.target.ref, action.target.ws);
      return raiseActionForm(action.ctx, c.ref ?? "", `${c.title}\n${c.description}`.trim());
    },
    [NEW_COMPLAINT_FORM]: (action) => submitComplaint(complaintKind, action),
  },
  card: (ctx, record, viewer) =>
    complaintCard(complaintKind, ctx, record as Complaint, viewer, raiseActionButton),
  reminders: complaintReminders,
  forms: { [NEW_COMPLAINT_FORM]: COMPLAINT_FORM_FIELDS },
};
