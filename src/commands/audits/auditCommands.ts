import { addDays, isValid, parseISO, startOfDay } from "date-fns";
import { z } from "zod";
import { transition } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import { type CorrectiveAction, CorrectiveActionModel } from "../../models/correctiveAction.js";
import {
  type AuditFinding,
  type FindingType,
  type InternalAudit,
  InternalAuditModel,
} from "../../models/internalAudit.js";
import type { PersonRef } from "../../models/recordBase.js";
import type { AuditProgrammeEntry, Workspace } from "../../models/workspace.js";
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
import { ensureMember, requireRole, requireWorkspace, workspaceKey } from "../members.js";
import { parseForm } from "../validation.js";

/** Days before an audit the auditor and auditees are reminded; days after it the report is due. */
export const AUDIT_REMINDER_DAYS = [14, 1] as const;
export const REPORT_DUE_DAYS = 7;
/** Days a corrective action from a nonconformity gets: a major one is more urgent. */
const NC_ACTION_DAYS: Record<string, number> = { major_nc: 30, minor_nc: 60 };

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

export function findingType(word: string | undefined): FindingType | null {
  return FINDING_ALIASES[(word ?? "").toLowerCase()] ?? null;
}

const dateText = z
  .string({ message: "Choose the audit date (YYYY-MM-DD)." })
  .refine((v) => isValid(parseISO(v)), "Choose the audit date (YYYY-MM-DD).");

export const auditInput = z.object({
  process: z.string().trim().min(2, "Name the process or area audited.").max(150, "At most 150 characters."),
  clauses: z.string().trim().max(300, "At most 300 characters.").default(""),
  date: dateText,
  checklist: z.string().trim().max(3000, "The checklist can be at most 3,000 characters.").default(""),
});
export type AuditInput = z.input<typeof auditInput>;

export interface AuditPeople {
  leadAuditor: PersonRef | null;
  auditees: PersonRef[];
}

const splitList = (text: string, by: RegExp) =>
  text
    .split(by)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Impartiality (ISO 9001 9.2.2 c): an auditor does not audit their own work: not a process
 * they own, nor one where they are among the auditees.
 */
export function impartialityProblem(
  process: string,
  auditor: PersonRef,
  auditees: PersonRef[],
  programme: AuditProgrammeEntry[],
): string | null {
  if (auditees.some((a) => a.id === auditor.id))
    return `${auditor.name} is an auditee of this audit and cannot also audit it (ISO 9001 9.2.2: auditors do not audit their own work). Choose another lead auditor.`;
  const owner = programme.find((p) => p.process.toLowerCase() === process.toLowerCase())?.owner;
  if (owner?.id === auditor.id)
    return `${auditor.name} owns the process "${process}" and cannot audit it (ISO 9001 9.2.2: auditors do not audit their own work). Choose another lead auditor.`;
  return null;
}

/** A QM schedules an audit: process, clauses, lead auditor, auditees, date, checklist. */
export async function scheduleAudit(
  ctx: CommandContext,
  input: AuditInput | Record<string, unknown>,
  people: AuditPeople,
): Promise<{ audit: InternalAudit; created: boolean }> {
  const fields = parseForm(auditInput, input, "audit");
  const workspace = await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "schedule internal audits");
  if (!people.leadAuditor)
    throw new QopsError("invalid_input", "Choose the lead auditor.", {
      fieldErrors: { leadAuditor: "Choose the lead auditor." },
    });
  const problem = impartialityProblem(
    fields.process,
    people.leadAuditor,
    people.auditees,
    workspace.auditProgramme ?? [],
  );
  if (problem)
    throw new QopsError("forbidden", `${problem} Nothing was scheduled.`, {
      fieldErrors: { leadAuditor: problem },
    });
  const date = startOfDay(parseISO(fields.date));
  if (date < startOfDay(ctx.now))
    throw new QopsError("invalid_input", "The audit date is in the past; choose today or later.", {
      fieldErrors: { date: "Choose today or a later date." },
    });
  await ensureMember(ctx);
  const { record, created } = await createReferenced<InternalAudit>(ctx, "audit", {
    state: "scheduled",
    owner: people.leadAuditor,
    programmeSlot: null,
    process: fields.process,
    clauses: splitList(fields.clauses, /[,;]/),
    leadAuditor: people.leadAuditor,
    auditees: people.auditees,
    scheduledFor: date,
    checklist: splitList(fields.checklist, /\n/),
    findings: [],
    reportedAt: null,
  });
  return { audit: record, created };
}

