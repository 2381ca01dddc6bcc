import { QopsError } from "../../errors.js";
import { fields, heading, list, message, paragraph } from "../../views/build.js";
import { at, cmd, day, join, person, type Rich, rich } from "../../views/rich.js";
import type { FieldView, MessageView } from "../../views/types.js";
import { inputText } from "../common.js";
import type { Action } from "../kind.js";
import type { AnySpec, TransitionSpec } from "../lifecycle.js";
import type { Workspace } from "../workspace/model.js";
import {
  announceNotices,
  close,
  FINDING_NAMES,
  finding,
  leadAuditorOnly,
  leadOrNamedQm,
  schedule,
  start,
} from "./lifecycle.js";
import {
  CHECK_ANSWERS,
  type CheckAnswer,
  type ChecklistAnswer,
  CONCLUSIONS,
  type Conclusion,
  type InternalAudit,
} from "./model.js";
import { auditDay } from "./programme.js";

/**
 * The audit report as ISO 19011 (6.5) has it: scope, criteria, the checklist with an answer and
 * evidence per question, findings, strengths and opportunities, and a conclusion on the
 * effectiveness of the process audited. The lead auditor fills it in while the audit is in
 * progress (typed, or on the form the "Issue report" button asks for what is missing); issuing
 * freezes it in the audit's history.
 */

export const ANSWER_WORDS: Record<CheckAnswer, string> = {
  conforming: "conforming",
  finding: "finding",
  not_applicable: "not applicable",
};
const ANSWER_ALIASES: Record<string, CheckAnswer> = {
  conforming: "conforming",
  ok: "conforming",
  yes: "conforming",
  finding: "finding",
  nc: "finding",
  na: "not_applicable",
  "n/a": "not_applicable",
  not_applicable: "not_applicable",
};
export const CONCLUSION_WORDS: Record<Conclusion, string> = {
  effective: "effective",
  partly_effective: "partly effective",
  not_effective: "not effective",
};
const CONCLUSION_ALIASES: Record<string, Conclusion> = {
  effective: "effective",
  partly: "partly_effective",
  partly_effective: "partly_effective",
  not: "not_effective",
  not_effective: "not_effective",
  ineffective: "not_effective",
};

const checkAnswer = (text: string | undefined) => ANSWER_ALIASES[(text ?? "").trim().toLowerCase()] ?? null;
const conclusionOf = (text: string | undefined) =>
  CONCLUSION_ALIASES[(text ?? "").trim().toLowerCase()] ?? null;

const answersOf = (a: InternalAudit) => a.answers ?? [];
const unanswered = (a: InternalAudit) =>
  a.checklist.map((_q, i) => i + 1).filter((n) => !answersOf(a).some((x) => x.question === n));

/** The criteria the report names when the auditor gave none. */
export const defaultCriteria = (a: InternalAudit) =>
  `ISO 9001:2015${a.clauses.length ? ` clauses ${a.clauses.join(", ")}` : ""} and the documented information of ${a.process}`;

function text(inputs: Action["inputs"], name: string, min: number, max: number, what: string): string {
  const value = (inputText(inputs, name) ?? "").trim();
  if (value.length < min || value.length > max)
    throw new QopsError(
      "invalid_input",
      `${what} (${min} to ${max.toLocaleString("en")} characters). Nothing was recorded.`,
      { fieldErrors: { [name]: `${min} to ${max.toLocaleString("en")} characters.` } },
    );
  return value;
}

type Spec<P> = TransitionSpec<InternalAudit, P>;

const filling = {
  from: ["in_progress"],
  who: leadAuditorOnly,
  shows: () => false,
} as const;

/** `audit AUD-… check N conforming|finding|na EVIDENCE`: one checklist question answered (again). */
export const answerCheck: Spec<ChecklistAnswer> = {
  ...filling,
  id: "check",
  event: "checklist_answered",
  label: "Answer checklist",
  done: "given a checklist answer",
  action: "answer the checklist (start the audit first)",
  parse: (inputs, a) => {
    const n = Number(inputText(inputs, "question"));
    if (!Number.isInteger(n) || n < 1 || n > a.checklist.length)
      throw new QopsError(
        "invalid_input",
        a.checklist.length
          ? `Give the question's number, 1 to ${a.checklist.length}. Nothing was recorded.`
          : `${a.ref} has no checklist questions. Nothing was recorded.`,
      );
    const answer = checkAnswer(inputText(inputs, "answer"));
    if (!answer)
      throw new QopsError(
        "invalid_input",
        "Answer conforming, finding or na (not applicable). Nothing was recorded.",
      );
    const evidence =
      answer === "not_applicable"
        ? (inputText(inputs, "evidence") ?? "").trim().slice(0, 2000)
        : text(inputs, "evidence", 3, 2000, "Describe the evidence seen");
    return { question: n, answer, evidence };
  },
  apply: (a, p) => ({
    answers: [...answersOf(a).filter((x) => x.question !== p.question), p].sort(
      (x, y) => x.question - y.question,
    ),
  }),
  reason: (p) => `question ${p.question}: ${ANSWER_WORDS[p.answer]}`,
};

