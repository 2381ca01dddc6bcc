import { addMonths, differenceInMilliseconds } from "date-fns";
import type { CommandContext } from "../../commands/context.js";
import { cmd, day, type Rich, rich } from "../../views/rich.js";
import type { CorrectiveAction } from "../action/model.js";
import { CorrectiveActionModel } from "../action/model.js";
import type { InternalAudit } from "../audit/model.js";
import { InternalAuditModel } from "../audit/model.js";
import type { Complaint } from "../complaint/model.js";
import { ComplaintModel } from "../complaint/model.js";
import type { ImprovementIdea } from "../idea/model.js";
import { ImprovementIdeaModel } from "../idea/model.js";
import {
  objectiveStanding,
  type QualityObjective,
  QualityObjectiveModel,
  withUnit,
} from "../objective/index.js";
import { currentPolicy } from "../policy/commands.js";
import { statusOf } from "../policy/status.js";
import { allDefs } from "../refs.js";
import { requireWorkspace } from "../workspace/access.js";
import { type ManagementReview, ManagementReviewModel } from "./model.js";

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

/** A record kind's own section of the pack (nonconforming outputs give one to 9.3.2 c4). */
export interface PackContribution {
  clause: string;
  line: Rich;
  figures: Record<string, number>;
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
  objectives: {
    name: string;
    latest: number | null;
    target: number;
    unit: string;
    met: boolean | null;
    /** The latest value minus the one before it (null with fewer than two readings). */
    trend: number | null;
  }[];
  ideas: { submitted: number; approved: number; implemented: number };
  policy: { ref: string; rate: number; acknowledged: number; members: number } | null;
  contributions: PackContribution[];
  toFillIn: { key: string; title: string; text: string | null }[];
}

const inPeriod = (d: Date | null | undefined, start: Date, end: Date) => Boolean(d && d >= start && d < end);

/**
 * The review pack, from QOps's own records for the period since the previous review (one section
 * per ISO 9001 9.3.2 input), and the trend against the period of the same length before it.
 */
export async function reviewPack(ctx: CommandContext, review: ManagementReview): Promise<ReviewPack> {
  const workspace = await requireWorkspace(ctx);
  const periodEnd = review.scheduledFor;
  const periodStart = review.periodStart ?? addMonths(periodEnd, -12);
  const previousStart = new Date(periodStart.getTime() - differenceInMilliseconds(periodEnd, periodStart));
  const ws = { workspaceId: ctx.workspaceId };
  const [complaints, actions, audits, ideas, objectives, reviews] = (await Promise.all([
    ComplaintModel.find(ws).lean(),
    CorrectiveActionModel.find(ws).lean(),
    InternalAuditModel.find(ws).lean(),
    ImprovementIdeaModel.find(ws).lean(),
    QualityObjectiveModel.find({ ...ws, state: "active" }).lean(),
    ManagementReviewModel.find(ws).lean(),
  ])) as [
    Complaint[],
    CorrectiveAction[],
    InternalAudit[],
    ImprovementIdea[],
    QualityObjective[],
    ManagementReview[],
  ];
  const current = complaints.filter((c) => inPeriod(c.createdAt, periodStart, periodEnd));
  const bySeverity: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const c of current) bySeverity[c.severity] = (bySeverity[c.severity] ?? 0) + 1;
  const previousTotal = complaints.filter((c) => inPeriod(c.createdAt, previousStart, periodStart)).length;
  const raised = actions.filter((a) => inPeriod(a.createdAt, periodStart, periodEnd));
  const verified = raised.filter((a) => a.state === "verified_effective").length;
  const periodAudits = audits.filter((a) => inPeriod(a.scheduledFor, periodStart, periodEnd));
  const findings: Record<string, number> = { major_nc: 0, minor_nc: 0, observation: 0, opportunity: 0 };
  for (const a of periodAudits) for (const f of a.findings) findings[f.type] = (findings[f.type] ?? 0) + 1;
  const periodIdeas = ideas.filter((i) => inPeriod(i.createdAt, periodStart, periodEnd));
  const previous = reviews
    .filter((r) => r.scheduledFor < periodEnd && r._id !== review._id)
    .sort((a, b) => b.scheduledFor.getTime() - a.scheduledFor.getTime())[0];
  const states = new Map(actions.map((a) => [a.ref, a.state]));
  const policyDoc = await currentPolicy(workspace);
  const policy = policyDoc ? await statusOf(workspace, policyDoc) : null;
  const contributions: PackContribution[] = [];
  for (const def of allDefs())
    if (def.reviewInput)
      contributions.push(await def.reviewInput(ctx, { start: periodStart, end: periodEnd }));
  return {
    review,
    periodStart,
    periodEnd,
    previousActions: (previous?.decisions ?? []).map((d) => ({
      text: d.text,
      actionRef: d.actionRef,
      state: d.actionRef ? (states.get(d.actionRef) ?? "unknown") : "no action",
    })),
    complaints: {
      bySeverity,
      total: current.length,
      previousTotal,
      trend: current.length - previousTotal,
      overdueNow: complaints.filter((c) => !["closed", "rejected"].includes(c.state) && c.dueAt < ctx.now)
        .length,
    },
    actions: {
      raised: raised.length,
      open: raised.filter((a) => a.state !== "verified_effective").length,
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
      const s = objectiveStanding(o);
      return { name: o.name, latest: s.latest, target: o.target, unit: o.unit, met: s.met, trend: s.trend };
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
    contributions,
    toFillIn: Object.entries(MANUAL_INPUTS).map(([key, title]) => ({
      key,
      title,
      text: review.manualInputs?.[key] ?? null,
    })),
  };
}

