/**
 * The QMS calendar's typed commands, the same on both platforms: `audit …`, `review …`,
 * `qms docs …`, `qms objectives …`. Each returns a platform-neutral reply (a title, plain
 * lines, buttons) that the Slack and Teams adapters render; people come through the adapter's
 * resolver (a Slack `<@U…>` mention, a Teams `<at>` mention).
 */
import { formatISO } from "date-fns";
import type { MessageButton } from "../bot/ports.js";
import { recordHistory } from "../db/history.js";
import { QopsError } from "../errors.js";
import { enqueueDeliveries } from "../jobs/deliveryEngine.js";
import type { ControlledDocument, QualityObjective } from "../models/controlledDocument.js";
import type { HistoryEvent } from "../models/historyEvent.js";
import type { InternalAudit, ManagementReview } from "../models/internalAudit.js";
import { MemberModel } from "../models/member.js";
import type { PersonRef } from "../models/recordBase.js";
import {
  AUDIT_FILTERS,
  type AuditFilter,
  assignAudit,
  closeAudit,
  FINDING_NAMES,
  generateProgramme,
  issueReport,
  listAudits,
  programmeStatus,
  recordFinding,
  setProgrammeEntry,
  startAudit,
} from "./audits/auditCommands.js";
import { RECORD_ACTIONS } from "./buttons.js";
import { type CommandContext, formatDate, formatWhen, words } from "./context.js";
import {
  addDocument,
  approveVersion,
  listDocuments,
  proposeVersion,
  reviewedNoChange,
} from "./documents/documentCommands.js";
import { loadByRef } from "./lifecycle.js";
import { hasRole } from "./members.js";
import {
  addObjective,
  listObjectives,
  objectiveStanding,
  recordReading,
  withUnit,
} from "./objectives/objectiveCommands.js";
import {
  approveMinutes,
  listReviews,
  MANUAL_INPUTS,
  recordDecision,
  recordMinutes,
  reviewPack,
  scheduleReview,
  setReviewInput,
} from "./reviews/reviewCommands.js";

export interface CalendarReply {
  text: string;
  title?: string;
  lines?: string[];
  buttons?: MessageButton[];
  /** Open the schedule-an-audit form instead. */
  form?: "audit";
}

/** Turns a word of the command into a person (a mention), or null. */
export type PersonResolver = (word: string | undefined) => Promise<PersonRef | null>;

/** How commands are written on this platform: "/audit" in Slack, "audit" in Teams. */
export interface Dialect {
  audit: string;
  review: string;
  qms: string;
}

const isDate = (w: string | undefined) => /^\d{4}-\d{2}-\d{2}$/.test(w ?? "");
const isAuditRef = (w: string | undefined) => /^AUD-\d{4}-\d{4,}$/i.test(w ?? "");
const isReviewRef = (w: string | undefined) => /^MR-\d{4}-\d{4,}$/i.test(w ?? "");

function historyLines(history: HistoryEvent[]): string[] {
  return history.slice(-30).map((e) => {
    const state = e.changes.state ? ` → ${words(String(e.changes.state.after))}` : "";
    return `${formatWhen(e.at)} · ${e.actor.name} · ${words(e.type)}${state}${e.reason ? ` — “${e.reason}”` : ""}`;
  });
}

// ---------------------------------------------------------------- audits

/**
 * Tells people about an audit through the delivery engine (recorded first, sent once, retried):
 * the lead auditor and auditees when it is scheduled, the auditees and QMs when it is reported.
 */