/** `audit AUD-… criteria TEXT`: what the audit measured against. */
export const setCriteria: Spec<{ criteria: string }> = {
  ...filling,
  id: "criteria",
  event: "criteria_set",
  label: "Audit criteria",
  done: "given its criteria",
  action: "set the audit criteria (start the audit first)",
  parse: (inputs) => ({ criteria: text(inputs, "criteria", 3, 1000, "Name the audit criteria") }),
  apply: (_a, p) => ({ criteria: p.criteria }),
};

/** `audit AUD-… strength TEXT`: a strength worth keeping. */
export const addStrength: Spec<{ strength: string }> = {
  ...filling,
  id: "strength",
  event: "strength_recorded",
  label: "Record strength",
  done: "given a strength",
  action: "record strengths (start the audit first)",
  parse: (inputs) => ({ strength: text(inputs, "strength", 3, 1000, "Describe the strength") }),
  apply: (a, p) => ({ strengths: [...(a.strengths ?? []), p.strength] }),
};

/** `audit AUD-… conclusion effective|partly|not TEXT`: the process's effectiveness, in the auditor's words. */
export const conclude: Spec<{ verdict: Conclusion; text: string }> = {
  ...filling,
  id: "conclusion",
  event: "conclusion_recorded",
  label: "Conclusion",
  done: "given its conclusion",
  action: "write the conclusion (start the audit first)",
  parse: (inputs) => {
    const verdict = conclusionOf(inputText(inputs, "conclusion"));
    if (!verdict)
      throw new QopsError(
        "invalid_input",
        "Conclude whether the process is effective, partly (effective) or not (effective). Nothing was recorded.",
        { fieldErrors: { conclusion: "Effective, partly effective or not effective." } },
      );
    return { verdict, text: text(inputs, "conclusionText", 3, 2000, "Explain the conclusion") };
  },
  apply: (_a, p) => ({ conclusion: p }),
};

/** The typed words that fill in the report, and what each records. */
export const REPORT_PARTS: Record<string, AnySpec<InternalAudit>> = {
  check: answerCheck,
  criteria: setCriteria,
  strength: addStrength,
  conclusion: conclude,
};

/** What the "Issue report" form asks for: only what is still missing, so a complete report issues at once. */
function reportFields(a: InternalAudit): FieldView[] {
  const open = unanswered(a);
  if (!open.length && a.conclusion) return [];
  return [
    ...open.flatMap((n): FieldView[] => [
      {
        type: "choice",
        id: `q${n}`,
        label: `${n}. ${a.checklist[n - 1] ?? ""}`.slice(0, 150),
        radio: true,
        options: CHECK_ANSWERS.map((v) => ({ value: v, label: ANSWER_WORDS[v] })),
      },
      {
        type: "text",
        id: `q${n}evidence`,
        label: `Evidence for ${n}`,
        max: 2000,
        multiline: true,
        optional: true,
      },
    ]),
    ...(a.conclusion
      ? []
      : [
          {
            type: "choice" as const,
            id: "conclusion",
            label: `Is ${a.process} effective?`.slice(0, 150),
            radio: true,
            options: CONCLUSIONS.map((v) => ({ value: v, label: CONCLUSION_WORDS[v] })),
          },
          {
            type: "text" as const,
            id: "conclusionText",
            label: "Conclusion",
            max: 2000,
            multiline: true,
          },
        ]),
    {
      type: "text",
      id: "criteria",
      label: "Audit criteria",
      max: 1000,
      optional: true,
      placeholder: (a.criteria || defaultCriteria(a)).slice(0, 150),
    },
    {
      type: "text",
      id: "strengths",
      label: "Strengths (one per line)",
      max: 3000,
      multiline: true,
      optional: true,
    },
  ];
}

type ReportParts = Pick<InternalAudit, "answers" | "criteria" | "strengths" | "conclusion">;

/** The form's answers merged into what was typed before; every missing or bad part is named at once. */
function parseReport(inputs: Action["inputs"], a: InternalAudit): ReportParts {
  const errors: Record<string, string> = {};
  const answers = [...answersOf(a)];
  for (const n of unanswered(a)) {
    const answer = checkAnswer(inputText(inputs, `q${n}`));
    const evidence = (inputText(inputs, `q${n}evidence`) ?? "").trim();
    if (!answer) errors[`q${n}`] = "Answer this question.";
    else if (answer !== "not_applicable" && evidence.length < 3)
      errors[`q${n}evidence`] = "Describe the evidence seen (at least 3 characters).";
    else answers.push({ question: n, answer, evidence: evidence.slice(0, 2000) });
  }
  let conclusion = a.conclusion ?? null;
  if (!conclusion) {
    const verdict = conclusionOf(inputText(inputs, "conclusion"));
    const why = (inputText(inputs, "conclusionText") ?? "").trim();
    if (!verdict) errors.conclusion = "Is the process effective, partly effective or not effective?";
    if (why.length < 3) errors.conclusionText = "Explain the conclusion (at least 3 characters).";
    if (verdict && why.length >= 3) conclusion = { verdict, text: why.slice(0, 2000) };
  }
  if (Object.keys(errors).length)
    throw new QopsError(
      "invalid_input",
      `The report of ${a.ref} is not complete: ${missingSentence(a)}. Nothing was issued.`,
      { fieldErrors: errors },
    );
  const criteria = (inputText(inputs, "criteria") ?? "").trim().slice(0, 1000);
  const strengths = (inputText(inputs, "strengths") ?? "")
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    answers: answers.sort((x, y) => x.question - y.question),
    criteria: criteria || a.criteria || defaultCriteria(a),
    strengths: [...(a.strengths ?? []), ...strengths],
    conclusion,
  };
}

