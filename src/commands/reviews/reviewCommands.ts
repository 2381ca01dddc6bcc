import { addMonths, differenceInMilliseconds, isValid, parseISO, startOfDay } from "date-fns";
import { transition } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import { ComplaintModel } from "../../models/complaint.js";
import { QualityObjectiveModel } from "../../models/controlledDocument.js";
import { type CorrectiveAction, CorrectiveActionModel } from "../../models/correctiveAction.js";
import { ImprovementIdeaModel } from "../../models/improvementIdea.js";
import {
  InternalAuditModel,
  type ManagementReview,
  ManagementReviewModel,
} from "../../models/internalAudit.js";
import { MemberModel } from "../../models/member.js";
import type { PersonRef } from "../../models/recordBase.js";
import { createAction } from "../actions/createAction.js";
import type { CommandContext } from "../context.js";
import { createReferenced } from "../createReferenced.js";
import {
  loadByRef,
  runTransition,
  runUpdate,
  type TransitionOutcome,
  type TransitionSpec,
} from "../lifecycle.js";
import { ensureMember, requireRole, requireWorkspace } from "../members.js";
import { objectiveStanding } from "../objectives/objectiveCommands.js";
import { currentPolicy, policyStatus } from "../policy/policyCommands.js";

/** Days after the meeting by which the minutes are due; reminders before it. */
export const MINUTES_DUE_DAYS = 7;
export const REVIEW_PREP_DAYS = 14;

/**
 * ISO 9001 9.3.2 inputs QOps has no data for; the QM fills them in before the meeting
 * (`review MR-… input KEY text`).
 */
export const MANUAL_INPUTS: Record<string, string> = {
  issues: "Changes in external and internal issues relevant to the QMS (9.3.2 b)",
  satisfaction: "Customer satisfaction and feedback from relevant interested parties (9.3.2 c1)",
  processes: "Process performance and conformity of products and services (9.3.2 c3)",
  monitoring: "Monitoring and measurement results (9.3.2 c5)",
  suppliers: "Performance of external providers (9.3.2 c7)",
  resources: "Adequacy of resources (9.3.2 d)",
  risks: "Effectiveness of actions taken to address risks and opportunities (9.3.2 e)",
};

/** A QM schedules a management review with top management (by default all of it). */
export async function scheduleReview(
  ctx: CommandContext,
  dateText: string,
  attendees: PersonRef[],
): Promise<{ review: ManagementReview; created: boolean }> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "schedule management reviews");
  const date = parseISO(dateText);
  if (!isValid(date) || startOfDay(date) < startOfDay(ctx.now))
    throw new QopsError(
      "invalid_input",
      "Give the review date as YYYY-MM-DD, today or later. Nothing was scheduled.",
    );
  const top = await MemberModel.find({
    workspaceId: ctx.workspaceId,
    roles: "top_management",
    active: true,
  }).lean();
  const chosen = attendees.length ? attendees : top.map((m) => ({ id: m.userId, name: m.name }));
  if (!chosen.length)
    throw new QopsError(
      "invalid_input",
      "A management review needs top management: nobody holds that role yet. Grant it with `qms roles grant @person top_management`. Nothing was scheduled.",
    );
  const notTop = chosen.filter((a) => !top.some((m) => m.userId === a.id));
  if (notTop.length)
    throw new QopsError(
      "invalid_input",
      `${notTop.map((a) => a.name).join(", ")} ${notTop.length === 1 ? "is" : "are"} not top management; management review attendees come from top management (ISO 9001 9.3.1). Nothing was scheduled.`,
    );
  await ensureMember(ctx);
  return createReview(ctx, startOfDay(date), chosen);
}

async function createReview(ctx: CommandContext, date: Date, attendees: PersonRef[]) {
  const previous = await ManagementReviewModel.find({
    workspaceId: ctx.workspaceId,
    scheduledFor: { $lt: date },
  })
    .sort({ scheduledFor: -1 })
    .limit(1)
    .lean();
  const { record, created } = await createReferenced<ManagementReview>(ctx, "review", {
    state: "scheduled",
    owner: ctx.actor,
    heldAt: null,
    scheduledFor: date,
    attendees,
    periodStart: previous[0]?.scheduledFor ?? addMonths(date, -12),
    manualInputs: {},
    minutes: "",
    decisions: [],
    minutesApprovedBy: null,
  });
  return { review: record, created };
}

export interface ReviewPack {
  review: ManagementReview;
  periodStart: Date;
  periodEnd: Date;
  previousActions: { text: string; actionRef: string | null; state: string }[];
  complaints: {
    bySeverity: Record<string, number>;
    total: number;
    previousTotal: number;
    trend: number;
    overdueNow: number;
  };
  actions: {
    raised: number;
    open: number;
    overdue: number;
    verifiedEffective: number;
    effectiveShare: number | null;
    nonconformities: number;
  };
  audits: { planned: number; done: number; findings: Record<string, number> };
  objectives: { name: string; latest: number | null; target: number; unit: string; met: boolean | null }[];
  ideas: { submitted: number; approved: number; implemented: number };
  policy: { ref: string; rate: number; acknowledged: number; members: number } | null;
  toFillIn: { key: string; title: string; text: string | null }[];
}

