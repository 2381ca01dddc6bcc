import {
  actionButtons,
  complaintButtons,
  ideaButtons,
  RECORD_ACTIONS,
  type Viewer,
} from "../../commands/buttons.js";
import { auditLine } from "../../commands/calendarCommands.js";
import { formatDate, formatWhen, words } from "../../commands/context.js";
import { HELP } from "../../commands/help.js";
import type { RoleListing } from "../../commands/members.js";
import { roleName } from "../../commands/members.js";
import type { MyItems, QmsStatus, RecordView, Register } from "../../commands/registers.js";
import type { Complaint } from "../../models/complaint.js";
import type { CorrectiveAction } from "../../models/correctiveAction.js";
import type { HistoryEvent } from "../../models/historyEvent.js";
import type { ImprovementIdea } from "../../models/improvementIdea.js";
import type { MessageButton, OutboundMessage } from "../ports.js";
import { VERBS } from "./surface.js";

/** Adaptive Card elements are plain JSON; the schema is checked by the Teams client. */
export type Element = Record<string, unknown>;

export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: string;
  version: string;
  body: Element[];
  actions?: Element[];
  refresh?: Element;
}

export const CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

export function card(body: Element[], actions: Element[] = [], refresh?: Element): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    // 1.4: Universal Actions (Action.Execute) and refresh.
    version: "1.4",
    body,
    ...(actions.length ? { actions } : {}),
    ...(refresh ? { refresh } : {}),
  };
}

export const attachment = (content: AdaptiveCard) => ({ contentType: CARD_CONTENT_TYPE, content });

/** Markdown text we write; never put user text here unescaped. */
export const md = (text: string, extra: Element = {}): Element => ({
  type: "TextBlock",
  text,
  wrap: true,
  ...extra,
});

export const heading = (text: string): Element =>
  md(escapeMarkdown(text), { size: "Medium", weight: "Bolder", style: "heading" });

/** User text shown literally: a TextRun is never read as markdown. */
export const literal = (text: string, extra: Element = {}): Element => ({
  type: "RichTextBlock",
  inlines: [{ type: "TextRun", text, ...extra }],
});

export const notice = (text: string, color: "Attention" | "Good" | "Warning" = "Attention"): Element =>
  md(escapeMarkdown(text), { color, weight: "Bolder" });

export const facts = (pairs: [string, string][]): Element => ({
  type: "FactSet",
  facts: pairs.map(([title, value]) => ({ title, value: escapeMarkdown(value) })),
});

/** Teams reads a small markdown subset; a backslash keeps user text literal. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/([\\*_[\]`])/g, "\\$1")
    .replace(/^(\s*)([-+>#])/gm, "$1\\$2")
    .replace(/^(\s*\d+)\./gm, "$1\\.");
}

export function execute(verb: string, title: string, data: Record<string, unknown>, style?: string): Element {
  return {
    type: "Action.Execute",
    title,
    verb,
    data,
    ...(style === "primary" ? { style: "positive" } : style === "danger" ? { style: "destructive" } : {}),
    // Clients without Universal Actions (the Bot Framework Emulator) send a message instead.
    fallback: { type: "Action.Submit", title, data: { ...data, verb } },
  };
}

const showCard = (title: string, body: Element[], actions: Element[]): Element => ({
  type: "Action.ShowCard",
  title,
  card: { type: "AdaptiveCard", body, actions },
});

const reasonInput = (label: string): Element => ({
  type: "Input.Text",
  id: "reason",
  label,
  isMultiline: true,
  maxLength: 1000,
  isRequired: true,
  errorMessage: "Please give a reason.",
});

export interface Person {
  id: string;
  name: string;
}

/** The buttons of a record; those needing more input open a small inline form. */
function recordActions(buttons: MessageButton[]): Element[] {
  return buttons.map((b) => {
    const data = { ref: b.value };
    switch (b.actionId) {
      case RECORD_ACTIONS.complaintReject:
        return showCard(
          b.text,
          [reasonInput("Why is it rejected? The reporter will see this.")],
          [execute(b.actionId, `Reject ${b.value}`, data, "danger")],
        );
      case RECORD_ACTIONS.ideaReject:
        return showCard(
          b.text,
          [reasonInput("Why is it not taken up? The submitter will see this.")],
          [execute(b.actionId, `Reject ${b.value}`, data, "danger")],
        );
      case RECORD_ACTIONS.actionNotEffective:
        return showCard(
          b.text,
          [reasonInput(`Why was ${b.value} not effective? It will be reopened.`)],
          [execute(b.actionId, "Reopen as not effective", data, "danger")],
        );
      case RECORD_ACTIONS.complaintClose:
        return showCard(
          b.text,
          [
            {
              type: "Input.ChoiceSet",
              id: "customerNotified",
              label: "Has the customer been told the outcome?",
              isRequired: true,
              errorMessage: "Say whether the customer was told.",
              choices: [
                { title: "Yes", value: "yes" },
                { title: "No", value: "no" },
              ],
            },
          ],
          [execute(b.actionId, `Close ${b.value}`, data, "primary")],
        );
      case RECORD_ACTIONS.objectiveRecord:
        return showCard(
          b.text,
          [
            {
              type: "Input.Text",
              id: "value",
              label: "Value",
              isRequired: true,
              errorMessage: "Give a number, e.g. 97.5.",
            },
            {
              type: "Input.Text",
              id: "period",
              label: "Period (default: the last one), e.g. 2026-11 or 2026-Q4",
            },
          ],
          [execute(b.actionId, "Record", data, "primary")],
        );
      case RECORD_ACTIONS.actionSnooze:
        return showCard(
          b.text,
          [
            {
              type: "Input.Date",
              id: "until",
              label: "Remind me again on",
              isRequired: true,
              errorMessage: "Choose a date.",
            },
            reasonInput("Why wait?"),
          ],
          [execute(b.actionId, "Snooze", data)],
        );
      default:
        return execute(b.actionId, b.text, data, b.style);
    }
  });
}

