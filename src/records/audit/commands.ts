import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { loadRecord, transition } from "../../db/history.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { parseDay, startOfDay } from "../../time/zone.js";
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
import {
  auditorProblem,
  close as closeSpec,
  FINDING_NAMES,
  findingActionDay,
  schedule,
} from "./lifecycle.js";
import type { InternalAudit } from "./model.js";
import { checkProgrammeYear } from "./programme.js";

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
    dueDay: found.actionDueDay ?? findingActionDay(found.type, ctx, workspace),
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

const clean = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string>;
