import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { loadRecord, transition } from "../../db/history.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { dayOf, daysBetween, parseDay, startOfDay } from "../../time/zone.js";
import { answer, withNotice } from "../../views/build.js";
import { cmd, day, rich } from "../../views/rich.js";
import type { Answer, FieldView, FormView } from "../../views/types.js";
import type { RaiseActionEffect } from "../action/commands.js";
import {
  fieldChecks,
  parseForm,
  peopleByIds,
  peopleFor,
  personById,
  pick,
  requireDay,
  today,
} from "../common.js";
import { registerEffect, runEffect } from "../effects.js";
import type { Action, RecordKindDef } from "../kind.js";
import { createReferenced, loadByRef, runTransition } from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { formAnswerNotice, type Notice, notifyEffect } from "../notify.js";
import { viewerFor } from "../registers.js";
import { readWorkspace, requireRole, requireWorkspace, zoneOf } from "../workspace/access.js";
import { changeWorkspace } from "../workspace/commands.js";
import type { Workspace } from "../workspace/model.js";
import {
  auditorProblem,
  close as closeSpec,
  FINDING_NAMES,
  findingActionDay,
  schedule,
} from "./lifecycle.js";
import { type InternalAudit, InternalAuditModel } from "./model.js";

const auditInput = z.object({
  process: z.string().trim().min(2, "Name the process or area audited.").max(150, "At most 150 characters."),
  clauses: z.string().trim().max(300, "At most 300 characters.").default(""),
  date: z
    .string({ message: "Choose the audit date (YYYY-MM-DD)." })
    .trim()
    .min(1, "Choose the audit date (YYYY-MM-DD)."),
  checklist: z.string().trim().max(3000, "The checklist can be at most 3,000 characters.").default(""),
});

export const SCHEDULE_FORM = "audit.schedule";

export function auditFormFields(people: PersonRef[]): FieldView[] {
  return [
    { type: "text", id: "process", label: "Process or area", max: 150, placeholder: "e.g. Purchasing" },
    {
      type: "text",
      id: "clauses",
      label: "ISO 9001 clauses",
      max: 300,
      optional: true,
      placeholder: "e.g. 8.4, 8.5.1",
    },
    { type: "person", id: "leadAuditor", label: "Lead auditor", people },
    { type: "person", id: "auditees", label: "Auditees", multi: true, optional: true, people },
    { type: "date", id: "date", label: "Date" },
    {
      type: "text",
      id: "checklist",
      label: "Checklist questions (one per line)",
      max: 3000,
      multiline: true,
      optional: true,
    },
  ];
}

async function auditForm(
  ctx: CommandContext,
  values: Record<string, string | string[]> = {},
  errors?: Record<string, string>,
): Promise<FormView> {
  return {
    id: SCHEDULE_FORM,
    title: "Schedule an audit",
    submit: "Schedule",
    fields: auditFormFields(await peopleFor(ctx)),
    target: { ws: ctx.workspaceId },
    values,
    ...(errors ? { errors } : {}),
  };
}

/** `audit`: the form, for a QM (checked before it is shown). */
export async function scheduleFormAnswer(ctx: CommandContext): Promise<Answer> {
  await requireRole(ctx, "qm", "schedule internal audits");
  return { kind: "form", form: await auditForm(ctx) };
}

const splitList = (text: string, by: RegExp) =>
  text
    .split(by)
    .map((s) => s.trim())
    .filter(Boolean);