function ownerChooser(verb: string, ref: string, people: Person[], current: string | null): Element {
  return showCard(
    current ? "Change owner" : "Assign owner",
    [
      {
        type: "Input.ChoiceSet",
        id: "ownerId",
        label: "Owner",
        isRequired: true,
        errorMessage: "Choose a person to own it.",
        style: "filtered",
        ...(current ? { value: current } : {}),
        choices: people.map((p) => ({ title: p.name, value: p.id })),
        // In Teams the list also searches the organisation's directory.
        "choices.data": { type: "Data.Query", dataset: "graph.microsoft.com/users" },
      },
    ],
    [execute(verb, "Assign", { ref })],
  );
}

const refresh = (ref: string): Element => ({
  action: { type: "Action.Execute", verb: VERBS.refresh, data: { ref } },
});

function stateLine(r: { state: string; stateChangedBy: { name: string }; stateChangedAt: Date }): Element {
  return md(
    `**${words(r.state)}** — by ${escapeMarkdown(r.stateChangedBy.name)}, ${formatWhen(r.stateChangedAt)}`,
    {
      isSubtle: false,
    },
  );
}

export interface CardOptions {
  viewer?: Viewer;
  people?: Person[];
  /** Shown above the record: what just happened or why a press was refused. */
  notice?: { text: string; color?: "Attention" | "Good" | "Warning" };
}

const top = (options: CardOptions): Element[] =>
  options.notice ? [notice(options.notice.text, options.notice.color)] : [];

export function complaintCard(c: Complaint, options: CardOptions = {}): AdaptiveCard {
  const viewer = options.viewer ?? "channel";
  const ref = c.ref ?? "";
  const body: Element[] = [
    ...top(options),
    heading(`${ref} · ${c.title}`),
    facts([
      ["Severity", c.severity],
      ["Due", formatDate(c.dueAt)],
      ["Customer", c.customer || "—"],
      ["Product / order", c.productRef || "—"],
      ["Category", c.category],
      ["Reporter", c.reporter.name],
      ["Owner", c.owner ? c.owner.name : "not assigned"],
      ["Actions", c.linkedActions.length ? c.linkedActions.join(", ") : "none"],
    ]),
  ];
  if (c.description) body.push(literal(c.description));
  body.push(stateLine(c));
  if (c.state === "rejected" && c.rejectionReason) body.push(literal(`Reason: ${c.rejectionReason}`));
  if (c.state === "closed") body.push(md(`Customer notified: ${c.customerNotified ? "yes" : "no"}`));
  const actions = recordActions(complaintButtons(c, viewer));
  const open = ["new", "accepted", "investigating", "resolved"].includes(c.state);
  if (open && (viewer === "channel" || viewer.isQm))
    actions.push(
      ownerChooser(RECORD_ACTIONS.complaintAssign, ref, options.people ?? [], c.owner?.id ?? null),
    );
  return card(body, actions, refresh(ref));
}