const pct = (share: number | null) => (share === null ? "—" : `${Math.round(share * 100)}%`);
const trendWord = (n: number) => (n > 0 ? `↑ ${n} more` : n < 0 ? `↓ ${-n} fewer` : "→ the same");

/** The pack as lines, one per ISO 9001 9.3.2 input. */
/** ", up 1.5% on the previous reading": the objective's trend, in its unit. */
function trendOf(o: ReviewPack["objectives"][number]): string {
  if (o.trend === null) return "";
  if (o.trend === 0) return ", unchanged on the previous reading";
  const by = Math.round(Math.abs(o.trend) * 100) / 100;
  return `, ${o.trend > 0 ? "up" : "down"} ${withUnit(by, o.unit)} on the previous reading`;
}

export function packLines(p: ReviewPack, periodDays: { start: string; end: string }): Rich[] {
  const c = p.complaints;
  return [
    rich`Period: ${day(periodDays.start)} – ${day(periodDays.end)}`,
    rich`a) Actions from previous reviews: ${p.previousActions.length ? p.previousActions.map((a) => `${a.text} (${a.actionRef ?? "no action"}: ${a.state.replaceAll("_", " ")})`).join("; ") : "none"}`,
    rich`c1) Complaints: ${c.total} (critical ${c.bySeverity.critical ?? 0}, high ${c.bySeverity.high ?? 0}, medium ${c.bySeverity.medium ?? 0}, low ${c.bySeverity.low ?? 0}); previous period ${c.previousTotal} (${trendWord(c.trend)}); overdue now ${c.overdueNow}`,
    rich`c2) Quality objectives: ${p.objectives.length ? p.objectives.map((o) => `${o.name} ${o.latest === null ? "no value" : withUnit(o.latest, o.unit)} vs ${withUnit(o.target, o.unit)} (${o.met === null ? "not measured" : o.met ? "met" : "not met"}${trendOf(o)})`).join("; ") : "none set"}`,
    rich`c4) Nonconformities and corrective actions: ${p.actions.nonconformities} audit nonconformities; ${p.actions.raised} actions raised, ${p.actions.open} open, ${p.actions.overdue} overdue, ${p.actions.verifiedEffective} verified effective (${pct(p.actions.effectiveShare)})`,
    ...p.contributions.map((x) => rich`${x.clause}) ${x.line}`),
    rich`c6) Audit results: ${p.audits.done} of ${p.audits.planned} planned audits done; findings: major ${p.audits.findings.major_nc ?? 0}, minor ${p.audits.findings.minor_nc ?? 0}, observations ${p.audits.findings.observation ?? 0}, opportunities ${p.audits.findings.opportunity ?? 0}`,
    rich`f) Improvement ideas: ${p.ideas.submitted} submitted, ${p.ideas.approved} approved, ${p.ideas.implemented} implemented`,
    rich`5.2) Quality policy: ${p.policy ? `${p.policy.ref} acknowledged by ${p.policy.acknowledged} of ${p.policy.members} members (${pct(p.policy.rate)})` : "not published"}`,
    ...p.toFillIn.map((i) =>
      i.text
        ? rich`${i.title}: ${i.text}`
        : rich`${i.title}: to be filled in (${cmd(`review ${p.review.ref} input ${i.key} …`)})`,
    ),
  ];
}