export const AUDIT_TRANSITIONS = {
  schedule: {
    name: "scheduled",
    from: ["planned"],
    to: "scheduled",
    done: "scheduled",
    who: "qm",
    action: "schedule audits",
  },
  start: {
    name: "started",
    from: ["scheduled"],
    to: "in_progress",
    done: "started",
    who: "owner_or_qm",
    action: "start this audit",
  },
  report: {
    name: "reported",
    from: ["in_progress"],
    to: "reported",
    done: "reported",
    who: "owner_or_qm",
    action: "issue the audit report",
  },
  close: {
    name: "closed",
    from: ["reported"],
    to: "closed",
    done: "closed",
    who: "qm",
    action: "close audits",
  },
} as const satisfies Record<string, TransitionSpec>;

type Outcome = Promise<TransitionOutcome<InternalAudit>>;

/** A planned audit (from the programme) gets its lead auditor, auditees and date. */
export async function assignAudit(
  ctx: CommandContext,
  ref: string,
  people: AuditPeople,
  dateText: string,
): Outcome {
  const workspace = await requireWorkspace(ctx);
  const date = parseISO(dateText);
  if (!isValid(date) || startOfDay(date) < startOfDay(ctx.now))
    throw new QopsError("invalid_input", "Give the audit date as YYYY-MM-DD, today or later.");
  if (!people.leadAuditor) throw new QopsError("invalid_input", "Name the lead auditor (mention them).");
  const audit = await loadByRef<InternalAudit>(ctx, "audit", ref);
  const problem = impartialityProblem(
    audit.process,
    people.leadAuditor,
    people.auditees,
    workspace.auditProgramme ?? [],
  );
  if (problem) throw new QopsError("forbidden", `${problem} Nothing was changed.`);
  const lead = people.leadAuditor;
  return runTransition<InternalAudit>(ctx, "audit", ref, AUDIT_TRANSITIONS.schedule, () => ({
    owner: lead,
    leadAuditor: lead,
    auditees: people.auditees,
    scheduledFor: startOfDay(date),
  }));
}

export const startAudit = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<InternalAudit>(ctx, "audit", ref, AUDIT_TRANSITIONS.start);

export interface RecordedFinding {
  audit: InternalAudit;
  finding: AuditFinding;
  action: CorrectiveAction | null;
}

/**
 * The lead auditor records a finding. A nonconformity raises a corrective action linked to the
 * audit and the finding (`AUD-2026-0003#F2`), owned by the process owner (else the first auditee).
 */
export async function recordFinding(
  ctx: CommandContext,
  ref: string,
  input: { type: string | undefined; clause: string | undefined; evidence: string | undefined },
): Promise<RecordedFinding> {
  const type = findingType(input.type);
  if (!type)
    throw new QopsError(
      "invalid_input",
      `Say what kind of finding: major, minor, observation or opportunity. Nothing was recorded.`,
    );
  const clause = (input.clause ?? "").trim();
  const evidence = (input.evidence ?? "").trim();
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
  const workspace = await requireWorkspace(ctx);
  const { record } = await runUpdate<InternalAudit>(ctx, "audit", ref, {
    type: "finding_recorded",
    allowedIn: ["in_progress"],
    who: "owner_or_qm",
    action: "record findings (start the audit first)",
    fields: (audit) => ({
      findings: [
        ...audit.findings,
        { id: `F${audit.findings.length + 1}`, type, clause, evidence, actionRef: null },
      ],
    }),
  });
  const finding = record.findings[record.findings.length - 1] as AuditFinding;
  if (type !== "major_nc" && type !== "minor_nc") return { audit: record, finding, action: null };

  const owner = processOwner(workspace, record) ?? record.auditees[0] ?? ctx.actor;
  const { action } = await createAction(
    { ...ctx, requestId: `finding:${record.ref}#${finding.id}` },
    {
      problem:
        `${FINDING_NAMES[type]} against clause ${clause} in audit ${record.ref} (${record.process}), finding ${finding.id}: ${evidence}`.slice(
          0,
          3000,
        ),
      ownerId: owner.id,
      ownerName: owner.name,
      dueDate: addDays(ctx.now, NC_ACTION_DAYS[type] ?? 30)
        .toISOString()
        .slice(0, 10),
    },
    null,
    { source: "audit_finding", sourceRef: `${record.ref}#${finding.id}` },
  );
  const linked = await transition<InternalAudit>({
    kind: "audit",
    recordKey: record._id,
    type: "action_linked",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: `link:${action.ref}`,
    decide: (audit) => ({
      findings: audit.findings.map((f) => (f.id === finding.id ? { ...f, actionRef: action.ref } : f)),
    }),
  });
  return { audit: linked.record, finding: { ...finding, actionRef: action.ref }, action };
}