export function ideaCard(i: ImprovementIdea, options: CardOptions = {}): AdaptiveCard {
  const viewer = options.viewer ?? "channel";
  const ref = i.ref ?? "";
  const body: Element[] = [
    ...top(options),
    heading(`${ref} · ${i.title}`),
    facts([
      ["Submitted by", i.submitter.name],
      ["Votes", String(i.votes.length)],
      ["Owner", i.owner ? i.owner.name : "not assigned"],
      ["Actions", i.linkedActions.length ? i.linkedActions.join(", ") : "none"],
    ]),
  ];
  if (i.description) body.push(literal(i.description));
  if (i.expectedBenefit) body.push(literal(`Expected benefit: ${i.expectedBenefit}`));
  body.push(stateLine(i));
  if (i.state === "rejected" && i.rejectionReason) body.push(literal(`Reason: ${i.rejectionReason}`));
  const actions = recordActions(ideaButtons(i, viewer));
  if (["submitted", "approved", "in_progress"].includes(i.state) && (viewer === "channel" || viewer.isQm))
    actions.push(ownerChooser(RECORD_ACTIONS.ideaAssign, ref, options.people ?? [], i.owner?.id ?? null));
  return card(body, actions, refresh(ref));
}

export function actionCard(a: CorrectiveAction, options: CardOptions = {}): AdaptiveCard {
  const viewer = options.viewer ?? "channel";
  const ref = a.ref ?? "";
  const body: Element[] = [
    ...top(options),
    heading(`${ref} · ${a.actionType} action`),
    facts([
      ["Owner", a.owner.name],
      ["Due", formatDate(a.dueAt)],
      ["Source", a.sourceRef ?? words(a.source)],
      [
        "Effectiveness check",
        a.effectivenessCheckAt ? formatDate(a.effectivenessCheckAt) : "after it is done",
      ],
    ]),
    literal(`Problem: ${a.problem}`),
  ];
  if (a.containment) body.push(literal(`Containment: ${a.containment}`));
  if (a.rootCause) body.push(literal(`Root cause: ${a.rootCause}`));
  if (a.plan) body.push(literal(`Plan: ${a.plan}`));
  body.push(stateLine(a));
  if (a.state === "reopened" && a.reopenReason)
    body.push(literal(`Not effective because: ${a.reopenReason}`));
  return card(body, recordActions(actionButtons(a, viewer)), refresh(ref));
}

export function recordCard(
  view: Pick<RecordView, "kind" | "record">,
  options: CardOptions = {},
): AdaptiveCard {
  if (view.kind === "complaint") return complaintCard(view.record as Complaint, options);
  if (view.kind === "idea") return ideaCard(view.record as ImprovementIdea, options);
  return actionCard(view.record as CorrectiveAction, options);
}

function historyLine(e: HistoryEvent): string {
  const changed = Object.keys(e.changes).filter((f) => !["stateChangedBy", "stateChangedAt"].includes(f));
  const state = e.changes.state ? ` → **${words(String(e.changes.state.after))}**` : "";
  const fields = e.type === "created" || state ? "" : ` (${changed.join(", ")})`;
  const reason = e.reason ? ` — “${escapeMarkdown(e.reason)}”` : "";
  return `- ${formatWhen(e.at)} · ${escapeMarkdown(e.actor.name)} · ${words(e.type)}${state}${fields}${reason}`;
}

/** One record with its whole history. */
export function recordDetailCard(view: RecordView, options: CardOptions = {}): AdaptiveCard {
  const base = recordCard(view, options);
  const lines = view.history.map(historyLine);
  const shown =
    lines.length > 40 ? [`_${lines.length - 40} earlier events not shown_`, ...lines.slice(-40)] : lines;
  return { ...base, body: [...base.body, md("**History**", { separator: true }), md(shown.join("\n"))] };
}

export function registerCard<T>(
  title: string,
  register: Register<T>,
  line: (item: T) => string,
  empty: string,
) {
  const more =
    register.total > register.items.length ? ` (showing ${register.items.length} of ${register.total})` : "";
  return card([
    md(`**${title} — ${register.filter}** · ${register.total} item${register.total === 1 ? "" : "s"}${more}`),
    md(register.items.length ? register.items.map((item) => `- ${line(item)}`).join("\n") : empty),
  ]);
}