const inPeriod = (d: Date | null | undefined, start: Date, end: Date) => Boolean(d && d >= start && d < end);

/**
 * The review pack, from QOps's own records for the period since the previous review (one
 * section per ISO 9001 9.3.2 input), and the trend against the period of the same length
 * before it. Anyone in the workspace may read it; the QM prepares the manual inputs.
 */
export async function reviewPack(ctx: CommandContext, ref: string): Promise<ReviewPack> {
  await requireWorkspace(ctx);
  const review = await loadByRef<ManagementReview & { owner: PersonRef | null }>(ctx, "review", ref);
  const periodEnd = review.scheduledFor;
  const periodStart = review.periodStart ?? addMonths(periodEnd, -12);
  const previousStart = new Date(periodStart.getTime() - differenceInMilliseconds(periodEnd, periodStart));
  const ws = { workspaceId: ctx.workspaceId };
  const [complaints, actions, audits, ideas, objectives, previousReviews] = await Promise.all([
    ComplaintModel.find(ws).lean(),
    CorrectiveActionModel.find(ws).lean(),
    InternalAuditModel.find(ws).lean(),
    ImprovementIdeaModel.find(ws).lean(),
    QualityObjectiveModel.find({ ...ws, state: "active" }).lean(),
    ManagementReviewModel.find({ ...ws, scheduledFor: { $lt: periodEnd } })
      .sort({ scheduledFor: -1 })
      .limit(1)
      .lean(),
  ]);

  const current = complaints.filter((c) => inPeriod(c.createdAt, periodStart, periodEnd));
  const bySeverity = { critical: 0, high: 0, medium: 0, low: 0 } as Record<string, number>;
  for (const c of current) bySeverity[c.severity] = (bySeverity[c.severity] ?? 0) + 1;
  const previousTotal = complaints.filter((c) => inPeriod(c.createdAt, previousStart, periodStart)).length;
  const openComplaint = (s: string) => !["closed", "rejected"].includes(s);

  const raised = actions.filter((a) => inPeriod(a.createdAt, periodStart, periodEnd));
  const stillOpen = (a: CorrectiveAction) => a.state !== "verified_effective";
  const verified = raised.filter((a) => a.state === "verified_effective").length;

  const periodAudits = audits.filter((a) => inPeriod(a.scheduledFor, periodStart, periodEnd));
  const findings: Record<string, number> = { major_nc: 0, minor_nc: 0, observation: 0, opportunity: 0 };
  for (const a of periodAudits) for (const f of a.findings) findings[f.type] = (findings[f.type] ?? 0) + 1;

  const periodIdeas = ideas.filter((i) => inPeriod(i.createdAt, periodStart, periodEnd));
  const previous = previousReviews[0];
  const previousRefs = (previous?.decisions ?? [])
    .map((d) => d.actionRef)
    .filter((r): r is string => Boolean(r));
  const previousActionStates = new Map(
    actions.filter((a) => previousRefs.includes(a.ref ?? "")).map((a) => [a.ref, a.state]),
  );
  const policy = (await currentPolicy(ctx.workspaceId)) ? await policyStatus(ctx) : null;

  return {
    review,
    periodStart,
    periodEnd,
    previousActions: (previous?.decisions ?? []).map((d) => ({
      text: d.text,
      actionRef: d.actionRef,
      state: d.actionRef ? (previousActionStates.get(d.actionRef) ?? "unknown") : "no action",
    })),
    complaints: {
      bySeverity,
      total: current.length,
      previousTotal,
      trend: current.length - previousTotal,
      overdueNow: complaints.filter((c) => openComplaint(c.state) && c.dueAt < ctx.now).length,
    },
    actions: {
      raised: raised.length,
      open: raised.filter(stillOpen).length,
      overdue: raised.filter(
        (a) => ["open", "in_progress", "reopened"].includes(a.state) && a.dueAt < ctx.now,
      ).length,
      verifiedEffective: verified,
      effectiveShare: raised.length ? verified / raised.length : null,
      nonconformities: (findings.major_nc ?? 0) + (findings.minor_nc ?? 0),
    },
    audits: {
      planned: periodAudits.length,
      done: periodAudits.filter((a) => a.state === "reported" || a.state === "closed").length,
      findings,
    },
    objectives: objectives.map((o) => {
      const standing = objectiveStanding(o);
      return { name: o.name, latest: standing.latest, target: o.target, unit: o.unit, met: standing.met };
    }),
    ideas: {
      submitted: periodIdeas.length,
      approved: periodIdeas.filter((i) => ["approved", "in_progress", "implemented"].includes(i.state))
        .length,
      implemented: periodIdeas.filter((i) => i.state === "implemented").length,
    },
    policy: policy
      ? {
          ref: policy.policy.ref ?? "",
          rate: policy.rate,
          acknowledged: policy.acknowledged,
          members: policy.members,
        }
      : null,
    toFillIn: Object.entries(MANUAL_INPUTS).map(([key, title]) => ({
      key,
      title,
      text: review.manualInputs?.[key] ?? null,
    })),
  };
}