export async function announceAudit(
  ctx: CommandContext,
  audit: InternalAudit,
  what: "scheduled" | "reported",
): Promise<void> {
  const qms = (
    await MemberModel.find({ workspaceId: ctx.workspaceId, roles: "qm", active: true }, { userId: 1 }).lean()
  ).map((m) => m.userId);
  const to =
    what === "scheduled"
      ? [audit.leadAuditor?.id, ...audit.auditees.map((a) => a.id)]
      : [...audit.auditees.map((a) => a.id), ...qms];
  const recipients = [...new Set(to.filter((id): id is string => Boolean(id) && id !== ctx.actor.id))];
  const text =
    what === "scheduled"
      ? `${ctx.actor.name} scheduled internal audit ${audit.ref} of ${audit.process} on ${formatDate(audit.scheduledFor as Date)}; ${audit.leadAuditor?.name} leads it.`
      : `${ctx.actor.name} issued the report of internal audit ${audit.ref} (${audit.process}) with ${audit.findings.length} finding${audit.findings.length === 1 ? "" : "s"}.`;
  await enqueueDeliveries(
    recipients.map((recipientId) => ({
      workspaceId: ctx.workspaceId,
      occasion: `audit:${audit.ref}:${what}:${audit.seq}`,
      recipientId,
      notBefore: ctx.now,
      workingHoursOnly: false,
      content: { title: `${audit.ref} · ${audit.process}`, text, lines: auditLines(audit) },
    })),
    ctx.now,
  );
}

export function auditLines(a: InternalAudit): string[] {
  return [
    `Process: ${a.process}`,
    `Date: ${a.scheduledFor ? formatDate(a.scheduledFor) : "—"}`,
    `Clauses: ${a.clauses.join(", ") || "—"}`,
    `Lead auditor: ${a.leadAuditor?.name ?? "not assigned"}`,
    `Auditees: ${a.auditees.map((p) => p.name).join(", ") || "—"}`,
    `State: ${words(a.state)} — by ${a.stateChangedBy.name}, ${formatWhen(a.stateChangedAt)}`,
    ...a.checklist.map((q, i) => `Checklist ${i + 1}: ${q}`),
    ...a.findings.map(
      (f) =>
        `Finding ${f.id}: ${FINDING_NAMES[f.type]}, clause ${f.clause}: ${f.evidence}${f.actionRef ? ` → ${f.actionRef}` : ""}`,
    ),
  ];
}

export function auditButtons(a: InternalAudit): MessageButton[] {
  const value = a.ref ?? "";
  if (a.state === "scheduled") return [{ actionId: RECORD_ACTIONS.auditStart, text: "Start audit", value }];
  if (a.state === "in_progress")
    return [{ actionId: RECORD_ACTIONS.auditReport, text: "Issue report", value, style: "primary" }];
  if (a.state === "reported")
    return [{ actionId: RECORD_ACTIONS.auditClose, text: "Close audit", value, style: "primary" }];
  return [];
}

export function auditReply(a: InternalAudit, lead: string, history: HistoryEvent[] = []): CalendarReply {
  return {
    text: lead,
    title: `${a.ref} · ${a.process}`,
    lines: [...auditLines(a), ...(history.length ? ["History:", ...historyLines(history)] : [])],
    buttons: auditButtons(a),
  };
}

/** One audit in a list, plain text. */
export const auditLine = (a: InternalAudit, now: Date) =>
  `${a.ref} · ${words(a.state)} · ${a.scheduledFor ? formatDate(a.scheduledFor) : "no date"}${a.scheduledFor && a.scheduledFor < now && !["reported", "closed"].includes(a.state) ? " ⚠️ late" : ""} · ${a.process} · ${a.leadAuditor?.name ?? "no auditor yet"}`;

export function auditHelp(d: Dialect): string[] {
  return [
    `${d.audit} — schedule an internal audit (a form) (QM)`,
    `${d.audit} list [planned|due|mine|all] — the audits`,
    `${d.audit} AUD-2026-0003 — one audit with its findings and history`,
    `${d.audit} AUD-2026-0003 schedule @auditor YYYY-MM-DD [@auditee …] — staff a planned audit (QM)`,
    `${d.audit} AUD-2026-0003 start | report | close — the lead auditor starts and reports; a QM closes`,
    `${d.audit} AUD-2026-0003 finding major|minor|observation|opportunity CLAUSE evidence — record a finding (a nonconformity raises a corrective action)`,
    `${d.audit} programme [YEAR] — planned versus done per process, and what is late`,
    `${d.audit} programme set PROCESS TIMES_PER_YEAR [@owner] — how often a process is audited (QM)`,
    `${d.audit} programme generate [YEAR] — create the year's planned audits (QM)`,
  ];
}