export function complaintLine(c: Complaint, now: Date): string {
  const overdue = c.dueAt < now && !["closed", "rejected"].includes(c.state) ? " ⚠️ **overdue**" : "";
  return `**${c.ref}** · ${c.severity} · ${words(c.state)} · due ${formatDate(c.dueAt)}${overdue} · ${escapeMarkdown(c.title)}${c.owner ? ` · ${escapeMarkdown(c.owner.name)}` : ""}`;
}

export const ideaLine = (i: ImprovementIdea) =>
  `**${i.ref}** · ${words(i.state)} · 👍 ${i.votes.length} · ${escapeMarkdown(i.title)}`;

export function actionLine(a: CorrectiveAction, now: Date): string {
  const overdue =
    a.dueAt < now && ["open", "in_progress", "reopened"].includes(a.state) ? " ⚠️ **overdue**" : "";
  return `**${a.ref}** · ${words(a.state)} · due ${formatDate(a.dueAt)}${overdue} · ${escapeMarkdown(a.owner.name)} · ${escapeMarkdown(a.problem.slice(0, 80))}`;
}

export function statusCard(s: QmsStatus): AdaptiveCard {
  const sev = s.openComplaintsBySeverity;
  const pairs = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([k, n]) => `${words(k)} ${n}`)
      .join(" · ");
  const open = Object.values(sev).reduce((a, b) => a + b, 0);
  return card([
    heading("QMS status"),
    facts([
      [
        "Open complaints",
        `${open} — critical ${sev.critical} · high ${sev.high} · medium ${sev.medium} · low ${sev.low}`,
      ],
      [
        "Overdue",
        `${s.overdueComplaints} complaint${s.overdueComplaints === 1 ? "" : "s"}, ${s.overdueActions} action${s.overdueActions === 1 ? "" : "s"}`,
      ],
      ["Ideas", pairs(s.ideasByState)],
      ["Actions", pairs(s.actionsByState)],
      ["Waiting for an effectiveness check", String(s.awaitingEffectivenessCheck)],
    ]),
  ]);
}

export function rolesCard(listing: RoleListing[]): AdaptiveCard {
  return card([
    facts(
      listing.map((l) => [
        roleName(l.role),
        l.members.length ? l.members.map((m) => m.name || m.userId).join(", ") : "nobody yet",
      ]),
    ),
    md(
      "Change with `qms roles grant @person qm|top_management|auditor` or `revoke` (quality managers only).",
      {
        isSubtle: true,
      },
    ),
  ]);
}

/** The help, as typed to the bot: the same words as Slack's, without the slash. */
export function helpCard(intro?: string): AdaptiveCard {
  const body: Element[] = intro ? [notice(intro, "Warning")] : [];
  for (const section of HELP) {
    const lines = section.lines
      .filter((l) => !l.slackOnly)
      .map((l) => `- \`${teamsUsage(l.usage)}\` — ${teamsUsage(l.text)}`);
    body.push(md(`**${section.title}**`), md(lines.join("\n")));
  }
  body.push(md("Type these to QOps in a chat with it, or mention @QOps in a channel.", { isSubtle: true }));
  return card(body);
}