function processOwner(workspace: Workspace, audit: InternalAudit): PersonRef | null {
  return (
    workspace.auditProgramme?.find((p) => p.process.toLowerCase() === audit.process.toLowerCase())?.owner ??
    null
  );
}

/** The lead auditor issues the report; the auditees and QMs are then told, with the findings. */
export const issueReport = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<InternalAudit>(ctx, "audit", ref, AUDIT_TRANSITIONS.report, () => ({ reportedAt: ctx.now }));

/** A QM closes a reported audit once every action its findings raised is closed. */
export async function closeAudit(ctx: CommandContext, ref: string): Outcome {
  const audit = await loadByRef<InternalAudit>(ctx, "audit", ref);
  const refs = audit.findings.map((f) => f.actionRef).filter((r): r is string => Boolean(r));
  if (refs.length) {
    const open = await CorrectiveActionModel.find(
      { workspaceId: ctx.workspaceId, ref: { $in: refs }, state: { $nin: ["done", "verified_effective"] } },
      { ref: 1, state: 1 },
    ).lean();
    if (open.length)
      throw new QopsError(
        "invalid_transition",
        `${audit.ref} cannot be closed yet: ${open.map((a) => `${a.ref} is ${a.state.replaceAll("_", " ")}`).join(", ")}. An audit closes when the actions from its findings are done. Nothing was changed.`,
      );
  }
  return runTransition<InternalAudit>(ctx, "audit", ref, AUDIT_TRANSITIONS.close);
}

// ---- The audit programme ----

/** A QM sets how often a process is audited per year (0 removes it) and who owns it. */
export async function setProgrammeEntry(
  ctx: CommandContext,
  process: string,
  perYear: number,
  owner: PersonRef | null,
): Promise<Workspace> {
  await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "change the audit programme");
  const name = process.trim();
  if (name.length < 2 || name.length > 150)
    throw new QopsError("invalid_input", "Name the process (2 to 150 characters).");
  if (!Number.isInteger(perYear) || perYear < 0 || perYear > 12)
    throw new QopsError(
      "invalid_input",
      "Say how many audits a year, 0 to 12 (0 takes the process out of the programme).",
    );
  const { record } = await transition<Workspace>({
    kind: "workspace",
    recordKey: workspaceKey(ctx.workspaceId),
    type: "audit_programme_changed",
    actor: ctx.actor,
    at: ctx.now,
    idempotencyKey: ctx.requestId,
    decide: (w) => {
      const others = (w.auditProgramme ?? []).filter((p) => p.process.toLowerCase() !== name.toLowerCase());
      const previous = (w.auditProgramme ?? []).find((p) => p.process.toLowerCase() === name.toLowerCase());
      return {
        auditProgramme:
          perYear === 0
            ? others
            : [...others, { process: name, perYear, owner: owner ?? previous?.owner ?? null }],
      };
    },
  });
  return record;
}

/** Planned dates for `perYear` audits in a year: evenly spread, mid-month. */
export function plannedDates(year: number, perYear: number): Date[] {
  return Array.from(
    { length: perYear },
    (_, k) => new Date(Date.UTC(year, Math.floor((12 * (k + 0.5)) / perYear), 15)),
  );
}

/**
 * Creates the year's planned audits from the programme: one per process and slot, never twice
 * (each slot is the creation's idempotency key), so generating again only adds what is new.
 */