export async function auditCommand(
  ctx: CommandContext,
  args: string[],
  person: PersonResolver,
  d: Dialect,
): Promise<CalendarReply> {
  const [first = "", second, ...rest] = args;
  const word = first.toLowerCase();
  if (!first) return { text: "Schedule an internal audit", form: "audit" };
  if (word === "help") return { text: "Internal audits", title: "Internal audits", lines: auditHelp(d) };
  if (word === "list") {
    const filter = (second ?? "planned").toLowerCase() as AuditFilter;
    if (!AUDIT_FILTERS.includes(filter))
      throw new QopsError(
        "invalid_input",
        `Unknown list "${filter.slice(0, 20)}". Try ${d.audit} list planned, due, mine or all.`,
      );
    const audits = await listAudits(ctx, filter);
    return {
      text: `${audits.length} audit${audits.length === 1 ? "" : "s"} (${filter})`,
      title: `Internal audits — ${filter}`,
      lines: audits.length ? audits.map((a) => auditLine(a, ctx.now)) : ["No audits match."],
    };
  }
  if (word === "programme" || word === "program")
    return programmeCommand(ctx, [second ?? "", ...rest].filter(Boolean), person, d);
  if (!isAuditRef(first))
    throw new QopsError(
      "invalid_input",
      `"${first.slice(0, 30)}" is not an audit reference or sub-command. ${d.audit} help lists them.`,
    );
  const ref = first.toUpperCase();
  const verb = (second ?? "").toLowerCase();
  if (!verb) {
    const audit = await loadByRef<InternalAudit & { owner: PersonRef | null }>(ctx, "audit", ref);
    return auditReply(audit, `${audit.ref} is ${words(audit.state)}`, await recordHistory(audit._id));
  }
  if (verb === "start") {
    const { record } = await startAudit(ctx, ref);
    return auditReply(
      record,
      `✅ ${ref} started by ${ctx.actor.name}. Record findings with ${d.audit} ${ref} finding …`,
    );
  }
  if (verb === "report") {
    const { record } = await issueReport(ctx, ref);
    await announceAudit(ctx, record, "reported");
    return auditReply(
      record,
      `✅ ${ref} reported by ${ctx.actor.name} with ${record.findings.length} finding${record.findings.length === 1 ? "" : "s"}.`,
    );
  }
  if (verb === "close") {
    const { record } = await closeAudit(ctx, ref);
    return auditReply(record, `✅ ${ref} closed by ${ctx.actor.name}.`);
  }
  if (verb === "finding") {
    const [type, clause, ...evidence] = rest;
    const { audit, finding, action } = await recordFinding(ctx, ref, {
      type,
      clause,
      evidence: evidence.join(" "),
    });
    return auditReply(
      audit,
      `✅ Finding ${finding.id} (${FINDING_NAMES[finding.type]}, clause ${finding.clause}) recorded in ${ref} by ${ctx.actor.name}.${action ? ` Corrective action ${action.ref} was raised for ${action.owner.name}, due ${formatDate(action.dueAt)}.` : ""}`,
    );
  }
  if (verb === "schedule") {
    const lead = await person(rest[0]);
    const date = rest.find(isDate) ?? "";
    const auditees: PersonRef[] = [];
    for (const w of rest.slice(1)) {
      if (isDate(w)) continue;
      const p = await person(w);
      if (p) auditees.push(p);
    }
    const { record } = await assignAudit(ctx, ref, { leadAuditor: lead, auditees }, date);
    await announceAudit(ctx, record, "scheduled");
    return auditReply(
      record,
      `✅ ${ref} scheduled by ${ctx.actor.name} for ${formatDate(record.scheduledFor as Date)} with ${record.leadAuditor?.name} as lead auditor.`,
    );
  }
  throw new QopsError(
    "invalid_input",
    `Unknown audit sub-command "${verb.slice(0, 20)}". ${d.audit} help lists them.`,
  );
}

