import type { RecordBase } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import type { ActionHandler, RecordKindDef } from "../kind.js";
import { buttonId, pressTransition } from "../lifecycle.js";
import { type RegisterSpec, registerAnswer, showAnswer } from "../registers.js";
import { wordsOf } from "../tokens.js";
import { actionFormFields, NEW_ACTION_FORM, newActionForm, submitAction } from "./commands.js";
import { ACTION_TRANSITIONS } from "./lifecycle.js";
import {
  type CorrectiveAction,
  CorrectiveActionModel,
  OPEN_ACTION_STATES,
  WORKING_ACTION_STATES,
} from "./model.js";
import { actionReminders } from "./reminders.js";
import { actionCard, actionLine } from "./views.js";

const register: RegisterSpec<CorrectiveAction> = {
  filters: ["open", "mine", "overdue", "all"],
  title: "Corrective actions",
  empty: "No actions match.",
  load: async (ctx, filter) => {
    const query =
      filter === "all"
        ? { workspaceId: ctx.workspaceId }
        : { workspaceId: ctx.workspaceId, state: { $in: OPEN_ACTION_STATES } };
    let items = (await CorrectiveActionModel.find(query).lean()) as CorrectiveAction[];
    if (filter === "mine") items = items.filter((a) => a.owner.id === ctx.actor.id);
    if (filter === "overdue")
      items = items.filter((a) => a.dueAt < ctx.now && WORKING_ACTION_STATES.includes(a.state));
    return items.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  },
  line: actionLine,
};

export const actionKind: RecordKindDef = {
  id: "action",
  evidence: { clauses: ["10.2"], title: "Corrective actions", finished: ["verified_effective"] },
  kind: "action",
  model: CorrectiveActionModel as never,
  noun: "corrective action",
  plural: "corrective actions",
  prefix: "CA",
  refPattern: /^CA-\d{4}-\d{4,}$/i,
  command: { name: "action", under: "qms", aliases: ["actions"] },
  registerRoles: ["qm", "top_management", "auditor"],
  help: [
    { usage: "qms action new", text: "open a corrective or preventive action (QM; a form)" },
    { usage: "qms action CA-2026-0001", text: "one action with its history" },
    { usage: "qms actions [open|mine|overdue|all]", text: "the corrective actions register" },
  ],
  involves: (record: RecordBase, userId: string) => {
    const a = record as CorrectiveAction;
    return a.owner.id === userId || a.createdBy.id === userId;
  },
  async typed(ctx, args, word) {
    const words = wordsOf(args);
    if (word === "actions") return registerAnswer(actionKind, register, ctx, words[0]);
    const [first = ""] = words;
    if (first.toLowerCase() === "new") return newActionForm(ctx);
    if (first.toLowerCase() === "list") return registerAnswer(actionKind, register, ctx, words[1]);
    if (actionKind.refPattern.test(first)) return showAnswer(actionKind, ctx, first);
    throw new QopsError(
      "invalid_input",
      "Use qms action new, qms action CA-2026-0001 or qms actions [open|mine|overdue|all].",
    );
  },
  actions: {
    ...Object.fromEntries(
      ACTION_TRANSITIONS.map((spec): [string, ActionHandler] => [
        buttonId({ id: "action" }, spec),
        (action) => pressTransition(actionKind, spec, action),
      ]),
    ),
    [NEW_ACTION_FORM]: (action) => submitAction(actionKind, action),
  },
  card: (ctx, record, viewer) => actionCard(actionKind, ctx, record as CorrectiveAction, viewer),
  reminders: (workspace, now) => actionReminders(actionKind, workspace, now),
  forms: { [NEW_ACTION_FORM]: actionFormFields([]) },
};