function missingSentence(a: InternalAudit): string {
  const open = unanswered(a);
  const parts = [
    ...(open.length
      ? [`checklist question${open.length === 1 ? "" : "s"} ${open.join(", ")} unanswered`]
      : []),
    ...(a.conclusion ? [] : ["no conclusion on the process's effectiveness"]),
  ];
  return parts.join(" and ");
}

/** The lead auditor (or a QM) issues the report; it is complete or it is not issued. */
export const report: Spec<ReportParts> = {
  id: "report",
  event: "reported",
  from: ["in_progress"],
  to: "reported",
  who: leadOrNamedQm,
  label: "Issue report",
  style: "primary",
  done: "reported",
  action: "issue the audit report",
  input: reportFields,
  parse: (inputs, a) => parseReport(inputs, a),
  check: (a, p) => {
    // Against the record the write finds: another answer may have landed since the form was drawn.
    const merged = { ...a, ...p };
    if (unanswered(merged).length || !merged.conclusion)
      throw new QopsError(
        "invalid_transition",
        `The report of ${a.ref} is not complete: ${missingSentence(merged)}. Nothing was issued.`,
      );
  },
  apply: (_a, p, ctx) => ({ ...p, reportedAt: ctx.now, reportedBy: ctx.actor }),
  notices: (after, _b, ctx, _p, workspace) => announceNotices(after, ctx, workspace, "reported"),
};

export const AUDIT_TRANSITIONS: readonly AnySpec<InternalAudit>[] = [
  schedule,
  start,
  report,
  close,
  finding,
  answerCheck,
  setCriteria,
  addStrength,
  conclude,
];

/** The issued report, as an auditor reads it (and prints it). */
export function reportView(a: InternalAudit, workspace: Workspace): MessageView {
  const when = auditDay(a, workspace);
  const reportedBy = a.reportedBy;
  const title = rich`Internal audit report ${a.ref} · ${a.process}`;
  const opportunities = a.findings.filter((f) => f.type === "opportunity");
  const findings = a.findings.filter((f) => f.type !== "opportunity");
  const line = (label: string, items: Rich[], none: string) => [
    heading(label),
    list(items.length ? items : [none]),
  ];
  return message(title, [
    heading(title),
    fields([
      ["Scope", `${a.process}${a.clauses.length ? `; ISO 9001 ${a.clauses.join(", ")}` : ""}`],
      ["Criteria", a.criteria || defaultCriteria(a)],
      ["Audit date", when ? [day(when)] : "—"],
      ["Lead auditor", a.leadAuditor ? [person(a.leadAuditor)] : "—"],
      ["Auditees", a.auditees.length ? join(a.auditees.map(person)) : "—"],
      ["Issued", a.reportedAt ? rich`${at(a.reportedAt)}${reportedBy ? ` by ${reportedBy.name}` : ""}` : "—"],
    ]),
    ...line(
      "Checklist",
      a.checklist.map((q, i) => {
        const found = answersOf(a).find((x) => x.question === i + 1);
        return rich`${String(i + 1)}. ${q} — ${found ? `${ANSWER_WORDS[found.answer]}${found.evidence ? `: ${found.evidence}` : ""}` : "not answered"}`;
      }),
      "No checklist.",
    ),
    ...line(
      "Findings",
      findings.map(
        (f) =>
          rich`${f.id}: ${FINDING_NAMES[f.type]}, clause ${f.clause}: ${f.evidence}${f.actionRef ? ` → corrective action ${f.actionRef}` : ""}`,
      ),
      "No nonconformities or observations.",
    ),
    ...line(
      "Strengths",
      (a.strengths ?? []).map((s) => rich`${s}`),
      "None recorded.",
    ),
    ...line(
      "Opportunities for improvement",
      opportunities.map((f) => rich`${f.id}: clause ${f.clause}: ${f.evidence}`),
      "None recorded.",
    ),
    heading("Conclusion"),
    paragraph(
      a.conclusion
        ? rich`${a.process} is ${CONCLUSION_WORDS[a.conclusion.verdict]}: ${a.conclusion.text}`
        : "Not concluded.",
    ),
    paragraph(
      rich`Issued as part of ${a.ref}'s record and frozen in its history (${cmd(`audit ${a.ref}`)}); ${cmd("npm run verify")} checks that nothing in it was altered.`,
    ),
  ]);
}