const teamsUsage = (text: string) =>
  text.replace(/(^|[\s`])\/(complaint|idea|qms|policy)\b/g, "$1$2").replace("#channel", "here");

/** A reminder or request from the delivery engine. */
export function outboundCard(message: OutboundMessage): AdaptiveCard {
  const body: Element[] = [];
  if (message.title) body.push(heading(message.title));
  body.push(md(escapeMarkdown(message.text)));
  for (const line of message.lines ?? []) body.push(literal(line));
  return card(body, recordActions(message.buttons ?? []));
}

// ---- Forms: the same fields and validation messages as the Slack modals ----

export type FieldErrors = Record<string, string>;

interface Field {
  id: string;
  label: string;
  multiline?: boolean;
  maxLength?: number;
  required?: boolean;
  placeholder?: string;
}

function textField(f: Field, values: Record<string, unknown>, errors: FieldErrors): Element[] {
  const value = values[f.id];
  const input: Element = {
    type: "Input.Text",
    id: f.id,
    label: f.label,
    isMultiline: f.multiline ?? false,
    ...(f.maxLength ? { maxLength: f.maxLength } : {}),
    ...(f.required ? { isRequired: true, errorMessage: `${f.label} is required.` } : {}),
    ...(f.placeholder ? { placeholder: f.placeholder } : {}),
    ...(typeof value === "string" && value ? { value } : {}),
  };
  return errors[f.id] ? [input, notice(errors[f.id] ?? "")] : [input];
}

function choiceField(
  id: string,
  label: string,
  options: readonly string[],
  values: Record<string, unknown>,
  errors: FieldErrors,
  fallback: string,
): Element[] {
  const input: Element = {
    type: "Input.ChoiceSet",
    id,
    label,
    isRequired: true,
    value: typeof values[id] === "string" && values[id] ? values[id] : fallback,
    choices: options.map((o) => ({ title: words(o), value: o })),
  };
  return errors[id] ? [input, notice(errors[id] ?? "")] : [input];
}

function form(title: string, fields: Element[], submit: Element, errors: FieldErrors): AdaptiveCard {
  const intro = Object.keys(errors).length
    ? [notice("Please correct the fields marked below; nothing was saved yet.")]
    : [];
  return card([heading(title), ...intro, ...fields], [submit]);
}

export function complaintForm(
  formId: string,
  values: Record<string, unknown>,
  errors: FieldErrors,
  severities: readonly string[],
  categories: readonly string[],
): AdaptiveCard {
  return form(
    "Log a complaint",
    [
      ...textField(
        {
          id: "title",
          label: "Title",
          maxLength: 150,
          required: true,
          placeholder: "What went wrong, in a line",
        },
        values,
        errors,
      ),
      ...textField(
        { id: "description", label: "Description", multiline: true, maxLength: 3000 },
        values,
        errors,
      ),
      ...textField({ id: "customer", label: "Customer", maxLength: 200 }, values, errors),
      ...textField({ id: "productRef", label: "Product or order reference", maxLength: 100 }, values, errors),
      ...choiceField("severity", "Severity", severities, values, errors, "medium"),
      ...choiceField("category", "Category", categories, values, errors, "product"),
    ],
    execute(VERBS.complaintSubmit, "Log complaint", { formId }, "primary"),
    errors,
  );
}

export function ideaForm(formId: string, values: Record<string, unknown>, errors: FieldErrors): AdaptiveCard {
  return form(
    "Suggest an improvement",
    [
      ...textField({ id: "title", label: "Title", maxLength: 150, required: true }, values, errors),
      ...textField(
        { id: "description", label: "Description", multiline: true, maxLength: 3000 },
        values,
        errors,
      ),
      ...textField(
        { id: "expectedBenefit", label: "Expected benefit", multiline: true, maxLength: 1000 },
        values,
        errors,
      ),
    ],
    execute(VERBS.ideaSubmit, "Submit idea", { formId }, "primary"),
    errors,
  );
}

export function actionForm(
  formId: string,
  sourceRef: string | null,
  values: Record<string, unknown>,
  errors: FieldErrors,
  people: Person[],
): AdaptiveCard {
  const owner: Element = {
    type: "Input.ChoiceSet",
    id: "ownerId",
    label: "Owner",
    isRequired: true,
    errorMessage: "Choose an owner.",
    style: "filtered",
    ...(typeof values.ownerId === "string" && values.ownerId ? { value: values.ownerId } : {}),
    choices: people.map((p) => ({ title: p.name, value: p.id })),
    "choices.data": { type: "Data.Query", dataset: "graph.microsoft.com/users" },
  };
  const due: Element = {
    type: "Input.Date",
    id: "dueDate",
    label: "Due date",
    isRequired: true,
    errorMessage: "Choose a due date.",
    ...(typeof values.dueDate === "string" && values.dueDate ? { value: values.dueDate } : {}),
  };
  return form(
    sourceRef ? `Corrective action for ${sourceRef}` : "New corrective or preventive action",
    [
      ...textField(
        { id: "problem", label: "Problem", multiline: true, maxLength: 3000, required: true },
        values,
        errors,
      ),
      ...textField(
        {
          id: "containment",
          label: "Containment (what was done right away)",
          multiline: true,
          maxLength: 3000,
        },
        values,
        errors,
      ),
      ...textField(
        { id: "rootCause", label: "Root cause (five whys)", multiline: true, maxLength: 3000 },
        values,
        errors,
      ),
      ...textField({ id: "plan", label: "Plan", multiline: true, maxLength: 3000 }, values, errors),
      ...choiceField("actionType", "Type", ["corrective", "preventive"], values, errors, "corrective"),
      owner,
      ...(errors.ownerId ? [notice(errors.ownerId)] : []),
      due,
      ...(errors.dueDate ? [notice(errors.dueDate)] : []),
    ],
    execute(VERBS.actionSubmit, "Open action", { formId, sourceRef }, "primary"),
    errors,
  );
}

export function policyDraftForm(
  formId: string,
  values: Record<string, unknown>,
  errors: FieldErrors,
): AdaptiveCard {
  return form(
    "Draft the quality policy",
    [
      ...textField({ id: "text", label: "Policy text", multiline: true, maxLength: 3000 }, values, errors),
      md("Or link the full document and summarise it:", { isSubtle: true }),
      ...textField({ id: "link", label: "Link", maxLength: 500 }, values, errors),
      ...textField({ id: "summary", label: "Summary", multiline: true, maxLength: 1000 }, values, errors),
    ],
    execute(VERBS.policyDraftSubmit, "Save draft", { formId }, "primary"),
    errors,
  );
}

/** A plain answer as a card: what happened, in a line or two. */
export const answerCard = (text: string, color?: "Attention" | "Good" | "Warning"): AdaptiveCard =>
  card([color ? notice(text, color) : md(escapeMarkdown(text))]);

export function auditForm(
  formId: string,
  values: Record<string, unknown>,
  errors: FieldErrors,
  people: Person[],
): AdaptiveCard {
  const chooser = (id: string, label: string, multi: boolean): Element[] => {
    const input: Element = {
      type: "Input.ChoiceSet",
      id,
      label,
      style: "filtered",
      ...(multi ? { isMultiSelect: true } : { isRequired: true, errorMessage: "Choose the lead auditor." }),
      ...(typeof values[id] === "string" && values[id] ? { value: values[id] } : {}),
      choices: people.map((p) => ({ title: p.name, value: p.id })),
      "choices.data": { type: "Data.Query", dataset: "graph.microsoft.com/users" },
    };
    return errors[id] ? [input, notice(errors[id] ?? "")] : [input];
  };
  const date: Element = {
    type: "Input.Date",
    id: "date",
    label: "Date",
    isRequired: true,
    errorMessage: "Choose the audit date.",
    ...(typeof values.date === "string" && values.date ? { value: values.date } : {}),
  };
  return form(
    "Schedule an internal audit",
    [
      ...textField(
        {
          id: "process",
          label: "Process or area",
          maxLength: 150,
          required: true,
          placeholder: "e.g. Purchasing",
        },
        values,
        errors,
      ),
      ...textField(
        { id: "clauses", label: "ISO 9001 clauses", maxLength: 300, placeholder: "e.g. 8.4, 8.5.1" },
        values,
        errors,
      ),
      ...chooser("leadAuditor", "Lead auditor", false),
      ...chooser("auditees", "Auditees", true),
      date,
      ...(errors.date ? [notice(errors.date)] : []),
      ...textField(
        { id: "checklist", label: "Checklist questions (one per line)", multiline: true, maxLength: 3000 },
        values,
        errors,
      ),
    ],
    execute(VERBS.auditSubmit, "Schedule", { formId }, "primary"),
    errors,
  );
}

/** `qms mine`: what I own, reported or audit, and for QMs the triage queue. */
export function myItemsCard(items: MyItems, now: Date): AdaptiveCard {
  const mine = [
    ...items.complaints.map((c) => complaintLine(c, now)),
    ...items.actions.map((a) => actionLine(a, now)),
    ...items.ideas.map(ideaLine),
    ...items.audits.map((a) => escapeMarkdown(auditLine(a, now))),
  ];
  const body: Element[] = [
    heading("My items"),
    md(mine.length ? mine.map((l) => `- ${l}`).join("\n") : "Nothing is waiting for you. 🎉"),
  ];
  if (items.triage) {
    const queue = [
      ...items.triage.complaints.map((c) => complaintLine(c, now)),
      ...items.triage.actions.map((a) => actionLine(a, now)),
      ...items.triage.ideas.map(ideaLine),
    ];
    body.push(
      heading("Triage queue (quality manager)"),
      md(
        queue.length
          ? queue
              .slice(0, 40)
              .map((l) => `- ${l}`)
              .join("\n")
          : "Nothing to triage.",
      ),
    );
  }
  body.push(
    md("Show one to act on it: `complaint CMP-…`, `qms action CA-…`, `idea IDEA-…`, `audit AUD-…`.", {
      isSubtle: true,
    }),
  );
  return card(body);
}