/** The QM fills in an input QOps has no data for. */
export async function setReviewInput(ctx: CommandContext, ref: string, key: string, text: string) {
  await requireRole(ctx, "qm", "prepare the review pack");
  const name = key.toLowerCase();
  if (!MANUAL_INPUTS[name])
    throw new QopsError(
      "invalid_input",
      `Unknown review input "${key.slice(0, 30)}". Use one of: ${Object.keys(MANUAL_INPUTS).join(", ")}.`,
    );
  const value = text.trim();
  if (value.length < 2 || value.length > 3000)
    throw new QopsError("invalid_input", "Write the input (2 to 3,000 characters).");
  return runUpdate<ManagementReview & { owner: PersonRef | null }>(ctx, "review", ref, {
    type: "input_filled",
    allowedIn: ["scheduled"],
    who: "qm",
    action: "fill in review inputs",
    fields: (r) => ({ manualInputs: { ...(r.manualInputs ?? {}), [name]: value } }),
  });
}

export const REVIEW_TRANSITIONS = {
  hold: {
    name: "held",
    from: ["scheduled"],
    to: "held",
    done: "held",
    who: "qm",
    action: "record the minutes",
  },
  approve: {
    name: "minutes_approved",
    from: ["held"],
    to: "minutes_approved",
    done: "approved",
    // Top management, checked before (the performer rule knows owners and QMs only).
    who: "anyone",
    action: "approve the minutes",
  },
} as const satisfies Record<string, TransitionSpec>;

type Outcome = Promise<TransitionOutcome<ManagementReview & { owner: PersonRef | null }>>;

/** After the meeting: the minutes (9.3.3); the review is then held. */
export function recordMinutes(ctx: CommandContext, ref: string, minutes: string): Outcome {
  const text = minutes.trim();
  if (text.length < 3 || text.length > 3000)
    throw new QopsError("invalid_input", "Write the minutes (3 to 3,000 characters). Nothing was recorded.");
  return runTransition<ManagementReview & { owner: PersonRef | null }>(
    ctx,
    "review",
    ref,
    REVIEW_TRANSITIONS.hold,
    () => ({
      minutes: text,
      heldAt: ctx.now,
    }),
  );
}

/** A decision of the review becomes a corrective or preventive action with owner and due date. */
export async function recordDecision(
  ctx: CommandContext,
  ref: string,
  decision: { text: string; owner: PersonRef | null; dueDate: string },
): Promise<{ review: ManagementReview; action: CorrectiveAction }> {
  await requireRole(ctx, "qm", "record review decisions");
  const review = await loadByRef<ManagementReview & { owner: PersonRef | null }>(ctx, "review", ref);
  if (review.state !== "held")
    throw new QopsError(
      "invalid_transition",
      review.state === "scheduled"
        ? `${review.ref} has no minutes yet: record them first (\`review ${review.ref} minutes …\`). Nothing was changed.`
        : `${review.ref}'s minutes are approved; decisions can no longer be added. Nothing was changed.`,
    );
  if (!decision.owner)
    throw new QopsError("invalid_input", "Name the decision's owner (mention them). Nothing was recorded.");
  const text = decision.text.trim();
  if (text.length < 3)
    throw new QopsError("invalid_input", "Write the decision (at least 3 characters). Nothing was recorded.");
  const { action } = await createAction(
    ctx,
    {
      problem: `Management review ${review.ref} decision: ${text}`.slice(0, 3000),
      ownerId: decision.owner.id,
      ownerName: decision.owner.name,
      dueDate: decision.dueDate,
      actionType: "preventive",
    },
    null,
    { source: "management_review", sourceRef: review.ref ?? "" },
  );
  const { record } = await transition<ManagementReview>({
    kind: "review",
    recordKey: review._id,
    type: "decision_recorded",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: `decision:${action.ref}`,
    decide: (r) => ({ decisions: [...r.decisions, { text, actionRef: action.ref }] }),
  });
  return { review: record, action };
}

/**
 * Top management approves the minutes; the next review is scheduled 12 months on with the same
 * attendees (once, however often this is retried).
 */
export async function approveMinutes(
  ctx: CommandContext,
  ref: string,
): Promise<{ review: ManagementReview; next: ManagementReview }> {
  await requireRole(ctx, "top_management", "approve management review minutes");
  const { record } = await runTransition<ManagementReview & { owner: PersonRef | null }>(
    ctx,
    "review",
    ref,
    REVIEW_TRANSITIONS.approve,
    () => ({
      minutesApprovedBy: ctx.actor,
    }),
  );
  const { review: next } = await createReview(
    { ...ctx, requestId: `next-review:${record.ref}` },
    addMonths(record.scheduledFor, 12),
    record.attendees,
  );
  return { review: record, next };
}

export async function listReviews(ctx: CommandContext, all: boolean): Promise<ManagementReview[]> {
  await requireWorkspace(ctx);
  const reviews = await ManagementReviewModel.find({ workspaceId: ctx.workspaceId })
    .sort({ scheduledFor: 1 })
    .lean();
  return all ? reviews : reviews.filter((r) => r.state !== "minutes_approved");
}
