import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import { loadRecord } from "../../db/history.js";
import type { RecordBase } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { addDays, dayOf, daysBetween, formatDay } from "../../time/zone.js";
import {
  buttons,
  context,
  fields,
  heading,
  list,
  message,
  paragraph,
  withNotice,
} from "../../views/build.js";
import { cmd, day, join, person, type Rich, rich, strong } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import type { CorrectiveAction } from "../action/model.js";
import { today } from "../common.js";
import { stateLine } from "../complaint/views.js";
import type { Action, ActionHandler, RecordKindDef, Viewer } from "../kind.js";
import {
  type AnySpec,
  buttonId,
  buttonsFor,
  loadByRef,
  pressed,
  pressTransition,
  runTransition,
  typedReply,
} from "../lifecycle.js";
import { type RegisterSpec, registerAnswer, requireSight, showAnswer, viewerFor } from "../registers.js";
import { head, isPerson, wordsOf } from "../tokens.js";
import { requireWorkspace, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import {
  auditFormFields,
  closeAudit,
  SCHEDULE_FORM,
  scheduleFormAnswer,
  staffPlanned,
  submitSchedule,
} from "./commands.js";
import { FINDING_NAMES, finding, start } from "./lifecycle.js";
import { type InternalAudit, InternalAuditModel } from "./model.js";
import { auditDay } from "./programme.js";
import { programme } from "./programmeCommand.js";
import { auditReminders } from "./reminders.js";
import {
  ANSWER_WORDS,
  AUDIT_TRANSITIONS,
  CONCLUSION_WORDS,
  REPORT_PARTS,
  report,
  reportView,
} from "./report.js";

const openAudit = (a: InternalAudit) => !["reported", "closed"].includes(a.state);

export function auditLines(a: InternalAudit, workspace: Workspace) {
  const when = auditDay(a, workspace);
  return [
    fields([
      ["Process", a.process],
      ["Date", when ? [day(when)] : "—"],
      ["Clauses", a.clauses.join(", ") || "—"],
      ["Lead auditor", a.leadAuditor ? [person(a.leadAuditor)] : "not assigned"],
      ["Auditees", a.auditees.length ? join(a.auditees.map(person)) : "—"],
    ]),
    ...(a.checklist.length
      ? [
          list(
            a.checklist.map((q, i) => {
              const found = a.answers?.find((x) => x.question === i + 1);
              return `Checklist ${i + 1}: ${q}${found ? ` — ${ANSWER_WORDS[found.answer]}${found.evidence ? `: ${found.evidence}` : ""}` : ""}`;
            }),
          ),
        ]
      : []),
    ...(a.criteria ? [fields([["Criteria", a.criteria]])] : []),
    ...(a.strengths?.length ? [list(a.strengths.map((s) => `Strength: ${s}`))] : []),
    ...(a.conclusion
      ? [paragraph(`Conclusion: ${CONCLUSION_WORDS[a.conclusion.verdict]} — ${a.conclusion.text}`)]
      : []),
    ...(a.findings.length
      ? [
          list(
            a.findings.map(
              (f) =>
                `Finding ${f.id}: ${FINDING_NAMES[f.type]}, clause ${f.clause}: ${f.evidence}${f.actionRef ? ` → ${f.actionRef}` : ""}`,
            ),
          ),
        ]
      : []),
  ];
}

export async function auditCard(ctx: CommandContext, a: InternalAudit, viewer: Viewer) {
  const workspace = await requireWorkspace(ctx);
  return {
    ...message(rich`${a.ref} is ${words(a.state)}`, [
      heading(rich`${a.ref} · ${a.process}`),
      ...auditLines(a, workspace),
      context(stateLine(a)),
      ...buttons(buttonsFor(ctx, auditKind, AUDIT_TRANSITIONS, a, viewer)),
    ]),
    refresh: { ws: a.workspaceId, ref: a.ref ?? "" },
  };
}

function auditLine(a: InternalAudit, ctx: CommandContext, workspace: Workspace): Rich {
  const when = auditDay(a, workspace);
  const late = when && daysBetween(when, today(ctx, workspace)) >= 1 && openAudit(a);
  return rich`🔍 ${strong(a.ref)} · ${words(a.state)} · ${when ? day(when) : "no date"}${late ? " ⚠️ late" : ""} · ${a.process} · ${a.leadAuditor ? person(a.leadAuditor) : "no auditor yet"}`;
}

const register: RegisterSpec<InternalAudit> = {
  filters: ["planned", "due", "mine", "all"],
  title: "Internal audits",
  empty: "No audits match.",
  load: async (ctx, filter, workspace) => {
    const audits = (await InternalAuditModel.find({
      workspaceId: ctx.workspaceId,
    }).lean()) as InternalAudit[];
    const horizon = addDays(today(ctx, workspace), 30);
    return audits
      .filter((a) => {
        if (filter === "planned") return openAudit(a);
        if (filter === "due") return openAudit(a) && (auditDay(a, workspace) ?? "9999") <= horizon;
        if (filter === "mine")
          return a.leadAuditor?.id === ctx.actor.id || a.auditees.some((p) => p.id === ctx.actor.id);
        return true;
      })
      .sort((a, b) => (auditDay(a, workspace) ?? "").localeCompare(auditDay(b, workspace) ?? ""));
  },
  line: auditLine,
};

const helpLines = (): Rich[] => [
  rich`${cmd("audit")} — schedule an internal audit (a form; QM)`,
  rich`${cmd("audit list [planned|due|mine|all]")} — the audits`,
  rich`${cmd("audit AUD-2026-0003")} — one audit with its findings and history`,
  rich`${cmd("audit AUD-2026-0003 schedule @auditor YYYY-MM-DD [@auditee …]")} — staff a planned audit (QM; the lead auditor holds the auditor role)`,
  rich`${cmd("audit AUD-2026-0003 start | report | close")} — the lead auditor starts and reports; a QM closes once its actions are done`,
  rich`${cmd("audit AUD-2026-0003 criteria TEXT")}, ${cmd("check N conforming|finding|na EVIDENCE")}, ${cmd("strength TEXT")}, ${cmd("conclusion effective|partly|not TEXT")} — the lead auditor fills in the report while the audit is in progress; ${cmd("report")} issues it (its form asks for what is missing) and, once issued, shows it`,
  rich`${cmd("audit AUD-2026-0003 finding major|minor|observation|opportunity CLAUSE [due YYYY-MM-DD] evidence")} — the lead auditor records a finding (a nonconformity raises a corrective action, due after the workspace's days unless a due date is given)`,
  rich`${cmd("audit programme [YEAR]")} — planned versus done per process, and what is late`,
  rich`${cmd("audit programme set PROCESS TIMES_PER_YEAR [@owner]")} — how often a process is audited, and who owns it (QM)`,
  rich`${cmd("audit programme generate [YEAR]")} — create the year's planned audits (QM)`,
];

const asAction = (ctx: CommandContext, ref: string, inputs: Action["inputs"] = {}): Action => ({
  ctx,
  target: { ws: ctx.workspaceId, ref },
  inputs,
  source: "private",
  submitted: true,
  typed: true,
});

async function onRecord(ctx: CommandContext, ref: string, rest: Parameters<typeof head>[0]): Promise<Answer> {
  const [verb, args] = head(rest);
  if (!verb) return showAnswer(auditKind, ctx, ref);
  const action = asAction(ctx, ref);
  if (verb === "start") return typedReply(await pressTransition(auditKind, start, action));
  if (verb === "report") return reportCommand(ctx, ref);
  const filling = REPORT_PARTS[verb];
  if (filling) return fillReport(ctx, ref, verb, filling, wordsOf(args));
  if (verb === "close") return typedReply(await closed(action));
  if (verb === "schedule") {
    const people = args.filter(isPerson).map((t) => t.person);
    const when = wordsOf(args).find((w) => /^\d{4}-\d{2}-\d{2}$/.test(w));
    const result = await staffPlanned(auditKind, ctx, ref, people, when);
    if (result.kind !== "done") return result;
    const a = result.record;
    return typedReply(
      await pressed(
        auditKind,
        action,
        result,
        rich`✅ ${a.ref} scheduled by ${ctx.actor.name} for ${day(a.day ?? "")} with ${a.leadAuditor?.name ?? ""} as lead auditor.`,
      ),
    );
  }
  if (verb === "finding") {
    const [type, clause, ...more] = wordsOf(args);
    // `… finding major 8.4.1 due 2027-01-15 evidence`: the action's due day, if not the default.
    const dueDate = more[0]?.toLowerCase() === "due" ? (more[1] ?? "") : undefined;
    const evidence = dueDate === undefined ? more : more.slice(2);
    const result = await runTransition(
      auditKind,
      finding,
      asAction(ctx, ref, {
        type,
        clause,
        evidence: evidence.join(" "),
        ...(dueDate !== undefined ? { dueDate } : {}),
      }),
    );
    if (result.kind !== "done") return result;
    const f = result.record.findings[result.record.findings.length - 1];
    const raised = f && (f.type === "major_nc" || f.type === "minor_nc");
    const workspace = await requireWorkspace(ctx);
    // Read again: the finding's action is linked by an effect that ran after the change.
    const fresh = (await loadRecord<InternalAudit>("audit", result.record._id)) ?? result.record;
    const actionRef = fresh.findings.find((x) => x.id === f?.id)?.actionRef;
    const action = actionRef
      ? await loadRecord<CorrectiveAction>("action", `${ctx.workspaceId}/${actionRef}`)
      : null;
    const followUp = !raised
      ? ""
      : action
        ? ` Corrective action ${action.ref} was raised for ${action.owner.name}, due ${formatDay(action.dueDay ?? dayOf(action.dueAt, zoneOf(workspace)))}.`
        : " A corrective action is being raised for the process owner; it will show on the finding.";
    const text = rich`✅ Finding ${f?.id ?? ""} (${f ? FINDING_NAMES[f.type] : ""}, clause ${f?.clause ?? ""}) recorded in ${ref} by ${ctx.actor.name}.${followUp}`;
    return { kind: "reply", view: withNotice(await auditCard(ctx, fresh, viewerFor(ctx, workspace)), text) };
  }
  throw new QopsError(
    "invalid_input",
    `Unknown audit sub-command "${verb.slice(0, 20)}". audit help lists them.`,
  );
}

/**
 * `audit AUD-… report`: issues the report of an audit in progress (the form asks for what is
 * missing); of a reported or closed audit, shows it to those who may read the audit.
 */
async function reportCommand(ctx: CommandContext, ref: string): Promise<Answer> {
  const workspace = await requireWorkspace(ctx);
  const audit = await loadByRef<InternalAudit>(ctx, auditKind, ref);
  if (audit.state === "reported" || audit.state === "closed") {
    requireSight(auditKind, ctx, audit, workspace);
    return { kind: "reply", view: reportView(audit, workspace) };
  }
  // Not `submitted`: what is missing comes back as the form to fill in, not as an error.
  return typedReply(
    await pressTransition(auditKind, report, { ...asAction(ctx, ref), submitted: false }, reportedText),
  );
}

/** `check N ANSWER EVIDENCE`, `criteria TEXT`, `strength TEXT`, `conclusion VERDICT TEXT`: the report, piece by piece. */
async function fillReport(
  ctx: CommandContext,
  ref: string,
  verb: string,
  spec: AnySpec<InternalAudit>,
  ws: string[],
): Promise<Answer> {
  const inputs: Action["inputs"] =
    verb === "check"
      ? { question: ws[0], answer: ws[1], evidence: ws.slice(2).join(" ") }
      : verb === "conclusion"
        ? { conclusion: ws[0], conclusionText: ws.slice(1).join(" ") }
        : { [verb]: ws.join(" ") };
  const result = await runTransition(auditKind, spec, asAction(ctx, ref, inputs));
  if (result.kind !== "done") return result;
  const a = result.record;
  const workspace = await requireWorkspace(ctx);
  const open = a.checklist.length - (a.answers?.length ?? 0);
  const missing = [
    open ? `${open} checklist question${open === 1 ? "" : "s"}` : "",
    a.conclusion ? "" : "the conclusion",
  ].filter(Boolean);
  const text = missing.length
    ? rich`✅ ${ref} ${spec.done} by ${ctx.actor.name}. Still to do before the report: ${missing.join(" and ")}.`
    : rich`✅ ${ref} ${spec.done} by ${ctx.actor.name}. The report is complete: issue it with ${cmd(`audit ${ref} report`)}.`;
  return { kind: "reply", view: withNotice(await auditCard(ctx, a, viewerFor(ctx, workspace)), text) };
}

const reportedText = (a: InternalAudit, ctx: CommandContext) =>
  rich`✅ ${a.ref} reported by ${ctx.actor.name} with ${a.findings.length} finding${a.findings.length === 1 ? "" : "s"}.`;

async function closed(action: Action): Promise<Answer> {
  const result = await closeAudit(auditKind, action);
  if (result.kind !== "done") return result;
  return pressed(
    auditKind,
    action,
    result,
    rich`✅ ${result.record.ref} closed by ${action.ctx.actor.name}.`,
  );
}

export const auditKind: RecordKindDef = {
  id: "audit",
  evidence: { clauses: ["9.2"], title: "Internal audits and findings", finished: ["closed"] },
  kind: "audit",
  model: InternalAuditModel as never,
  noun: "internal audit",
  plural: "internal audits",
  prefix: "AUD",
  refPattern: /^AUD-\d{4}-\d{4,}$/i,
  command: { name: "audit" },
  ownHelp: true,
  registerRoles: ["qm", "top_management", "auditor"],
  help: [
    { usage: "audit", text: "schedule an internal audit (a form; QM); audit list [planned|due|mine|all]" },
    {
      usage: "audit AUD-2026-0003 [start|report|close|finding TYPE CLAUSE evidence|schedule @auditor DATE]",
      text: "one audit; the lead auditor records findings and reports (audit help)",
    },
    {
      usage: "audit programme [YEAR|set PROCESS N @owner|generate YEAR]",
      text: "how often each process is audited; planned versus done (QM)",
    },
  ],
  involves: (record: RecordBase, userId: string) => {
    const a = record as InternalAudit;
    return a.leadAuditor?.id === userId || a.auditees.some((p) => p.id === userId);
  },
  async typed(ctx, args) {
    const [first, rest] = head(args);
    if (!first) return scheduleFormAnswer(ctx);
    if (first === "help")
      return {
        kind: "reply",
        view: message("Internal audits", [heading("Internal audits"), list(helpLines())]),
      };
    if (first === "list") return registerAnswer(auditKind, register, ctx, wordsOf(rest)[0]);
    if (first === "programme" || first === "program") return programme(auditKind, ctx, rest);
    if (!auditKind.refPattern.test(first))
      throw new QopsError(
        "invalid_input",
        `"${first.slice(0, 30)}" is not an audit reference or sub-command. audit help lists them.`,
      );
    return onRecord(ctx, first.toUpperCase(), rest);
  },
  actions: {
    ...Object.fromEntries(
      AUDIT_TRANSITIONS.filter((s) => s.id !== "close").map(
        (spec: AnySpec<InternalAudit>): [string, ActionHandler] => [
          buttonId({ id: "audit" }, spec),
          (action) =>
            pressTransition(auditKind, spec, action, spec.id === "report" ? reportedText : undefined),
        ],
      ),
    ),
    "audit.close": closed,
    [SCHEDULE_FORM]: (action) => submitSchedule(auditKind, action),
  },
  card: (ctx, record, viewer) => auditCard(ctx, record as InternalAudit, viewer),
  reminders: auditReminders,
  forms: { [SCHEDULE_FORM]: auditFormFields([]) },
};