export async function generateProgramme(
  ctx: CommandContext,
  year: number,
): Promise<{ created: InternalAudit[]; existing: number }> {
  const workspace = await requireWorkspace(ctx);
  await requireRole(ctx, "qm", "generate the audit programme");
  if (!Number.isInteger(year) || year < 2000 || year > 2100)
    throw new QopsError("invalid_input", "Give a year, e.g. 2027.");
  if (!workspace.auditProgramme?.length)
    throw new QopsError(
      "invalid_input",
      "The programme is empty: add processes first, e.g. `audit programme set Purchasing 2`.",
    );
  const created: InternalAudit[] = [];
  let existing = 0;
  for (const entry of workspace.auditProgramme) {
    for (const [k, date] of plannedDates(year, entry.perYear).entries()) {
      const slot = `${year}:${entry.process}:${k + 1}`;
      const result = await createReferenced<InternalAudit>(
        { ...ctx, now: ctx.now, requestId: `programme:${slot}` },
        "audit",
        {
          state: "planned",
          owner: null,
          programmeSlot: slot,
          process: entry.process,
          clauses: [],
          leadAuditor: null,
          auditees: entry.owner ? [entry.owner] : [],
          scheduledFor: date,
          checklist: [],
          findings: [],
          reportedAt: null,
        },
      );
      if (result.created) created.push(result.record);
      else existing++;
    }
  }
  return { created, existing };
}

export interface ProgrammeRow {
  process: string;
  perYear: number;
  owner: PersonRef | null;
  planned: number;
  done: number;
  late: InternalAudit[];
  next: InternalAudit | null;
}

/** Planned versus done per process for a year, and what is late. */
export async function programmeStatus(
  ctx: CommandContext,
  year: number,
): Promise<{ year: number; rows: ProgrammeRow[] }> {
  const workspace = await requireWorkspace(ctx);
  const from = new Date(Date.UTC(year, 0, 1));
  const to = new Date(Date.UTC(year + 1, 0, 1));
  const audits = await InternalAuditModel.find({
    workspaceId: ctx.workspaceId,
    scheduledFor: { $gte: from, $lt: to },
  }).lean();
  const processes = new Map<string, AuditProgrammeEntry>();
  for (const p of workspace.auditProgramme ?? []) processes.set(p.process.toLowerCase(), p);
  for (const a of audits)
    if (!processes.has(a.process.toLowerCase()))
      processes.set(a.process.toLowerCase(), { process: a.process, perYear: 0, owner: null });
  const rows = [...processes.values()].map((entry) => {
    const mine = audits.filter((a) => a.process.toLowerCase() === entry.process.toLowerCase());
    const done = mine.filter((a) => a.state === "reported" || a.state === "closed");
    const late = mine.filter(
      (a) =>
        !["reported", "closed"].includes(a.state) && a.scheduledFor && addDays(a.scheduledFor, 1) <= ctx.now,
    );
    const upcoming = mine
      .filter(
        (a) =>
          !["reported", "closed"].includes(a.state) &&
          a.scheduledFor &&
          a.scheduledFor >= startOfDay(ctx.now),
      )
      .sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0));
    return {
      process: entry.process,
      perYear: entry.perYear,
      owner: entry.owner,
      planned: Math.max(entry.perYear, mine.length),
      done: done.length,
      late,
      next: upcoming[0] ?? null,
    };
  });
  return { year, rows: rows.sort((a, b) => a.process.localeCompare(b.process)) };
}

export const AUDIT_FILTERS = ["planned", "due", "mine", "all"] as const;
export type AuditFilter = (typeof AUDIT_FILTERS)[number];

/** `planned`: not yet done; `due`: in the next 30 days or late; `mine`: I audit or am audited. */
export async function listAudits(ctx: CommandContext, filter: AuditFilter): Promise<InternalAudit[]> {
  await requireWorkspace(ctx);
  const audits = await InternalAuditModel.find({ workspaceId: ctx.workspaceId }).lean();
  const open = (a: InternalAudit) => !["reported", "closed"].includes(a.state);
  const chosen = audits.filter((a) => {
    if (filter === "planned") return open(a);
    if (filter === "due") return open(a) && a.scheduledFor !== null && a.scheduledFor <= addDays(ctx.now, 30);
    if (filter === "mine")
      return a.leadAuditor?.id === ctx.actor.id || a.auditees.some((p) => p.id === ctx.actor.id);
    return true;
  });
  return chosen.sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0));
}
