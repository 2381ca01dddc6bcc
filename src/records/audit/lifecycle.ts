import type { CommandContext } from "../../commands/context.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { addDays, startOfDay } from "../../time/zone.js";
import { answer } from "../../views/build.js";
import { cmd, day, rich } from "../../views/rich.js";
import { requireDay, today } from "../common.js";
import type { TransitionSpec } from "../lifecycle.js";
import type { Notice } from "../notify.js";
import { holders, rolesOf, zoneOf } from "../workspace/access.js";
import type { AuditProgrammeEntry, Workspace } from "../workspace/model.js";
import type { AuditFinding, FindingType, InternalAudit } from "./model.js";

/** Days before an audit its people are reminded (a workspace setting); days after it the report is due. */
export const AUDIT_REMINDER_DAYS = [14, 1] as const;
export const REPORT_DUE_DAYS = 7;
/** Days a corrective action from a nonconformity gets: a major one is more urgent. */
export const NC_ACTION_DAYS: Record<string, number> = { major_nc: 30, minor_nc: 60 };

export const FINDING_NAMES: Record<FindingType, string> = {
  major_nc: "major nonconformity",
  minor_nc: "minor nonconformity",
  observation: "observation",
  opportunity: "opportunity for improvement",
};

const FINDING_ALIASES: Record<string, FindingType> = {
  major: "major_nc",
  major_nc: "major_nc",
  minor: "minor_nc",
  minor_nc: "minor_nc",
  observation: "observation",
  obs: "observation",
  opportunity: "opportunity",
  ofi: "opportunity",
};

export const findingType = (word: string | undefined): FindingType | null =>
  FINDING_ALIASES[(word ?? "").toLowerCase()] ?? null;

/**
 * Who may audit (ISO 9001 9.2.2): people holding the auditor role, and never their own work — a
 * process they own, or one where they are among the auditees.
 */
export function auditorProblem(
  workspace: Workspace,
  process: string,
  auditor: PersonRef,
  auditees: PersonRef[],
  programme: AuditProgrammeEntry[],
): string | null {
  if (!rolesOf(workspace, auditor.id).includes("auditor")) {
    const auditors = holders(workspace, "auditor").map((a) => a.name);
    return `${auditor.name} does not hold the auditor role; only competent auditors lead internal audits (ISO 9001 9.2.2).${auditors.length ? ` Auditors: ${auditors.join(", ")}.` : " Grant the role with qms roles grant @person auditor."}`;
  }
  if (auditees.some((a) => a.id === auditor.id))
    return `${auditor.name} is an auditee of this audit and cannot also audit it (ISO 9001 9.2.2: auditors do not audit their own work). Choose another lead auditor.`;
  const owner = programme.find((p) => p.process.toLowerCase() === process.toLowerCase())?.owner;
  if (owner?.id === auditor.id)
    return `${auditor.name} owns the process "${process}" and cannot audit it (ISO 9001 9.2.2: auditors do not audit their own work). Choose another lead auditor.`;
  return null;
}

/** The lead auditor (or a QM named in the audit) moves it along; a QM who is not named may not. */
export const leadOrNamedQm = {
  rule: (record: { owner: PersonRef | null }, userId: string, roles: string[]) =>
    record.owner?.id === userId || roles.includes("qm"),
  who: "the lead auditor or a quality manager",
};

/** What only the audit's lead auditor records: findings and the report's contents. */
export const leadAuditorOnly = {
  rule: (a: { owner: PersonRef | null }, userId: string) => a.owner?.id === userId,
  who: "the lead auditor of this audit",
};

type Spec<P = Record<string, never>> = TransitionSpec<InternalAudit, P>;

export function announceNotices(
  after: InternalAudit,
  ctx: CommandContext,
  workspace: Workspace,
  what: "scheduled" | "reported",
): Notice[] {
  const to =
    what === "scheduled"
      ? [after.leadAuditor?.id, ...after.auditees.map((a) => a.id)]
      : [...after.auditees.map((a) => a.id), ...holders(workspace, "qm").map((q) => q.id)];
  const text =
    what === "scheduled"
      ? rich`${ctx.actor.name} scheduled internal audit ${after.ref} of ${after.process} on ${day(after.day ?? "")}; ${after.leadAuditor?.name ?? ""} leads it. See it with ${cmd(`audit ${after.ref}`)}.`
      : rich`${ctx.actor.name} issued the report of internal audit ${after.ref} (${after.process}) with ${after.findings.length} finding${after.findings.length === 1 ? "" : "s"}. See it with ${cmd(`audit ${after.ref}`)}.`;
  return [...new Set(to.filter((id): id is string => Boolean(id) && id !== ctx.actor.id))].map((id) => ({
    to: id,
    about: `${what}:${id}`,
    view: answer(text),
  }));
}