/** A QM schedules an audit: process, clauses, lead auditor (an auditor), auditees, day, checklist. */
export async function submitSchedule(def: RecordKindDef, action: Action): Promise<Answer> {
  const { ctx } = action;
  if (action.target.ws !== ctx.workspaceId)
    throw new QopsError("forbidden", "This form belongs to another workspace. Nothing was saved.");
  const values = pick(action.inputs, ["process", "clauses", "date", "checklist", "leadAuditor"]);
  const workspace = await requireRole(ctx, "qm", "schedule internal audits");
  const shown = { ...clean(values), ...(action.inputs.auditees ? { auditees: action.inputs.auditees } : {}) };
  // Every bad field is named at once.
  const form = fieldChecks();
  const parsed = await form.check(() => parseForm(auditInput, values, "audit"));
  const auditDay = await form.check(() =>
    requireDay(values.date, "date", "the audit date", today(ctx, workspace)),
  );
  const lead = await form.check(() => personById(ctx, values.leadAuditor, "leadAuditor", "the lead auditor"));
  const auditees =
    (await form.check(() => peopleByIds(ctx, action.inputs.auditees as string | string[] | undefined))) ?? [];
  const problem =
    parsed && lead
      ? auditorProblem(workspace, parsed.process, lead, auditees, workspace.auditProgramme ?? [])
      : null;
  if (problem) form.errors.leadAuditor ??= problem;
  if (!parsed || !auditDay || !lead || Object.keys(form.errors).length)
    return { kind: "invalid", form: await auditForm(ctx, shown, form.errors) };
  const fields: z.infer<typeof auditInput> = parsed;
  await ensureMember(ctx);
  const result = await createReferenced<InternalAudit>(
    ctx,
    def,
    {
      state: "scheduled",
      owner: lead,
      programmeSlot: null,
      process: fields.process,
      clauses: splitList(fields.clauses, /[,;]/),
      leadAuditor: lead,
      auditees,
      day: auditDay,
      scheduledFor: startOfDay(auditDay, zoneOf(workspace)),
      checklist: splitList(fields.checklist, /\n/),
      findings: [],
      reportedAt: null,
    },
    {
      effects: (ref, recordKey) =>
        notifyEffect(
          ctx,
          { workspaceId: ctx.workspaceId, record: ref, recordKey, seq: 1 },
          [...new Set([lead.id, ...auditees.map((a) => a.id)])]
            .filter((id) => id !== ctx.actor.id)
            .map(
              (id): Notice => ({
                to: id,
                about: `scheduled:${id}`,
                view: answer(
                  rich`${ctx.actor.name} scheduled internal audit ${ref} of ${fields.process} on ${day(auditDay)}; ${lead.name} leads it. See it with ${cmd(`audit ${ref}`)}.`,
                ),
              }),
            )
            .concat(
              formAnswerNotice(ctx, answer(scheduledText(ref, fields.process, auditDay, lead, ctx), "good")),
            ),
        ),
    },
  );
  const a = result.record;
  const text = result.created
    ? scheduledText(a.ref ?? "", fields.process, auditDay, lead, ctx)
    : rich`This form was already sent: it is ${a.ref}.`;
  return { kind: "done", view: withNotice(await def.card(ctx, a, viewerFor(ctx, workspace)), text) };
}

const scheduledText = (ref: string, process: string, when: string, lead: PersonRef, ctx: CommandContext) =>
  rich`✅ ${ref} scheduled by ${ctx.actor.name}: ${process} on ${day(when)}, lead auditor ${lead.name}.`;

/** `audit AUD-… schedule @lead YYYY-MM-DD [@auditee …]`: staffs a planned audit. */
export async function staffPlanned(
  def: RecordKindDef,
  ctx: CommandContext,
  ref: string,
  people: PersonRef[],
  dayText: string | undefined,
) {
  const workspace = await requireWorkspace(ctx);
  const [lead, ...auditees] = people;
  if (!lead)
    throw new QopsError(
      "invalid_input",
      "Name the lead auditor (mention them): audit AUD-… schedule @auditor YYYY-MM-DD [@auditee …].",
    );
  const when = parseDay(dayText);
  if (!when || when < today(ctx, workspace))
    throw new QopsError(
      "invalid_input",
      "Give the audit date as YYYY-MM-DD, today or later. Nothing was changed.",
    );
  return runTransition(
    def,
    {
      ...schedule,
      parse: () => ({ lead, auditees, day: when }),
      check: (a, p, c, w) => {
        checkProgrammeYear(a, when);
        schedule.check?.(a, p, c, w);
      },
    },
    {
      ctx,
      target: { ws: ctx.workspaceId, ref },
      inputs: {},
      source: "private",
      submitted: true,
      typed: true,
    },
  );
}