async function programmeCommand(
  ctx: CommandContext,
  args: string[],
  person: PersonResolver,
  d: Dialect,
): Promise<CalendarReply> {
  const [first = "", ...rest] = args;
  const thisYear = ctx.now.getUTCFullYear();
  if (first.toLowerCase() === "set") {
    const mention = rest.length ? await person(rest[rest.length - 1]) : null;
    const words_ = mention ? rest.slice(0, -1) : rest;
    const times = words_.length ? Number(words_[words_.length - 1]) : Number.NaN;
    const process = words_.slice(0, -1).join(" ").replace(/^"|"$/g, "");
    if (!process || !Number.isInteger(times))
      throw new QopsError(
        "invalid_input",
        `Use ${d.audit} programme set PROCESS TIMES_PER_YEAR [@owner], e.g. ${d.audit} programme set Purchasing 2 @Omar.`,
      );
    const workspace = await setProgrammeEntry(ctx, process, times, mention);
    return {
      text:
        times === 0
          ? `✅ ${process} is out of the audit programme (changed by ${ctx.actor.name}).`
          : `✅ ${process} is audited ${times === 1 ? "once" : `${times} times`} a year (set by ${ctx.actor.name}).`,
      title: "Audit programme",
      lines: workspace.auditProgramme.map(
        (p) => `${p.process}: ${p.perYear}× a year${p.owner ? `, owner ${p.owner.name}` : ""}`,
      ),
    };
  }
  if (first.toLowerCase() === "generate") {
    const year = rest[0] ? Number(rest[0]) : thisYear;
    const { created, existing } = await generateProgramme(ctx, year);
    return {
      text: `✅ ${created.length} planned audit${created.length === 1 ? "" : "s"} created for ${year} by ${ctx.actor.name}${existing ? ` (${existing} already existed)` : ""}. Staff each with ${d.audit} AUD-… schedule @auditor DATE.`,
      title: `Audit programme ${year}`,
      lines: created.map((a) => `${a.ref} · ${a.process} · planned ${formatDate(a.scheduledFor as Date)}`),
    };
  }
  const year = first ? Number(first) : thisYear;
  if (!Number.isInteger(year))
    throw new QopsError(
      "invalid_input",
      `Use ${d.audit} programme [YEAR], ${d.audit} programme set … or ${d.audit} programme generate [YEAR].`,
    );
  const status = await programmeStatus(ctx, year);
  const planned = status.rows.reduce((n, r) => n + r.planned, 0);
  const done = status.rows.reduce((n, r) => n + r.done, 0);
  const late = status.rows.flatMap((r) => r.late);
  return {
    text: `Audit programme ${year}: ${done} of ${planned} audits done${late.length ? `, ${late.length} late` : ""}.`,
    title: `Audit programme ${year}`,
    lines: status.rows.length
      ? status.rows.map(
          (r) =>
            `${r.process}: ${r.done} of ${r.planned} done (${r.perYear}× a year${r.owner ? `, owner ${r.owner.name}` : ""})${r.late.length ? ` — late: ${r.late.map((a) => a.ref).join(", ")}` : ""}${r.next ? ` — next ${r.next.ref} on ${formatDate(r.next.scheduledFor as Date)}` : ""}`,
        )
      : [
          `The programme is empty. Add processes with ${d.audit} programme set PROCESS TIMES_PER_YEAR [@owner].`,
        ],
  };
}

// ---------------------------------------------------------------- management reviews

export function reviewButtons(r: ManagementReview): MessageButton[] {
  return r.state === "held"
    ? [
        {
          actionId: RECORD_ACTIONS.reviewApproveMinutes,
          text: "Approve minutes",
          value: r.ref ?? "",
          style: "primary",
        },
      ]
    : [];
}

function reviewLines(r: ManagementReview): string[] {
  return [
    `Date: ${formatDate(r.scheduledFor)}`,
    `Attendees: ${r.attendees.map((a) => a.name).join(", ")}`,
    `State: ${words(r.state)} — by ${r.stateChangedBy.name}, ${formatWhen(r.stateChangedAt)}`,
    ...(r.minutes ? [`Minutes: ${r.minutes}`] : []),
    ...r.decisions.map(
      (dec, i) => `Decision ${i + 1}: ${dec.text}${dec.actionRef ? ` → ${dec.actionRef}` : ""}`,
    ),
    ...(r.minutesApprovedBy ? [`Minutes approved by ${r.minutesApprovedBy.name}`] : []),
  ];
}

const pct = (share: number | null) => (share === null ? "—" : `${Math.round(share * 100)}%`);
const trendWord = (n: number) => (n > 0 ? `↑ ${n} more` : n < 0 ? `↓ ${-n} fewer` : "→ the same");