/** A planned audit (from the programme) gets its lead auditor, auditees and day. */
export const schedule: Spec<{ lead: PersonRef; auditees: PersonRef[]; day: string }> = {
  id: "schedule",
  event: "scheduled",
  from: ["planned"],
  to: "scheduled",
  who: "qm",
  label: "Schedule",
  done: "scheduled",
  action: "schedule audits",
  shows: () => false,
  check: (a, p, _ctx, workspace) => {
    const problem = auditorProblem(workspace, a.process, p.lead, p.auditees, workspace.auditProgramme ?? []);
    if (problem) throw new QopsError("forbidden", `${problem} Nothing was changed.`);
  },
  apply: (_a, p, _ctx, workspace) => ({
    owner: p.lead,
    leadAuditor: p.lead,
    auditees: p.auditees,
    day: p.day,
    scheduledFor: startOfDay(p.day, zoneOf(workspace)),
  }),
  notices: (after, _b, ctx, _p, workspace) => announceNotices(after, ctx, workspace, "scheduled"),
};

export const start: Spec = {
  id: "start",
  event: "started",
  from: ["scheduled"],
  to: "in_progress",
  who: leadOrNamedQm,
  label: "Start audit",
  done: "started",
  action: "start this audit",
};

export const close: Spec<{ open: string[] }> = {
  id: "close",
  event: "closed",
  from: ["reported"],
  to: "closed",
  who: "qm",
  label: "Close audit",
  style: "primary",
  done: "closed",
  action: "close audits",
  check: (a, p) => {
    if (p.open.length)
      throw new QopsError(
        "invalid_transition",
        `${a.ref} cannot be closed yet: ${p.open.join(", ")}. An audit closes when the actions from its findings are done. Nothing was changed.`,
      );
  },
};

/**
 * The lead auditor (or a QM named in the audit) records a finding. A nonconformity raises a
 * corrective action linked to the audit and the finding (`AUD-2026-0003#F2`), owned by the
 * process owner (else the first auditee), as an effect of the finding: raised once, and linked
 * back, after a crash too.
 */
export const finding: Spec<{ type: FindingType; clause: string; evidence: string; dueDay: string | null }> = {
  id: "finding",
  event: "finding_recorded",
  from: ["in_progress"],
  who: leadAuditorOnly,
  label: "Record finding",
  done: "given a finding",
  action: "record findings (start the audit first)",
  shows: () => false,
  parse: (inputs, _a, ctx, workspace) => {
    const type = findingType(String(inputs.type ?? ""));
    if (!type)
      throw new QopsError(
        "invalid_input",
        "Say what kind of finding: major, minor, observation or opportunity. Nothing was recorded.",
      );
    const clause = String(inputs.clause ?? "").trim();
    const evidence = String(inputs.evidence ?? "").trim();
    if (!/^\d+(\.\d+)*$/.test(clause))
      throw new QopsError(
        "invalid_input",
        "Give the ISO 9001 clause the finding is against, e.g. 8.5.1. Nothing was recorded.",
      );
    if (evidence.length < 3 || evidence.length > 2000)
      throw new QopsError(
        "invalid_input",
        "Describe the evidence (3 to 2,000 characters). Nothing was recorded.",
      );
    // Typed only (`… due YYYY-MM-DD …`), so a "due" without a date is an error, not a default.
    const dueText = typeof inputs.dueDate === "string" ? inputs.dueDate : undefined;
    if (dueText !== undefined && type !== "major_nc" && type !== "minor_nc")
      throw new QopsError(
        "invalid_input",
        "Only a nonconformity raises an action with a due date; leave out the due date. Nothing was recorded.",
      );
    const dueDay = dueText
      ? requireDay(dueText, "dueDate", "the action's due date", today(ctx, workspace))
      : null;
    return { type, clause, evidence, dueDay };
  },
  apply: (a, p) => ({
    findings: [
      ...a.findings,
      {
        id: `F${a.findings.length + 1}`,
        type: p.type,
        clause: p.clause,
        evidence: p.evidence,
        actionRef: null,
        ...(p.dueDay ? { actionDueDay: p.dueDay } : {}),
      },
    ],
  }),
  effects: (after, _b, ctx, p) => {
    if (p.type !== "major_nc" && p.type !== "minor_nc") return [];
    const f = after.findings[after.findings.length - 1] as AuditFinding;
    return [{ type: "findingAction", audit: after._id, finding: f.id, at: ctx.now.toISOString() }];
  },
};

/** The due day of a finding's action, from its grade and the workspace's setting (`qms finding-days`). */
export function findingActionDay(type: FindingType, ctx: CommandContext, workspace: Workspace): string {
  const days =
    (type === "major_nc" || type === "minor_nc" ? workspace.findingActionDays?.[type] : undefined) ??
    NC_ACTION_DAYS[type] ??
    30;
  return addDays(today(ctx, workspace), days);
}