/** Which of an audit's finding actions are not done yet (an audit closes when they are). */
export async function openFindingActions(ctx: CommandContext, audit: InternalAudit): Promise<string[]> {
  const refs = audit.findings.map((f) => f.actionRef).filter((r): r is string => Boolean(r));
  const open: string[] = [];
  for (const ref of refs) {
    const a = await loadRecord<{ state: string } & InternalAudit>("action", `${ctx.workspaceId}/${ref}`);
    if (a && !["done", "verified_effective"].includes(a.state))
      open.push(`${ref} is ${a.state.replaceAll("_", " ")}`);
  }
  // Raised but not linked yet (the link is completing): counted as open too.
  const pending = audit.findings.filter(
    (f) => (f.type === "major_nc" || f.type === "minor_nc") && !f.actionRef,
  );
  for (const f of pending) open.push(`the action of finding ${f.id} is being raised`);
  return open;
}

export async function closeAudit(def: RecordKindDef, action: Action) {
  const audit = await loadByRef<InternalAudit>(action.ctx, def, action.target.ref, action.target.ws);
  const open = await openFindingActions(action.ctx, audit);
  return runTransition(def, { ...closeSpec, parse: () => ({ open }) }, action);
}

registerEffect("findingAction", async (effect, event) => {
  const audit = await loadRecord<InternalAudit>("audit", String(effect.audit));
  const workspace = await readWorkspace(event.workspaceId);
  const found = audit?.findings.find((f) => f.id === effect.finding);
  if (!audit || !workspace || !found || found.actionRef) return;
  const owner =
    workspace.auditProgramme?.find((p) => p.process.toLowerCase() === audit.process.toLowerCase())?.owner ??
    audit.auditees[0] ??
    event.actor;
  const ctx = { workspaceId: event.workspaceId, now: event.at } as CommandContext;
  const raise: RaiseActionEffect = {
    type: "raiseAction",
    key: `finding:${audit.ref}#${found.id}`,
    source: "audit_finding",
    sourceRef: `${audit.ref}#${found.id}`,
    problem: `${FINDING_NAMES[found.type]} against clause ${found.clause} in audit ${audit.ref} (${audit.process}), finding ${found.id}: ${found.evidence}`,
    owner,
    dueDay: findingActionDay(found.type, ctx, workspace),
    actionType: "corrective",
    link: { type: "linkFinding", audit: audit._id, finding: found.id, action: "{action}" },
  };
  await runEffect(raise, event);
});

registerEffect("linkFinding", async (effect, event) => {
  try {
    await transition<InternalAudit>({
      kind: "audit",
      recordKey: String(effect.audit),
      type: "action_linked",
      actor: event.actor,
      at: event.at,
      idempotencyKey: `link:finding:${String(effect.action)}`,
      decide: (audit) => {
        const f = audit.findings.find((x) => x.id === effect.finding);
        if (!f || f.actionRef) throw new QopsError("invalid_transition", "already linked");
        return {
          fields: {
            findings: audit.findings.map((x) =>
              x.id === effect.finding ? { ...x, actionRef: String(effect.action) } : x,
            ),
          },
        };
      },
    });
  } catch (error) {
    if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
  }
});

// ---- The audit programme ----

/** A QM sets how often a process is audited per year (0 removes it) and who owns it. */
export function setProgrammeEntry(
  ctx: CommandContext,
  process: string,
  perYear: number,
  owner: PersonRef | null,
) {
  const name = process.trim();
  if (name.length < 2 || name.length > 150)
    throw new QopsError("invalid_input", "Name the process (2 to 150 characters). Nothing was changed.");
  if (!Number.isInteger(perYear) || perYear < 0 || perYear > 12)
    throw new QopsError(
      "invalid_input",
      "Say how many audits a year, 0 to 12 (0 takes the process out of the programme). Nothing was changed.",
    );
  return changeWorkspace(ctx, "audit_programme_changed", "change the audit programme", (w) => {
    const same = (p: { process: string }) => p.process.toLowerCase() === name.toLowerCase();
    const others = (w.auditProgramme ?? []).filter((p) => !same(p));
    const previous = (w.auditProgramme ?? []).find(same);
    return {
      auditProgramme:
        perYear === 0
          ? others
          : [...others, { process: name, perYear, owner: owner ?? previous?.owner ?? null }],
    };
  });
}

/** Planned days for `perYear` audits in a year: evenly spread, mid-month. */
export function plannedDays(year: number, perYear: number): string[] {
  return Array.from({ length: perYear }, (_, k) => {
    const month = Math.floor((12 * (k + 0.5)) / perYear) + 1;
    return `${year}-${String(month).padStart(2, "0")}-15`;
  });
}