/** The pack as lines, one section per ISO 9001 9.3.2 input. */
export async function packLines(
  ctx: CommandContext,
  ref: string,
): Promise<{ review: ManagementReview; lines: string[] }> {
  const p = await reviewPack(ctx, ref);
  const c = p.complaints;
  return {
    review: p.review,
    lines: [
      `Period: ${formatDate(p.periodStart)} – ${formatDate(p.periodEnd)}`,
      `a) Actions from previous reviews: ${p.previousActions.length ? p.previousActions.map((a) => `${a.text} (${a.actionRef ?? "no action"}: ${words(a.state)})`).join("; ") : "none"}`,
      `c1) Complaints: ${c.total} (critical ${c.bySeverity.critical}, high ${c.bySeverity.high}, medium ${c.bySeverity.medium}, low ${c.bySeverity.low}); previous period ${c.previousTotal} (${trendWord(c.trend)}); overdue now ${c.overdueNow}`,
      `c2) Quality objectives: ${p.objectives.length ? p.objectives.map((o) => `${o.name} ${o.latest === null ? "no value" : withUnit(o.latest, o.unit)} vs ${withUnit(o.target, o.unit)} (${o.met === null ? "not measured" : o.met ? "met" : "not met"})`).join("; ") : "none set"}`,
      `c4) Nonconformities and corrective actions: ${p.actions.nonconformities} audit nonconformities; ${p.actions.raised} actions raised, ${p.actions.open} open, ${p.actions.overdue} overdue, ${p.actions.verifiedEffective} verified effective (${pct(p.actions.effectiveShare)})`,
      `c6) Audit results: ${p.audits.done} of ${p.audits.planned} planned audits done; findings: major ${p.audits.findings.major_nc}, minor ${p.audits.findings.minor_nc}, observations ${p.audits.findings.observation}, opportunities ${p.audits.findings.opportunity}`,
      `f) Improvement ideas: ${p.ideas.submitted} submitted, ${p.ideas.approved} approved, ${p.ideas.implemented} implemented`,
      `5.2) Quality policy: ${p.policy ? `${p.policy.ref} acknowledged by ${p.policy.acknowledged} of ${p.policy.members} members (${pct(p.policy.rate)})` : "not published"}`,
      ...p.toFillIn.map(
        (i) => `${i.title}: ${i.text ?? `to be filled in (review ${p.review.ref} input ${i.key} …)`}`,
      ),
    ],
  };
}

export function reviewHelp(d: Dialect): string[] {
  return [
    `${d.review} schedule [YYYY-MM-DD] [@attendee …] — schedule a management review with top management (QM; default: 12 months after the last one, all of top management)`,
    `${d.review} list [all] — upcoming (or all) reviews`,
    `${d.review} MR-2026-0001 — one review with its history; ${d.review} MR-2026-0001 pack — the review pack`,
    `${d.review} MR-2026-0001 input ${Object.keys(MANUAL_INPUTS).join("|")} TEXT — fill in what QOps cannot know (QM)`,
    `${d.review} MR-2026-0001 minutes TEXT — after the meeting (QM)`,
    `${d.review} MR-2026-0001 decide @owner YYYY-MM-DD DECISION — a decision becomes an action (QM)`,
    `${d.review} MR-2026-0001 approve — top management approves the minutes; the next review is scheduled`,
  ];
}

export async function reviewCommand(
  ctx: CommandContext,
  args: string[],
  person: PersonResolver,
  d: Dialect,
): Promise<CalendarReply> {
  const [first = "", second, ...rest] = args;
  const word = first.toLowerCase();
  if (!first || word === "help")
    return { text: "Management reviews", title: "Management reviews", lines: reviewHelp(d) };
  if (word === "list") {
    const reviews = await listReviews(ctx, (second ?? "").toLowerCase() === "all");
    return {
      text: `${reviews.length} management reviews`,
      title: "Management reviews",
      lines: reviews.length
        ? reviews.map(
            (r) =>
              `${r.ref} · ${formatDate(r.scheduledFor)} · ${words(r.state)} · ${r.attendees.map((a) => a.name).join(", ")}`,
          )
        : ["None scheduled."],
    };
  }
  if (word === "schedule") {
    const all = [second, ...rest].filter((w): w is string => Boolean(w));
    let date = all.find(isDate);
    if (!date) {
      const last = (await listReviews(ctx, true)).at(-1);
      if (!last)
        throw new QopsError(
          "invalid_input",
          `Give the date of the first review: ${d.review} schedule YYYY-MM-DD.`,
        );
      const next = new Date(last.scheduledFor);
      next.setUTCFullYear(next.getUTCFullYear() + 1);
      date = formatISO(next, { representation: "date" });
    }
    const attendees: PersonRef[] = [];
    for (const w of all.filter((x) => !isDate(x))) {
      const p = await person(w);
      if (!p)
        throw new QopsError(
          "invalid_input",
          `"${w.slice(0, 30)}" is not a person; mention attendees with @.`,
        );
      attendees.push(p);
    }
    const { review, created } = await scheduleReview(ctx, date, attendees);
    return {
      text: created
        ? `✅ Management review ${review.ref} scheduled by ${ctx.actor.name} for ${formatDate(review.scheduledFor)}.`
        : `That review was already scheduled: ${review.ref}.`,
      title: `${review.ref}`,
      lines: reviewLines(review),
    };
  }
  if (!isReviewRef(first))
    throw new QopsError(
      "invalid_input",
      `"${first.slice(0, 30)}" is not a review reference or sub-command. ${d.review} help lists them.`,
    );
  const ref = first.toUpperCase();
  const verb = (second ?? "").toLowerCase();
  if (!verb) {
    const review = await loadByRef<ManagementReview & { owner: PersonRef | null }>(ctx, "review", ref);
    return {
      text: `${ref} is ${words(review.state)}`,
      title: ref,
      lines: [...reviewLines(review), "History:", ...historyLines(await recordHistory(review._id))],
      buttons: reviewButtons(review),
    };
  }
  if (verb === "pack") {
    const { review, lines } = await packLines(ctx, ref);
    return {
      text: `Review pack for ${ref} (${formatDate(review.scheduledFor)})`,
      title: `Review pack ${ref}`,
      lines,
    };
  }
  if (verb === "input") {
    const [key, ...text] = rest;
    const { record } = await setReviewInput(ctx, ref, key ?? "", text.join(" "));
    return {
      text: `✅ ${MANUAL_INPUTS[(key ?? "").toLowerCase()]} filled in for ${ref} by ${ctx.actor.name}.`,
      title: ref,
      lines: reviewLines(record),
    };
  }
  if (verb === "minutes") {
    const { record } = await recordMinutes(ctx, ref, rest.join(" "));
    return {
      text: `✅ Minutes of ${ref} recorded by ${ctx.actor.name}; it is held. Add decisions with ${d.review} ${ref} decide …, then top management approves.`,
      title: ref,
      lines: reviewLines(record),
      buttons: reviewButtons(record),
    };
  }
  if (verb === "decide") {
    const owner = await person(rest[0]);
    const due = rest[1] ?? "";
    if (!isDate(due))
      throw new QopsError("invalid_input", `Use ${d.review} ${ref} decide @owner YYYY-MM-DD DECISION.`);
    const { review, action } = await recordDecision(ctx, ref, {
      text: rest.slice(2).join(" "),
      owner,
      dueDate: due,
    });
    return {
      text: `✅ Decision recorded in ${ref} by ${ctx.actor.name}; action ${action.ref} for ${action.owner.name}, due ${formatDate(action.dueAt)}.`,
      title: ref,
      lines: reviewLines(review),
      buttons: reviewButtons(review),
    };
  }
  if (verb === "approve") {
    const { review, next } = await approveMinutes(ctx, ref);
    return {
      text: `✅ Minutes of ${ref} approved by ${ctx.actor.name}. The next review, ${next.ref}, is scheduled for ${formatDate(next.scheduledFor)}.`,
      title: ref,
      lines: reviewLines(review),
    };
  }
  throw new QopsError(
    "invalid_input",
    `Unknown review sub-command "${verb.slice(0, 20)}". ${d.review} help lists them.`,
  );
}