const doneStates = ["reported", "closed"];

/**
 * Creates the year's planned audits from the programme: one per process and slot, never twice
 * (each slot is the creation's key). Audits of the process already held or scheduled that year
 * count against its slots, so generating does not plan an audit that was done.
 */
export async function generateProgramme(def: RecordKindDef, ctx: CommandContext, year: number) {
  const workspace = await requireRole(ctx, "qm", "generate the audit programme");
  if (!Number.isInteger(year) || year < 2000 || year > 2100)
    throw new QopsError("invalid_input", "Give a year, e.g. 2027.");
  if (!workspace.auditProgramme?.length)
    throw new QopsError(
      "invalid_input",
      "The programme is empty: add processes first, e.g. audit programme set Purchasing 2.",
    );
  const ofYear = await auditsOfYear(ctx.workspaceId, year, workspace);
  const created: InternalAudit[] = [];
  let existing = 0;
  for (const entry of workspace.auditProgramme) {
    const already = ofYear.filter(
      (a) => a.process.toLowerCase() === entry.process.toLowerCase() && !a.programmeSlot,
    ).length;
    for (const [k, plannedDay] of plannedDays(year, entry.perYear).entries()) {
      if (k < already) {
        existing++;
        continue;
      }
      const slot = `${year}:${entry.process}:${k + 1}`;
      const result = await createReferenced<InternalAudit>(
        ctx,
        def,
        {
          state: "planned",
          owner: null,
          programmeSlot: slot,
          process: entry.process,
          clauses: [],
          leadAuditor: null,
          auditees: entry.owner ? [entry.owner] : [],
          day: plannedDay,
          scheduledFor: startOfDay(plannedDay, zoneOf(workspace)),
          checklist: [],
          findings: [],
          reportedAt: null,
        },
        { idempotencyKey: `programme:${slot}`, year },
      );
      if (result.created) created.push(result.record);
      else existing++;
    }
  }
  return { created, existing };
}

/** The day of an audit (stored, or for older records the day it starts in the workspace's zone). */
export const auditDay = (a: InternalAudit, workspace: Workspace): string | null =>
  a.day ?? (a.scheduledFor ? dayOf(a.scheduledFor, zoneOf(workspace)) : null);

export async function auditsOfYear(
  workspaceId: string,
  year: number,
  workspace: Workspace,
): Promise<InternalAudit[]> {
  const audits = (await InternalAuditModel.find({ workspaceId }).lean()) as InternalAudit[];
  return audits.filter((a) => auditDay(a, workspace)?.startsWith(`${year}-`));
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
  const now = today(ctx, workspace);
  const audits = await auditsOfYear(ctx.workspaceId, year, workspace);
  const processes = new Map<string, { process: string; perYear: number; owner: PersonRef | null }>();
  for (const p of workspace.auditProgramme ?? []) processes.set(p.process.toLowerCase(), p);
  for (const a of audits)
    if (!processes.has(a.process.toLowerCase()))
      processes.set(a.process.toLowerCase(), { process: a.process, perYear: 0, owner: null });
  const rows = [...processes.values()].map((entry) => {
    const mine = audits.filter((a) => a.process.toLowerCase() === entry.process.toLowerCase());
    const done = mine.filter((a) => doneStates.includes(a.state));
    const dayOfAudit = (a: InternalAudit) => auditDay(a, workspace) ?? "";
    const late = mine.filter(
      (a) => !doneStates.includes(a.state) && dayOfAudit(a) && daysBetween(dayOfAudit(a), now) >= 1,
    );
    const upcoming = mine
      .filter((a) => !doneStates.includes(a.state) && dayOfAudit(a) >= now)
      .sort((a, b) => dayOfAudit(a).localeCompare(dayOfAudit(b)));
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

/** Refuses moving a programme audit out of its year without saying so. */
export function checkProgrammeYear(a: InternalAudit, when: string): void {
  const slotYear = a.programmeSlot?.split(":")[0];
  if (slotYear && !when.startsWith(slotYear))
    throw new QopsError(
      "invalid_input",
      `${a.ref} is in the ${slotYear} audit programme; schedule it within ${slotYear}, or take it out of that year's programme first. Nothing was changed.`,
    );
}

const clean = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string>;