// ---------------------------------------------------------------- documents and objectives

const docLine = (doc: ControlledDocument, now: Date) =>
  `${doc.ref} · ${doc.documentType} · ${doc.title} · v${doc.version} · ${words(doc.state)} · owner ${doc.owner.name} ${doc.lastReviewedAt ? ` · reviewed ${formatDate(doc.lastReviewedAt)}` : ""} · review ${doc.nextReviewAt ? formatDate(doc.nextReviewAt) : "—"}${doc.nextReviewAt && doc.nextReviewAt <= now ? " ⚠️ due" : ""}${doc.link ? ` · ${doc.link}` : ""}`;

export async function docsCommand(
  ctx: CommandContext,
  args: string[],
  person: PersonResolver,
  d: Dialect,
): Promise<CalendarReply> {
  const [first = "", second, ...rest] = args;
  const usage = [
    `${d.qms} docs — the register of controlled documents (ISO 9001 7.5)`,
    `${d.qms} docs add manual|procedure VERSION REVIEW_MONTHS @owner LINK TITLE — register one (QM)`,
    `${d.qms} docs DOC-2026-0001 — one document with its history`,
    `${d.qms} docs DOC-2026-0001 reviewed — reviewed, no change (owner)`,
    `${d.qms} docs DOC-2026-0001 version LINK — a new version (owner); ${d.qms} docs DOC-2026-0001 approve (QM)`,
  ];
  if (!first) {
    const docs = await listDocuments(ctx);
    return {
      text: `${docs.length} controlled documents`,
      title: "Controlled documents",
      lines: docs.length ? docs.map((doc) => docLine(doc, ctx.now)) : ["None registered yet.", ...usage],
    };
  }
  if (first.toLowerCase() === "help")
    return { text: "Controlled documents", title: "Controlled documents", lines: usage };
  if (first.toLowerCase() === "add") {
    const [version, months, ownerWord, link, ...title] = rest;
    const owner = await person(ownerWord);
    const { record, created } = await addDocument(
      ctx,
      { documentType: second, version, reviewIntervalMonths: months, link, title: title.join(" ") },
      owner,
    );
    return {
      text: created
        ? `✅ ${record.ref} "${record.title}" v${record.version} registered and approved by ${ctx.actor.name}; ${record.owner.name} reviews it by ${formatDate(record.nextReviewAt as Date)}.`
        : `Already registered as ${record.ref}.`,
      title: record.ref ?? "",
      lines: [docLine(record, ctx.now)],
    };
  }
  if (!/^DOC-\d{4}-\d{4,}$/i.test(first))
    throw new QopsError(
      "invalid_input",
      `"${first.slice(0, 30)}" is not a document reference. ${d.qms} docs help lists the commands.`,
    );
  const ref = first.toUpperCase();
  const verb = (second ?? "").toLowerCase();
  const reply = (doc: ControlledDocument, text: string, history: HistoryEvent[] = []): CalendarReply => ({
    text,
    title: `${doc.ref} · ${doc.title}`,
    lines: [docLine(doc, ctx.now), ...(history.length ? ["History:", ...historyLines(history)] : [])],
    buttons:
      doc.state === "published"
        ? [{ actionId: RECORD_ACTIONS.documentReviewed, text: "Reviewed, no change", value: doc.ref ?? "" }]
        : [],
  });
  if (!verb) {
    const doc = await loadByRef<ControlledDocument & { owner: PersonRef }>(ctx, "document", ref);
    return reply(doc, `${ref} v${doc.version} is ${words(doc.state)}`, await recordHistory(doc._id));
  }
  if (verb === "reviewed") {
    const { record } = await reviewedNoChange(ctx, ref);
    return reply(
      record,
      `✅ ${ref} reviewed with no change by ${ctx.actor.name}; next review ${formatDate(record.nextReviewAt as Date)}.`,
    );
  }
  if (verb === "version") {
    const { record } = await proposeVersion(ctx, ref, rest[0]);
    return reply(
      record,
      `📝 ${ref} v${record.version} proposed by ${ctx.actor.name}; a quality manager approves it with ${d.qms} docs ${ref} approve.`,
    );
  }
  if (verb === "approve") {
    const { record } = await approveVersion(ctx, ref);
    return reply(record, `✅ ${ref} v${record.version} approved by ${ctx.actor.name}.`);
  }
  throw new QopsError(
    "invalid_input",
    `Unknown docs sub-command "${verb.slice(0, 20)}". ${d.qms} docs help lists them.`,
  );
}

export function objectiveLine(o: QualityObjective): string {
  const s = objectiveStanding(o);
  const target = `${o.direction === "at_least" ? "≥" : "≤"} ${withUnit(o.target, o.unit)}`;
  const trend = s.trend === null ? "" : s.trend > 0 ? " ↑" : s.trend < 0 ? " ↓" : " →";
  return `${o.ref} · ${o.name}: ${s.latest === null ? "no value yet" : `${withUnit(s.latest, o.unit)} (${s.period})${trend}`} · target ${target} · ${s.met === null ? "not measured" : s.met ? "✅ on target" : "⚠️ off target"} · ${o.frequency} · owner ${o.owner.name}`;
}

export async function objectivesCommand(
  ctx: CommandContext,
  args: string[],
  person: PersonResolver,
  d: Dialect,
): Promise<CalendarReply> {
  const [first = "", second, ...rest] = args;
  const usage = [
    `${d.qms} objectives — quality objectives with their latest value, target and trend (ISO 9001 6.2)`,
    `${d.qms} objectives add at_least|at_most TARGET UNIT monthly|quarterly @owner NAME — set one (QM), e.g. add at_least 98 % monthly @Omar On-time delivery`,
    `${d.qms} objectives OBJ-2026-0001 record VALUE [PERIOD] — the owner records a value (PERIOD like 2026-11 or 2026-Q4; default the last period)`,
  ];
  if (!first) {
    const objectives = await listObjectives(ctx);
    return {
      text: `${objectives.length} quality objectives`,
      title: "Quality objectives",
      lines: objectives.length ? objectives.map(objectiveLine) : ["None set yet.", ...usage],
    };
  }
  if (first.toLowerCase() === "help")
    return { text: "Quality objectives", title: "Quality objectives", lines: usage };
  if (first.toLowerCase() === "add") {
    const [target, unit, frequency, ownerWord, ...name] = rest;
    const owner = await person(ownerWord);
    const { objective, created } = await addObjective(
      ctx,
      { direction: second, target, unit: unit === "-" ? "" : unit, frequency, name: name.join(" ") },
      owner,
    );
    return {
      text: created
        ? `✅ Objective ${objective.ref} set by ${ctx.actor.name}; ${objective.owner.name} will be asked for its value each ${objective.frequency === "monthly" ? "month" : "quarter"}.`
        : `Already set as ${objective.ref}.`,
      title: objective.ref ?? "",
      lines: [objectiveLine(objective)],
    };
  }
  if (!/^OBJ-\d{4}-\d{4,}$/i.test(first))
    throw new QopsError(
      "invalid_input",
      `"${first.slice(0, 30)}" is not an objective reference. ${d.qms} objectives help lists the commands.`,
    );
  const ref = first.toUpperCase();
  if ((second ?? "").toLowerCase() === "record") {
    const { record } = await recordReading(ctx, ref, rest[0], rest[1]);
    const s = objectiveStanding(record);
    return {
      text: `✅ ${record.name}: ${withUnit(s.latest ?? "", record.unit)} recorded for ${s.period} by ${ctx.actor.name} — ${s.met ? "on target" : "off target"}.`,
      title: ref,
      lines: [objectiveLine(record)],
    };
  }
  const objective = await loadByRef<QualityObjective & { owner: PersonRef }>(ctx, "objective", ref);
  const isOwner = objective.owner.id === ctx.actor.id || (await hasRole(ctx, "qm"));
  return {
    text: objectiveLine(objective),
    title: `${ref} · ${objective.name}`,
    lines: [
      ...objective.readings.map((r) => `${r.period}: ${withUnit(r.value, objective.unit)}`),
      "History:",
      ...historyLines(await recordHistory(objective._id)),
    ],
    buttons: isOwner ? [{ actionId: RECORD_ACTIONS.objectiveRecord, text: "Record value", value: ref }] : [],
  };
}
