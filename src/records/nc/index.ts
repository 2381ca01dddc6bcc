import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import type { RecordBase } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { deliveryId, type NewDelivery } from "../../outbox/enqueue.js";
import { addDays } from "../../time/zone.js";
import {
  answer,
  buttons,
  context,
  fields,
  heading,
  message,
  paragraph,
  picker,
  withNotice,
} from "../../views/build.js";
import { channel, cmd, day, person, type Rich, rich, strong } from "../../views/rich.js";
import type { Answer, ButtonView, FieldView } from "../../views/types.js";
import { raiseActionForm } from "../action/commands.js";
import { creationForm, dueOn, parseForm, peopleFor, pick, today } from "../common.js";
import { stateLine } from "../complaint/views.js";
import type { Action, ActionHandler, RecordKindDef, Viewer } from "../kind.js";
import {
  buttonId,
  buttonsFor,
  createReferenced,
  loadByRef,
  mayPerform,
  pressTransition,
} from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { formAnswerNotice, type Notice, notifyEffect } from "../notify.js";
import { type RegisterSpec, recordCommand, viewerFor } from "../registers.js";
import { textOf, wordsOf } from "../tokens.js";
import { holders, requireWorkspace } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { DISPOSITION_NAMES, NC_TRANSITIONS } from "./lifecycle.js";
import { type NonconformingOutput, NonconformingOutputModel, OPEN_NC_STATES } from "./model.js";

/** Working days are not counted here: a disposition is due this many calendar days after the report. */
export const DISPOSITION_DAYS = 5;
const FORM = "nc.new";
const RAISE_ACTION = "nc.raise_action";

const text = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} can be at most ${max.toLocaleString("en")} characters.`);
const ncInput = z.object({
  title: text(150, "What is nonconforming").min(3, "Say what is nonconforming (3 to 150 characters)."),
  whereFound: text(200, "Where it was found").min(2, "Say where it was found."),
  quantity: text(50, "The quantity").default(""),
  productRef: text(100, "The product or order reference").default(""),
  detectedBy: text(200, "How it was detected").default(""),
});

const FIELDS: FieldView[] = [
  {
    type: "text",
    id: "title",
    label: "What is nonconforming",
    max: 150,
    placeholder: "e.g. Housings out of tolerance",
  },
  {
    type: "text",
    id: "whereFound",
    label: "Where it was found",
    max: 200,
    placeholder: "e.g. incoming inspection, line 2",
  },
  { type: "text", id: "quantity", label: "Quantity", max: 50, optional: true },
  { type: "text", id: "productRef", label: "Product or order reference", max: 100, optional: true },
  {
    type: "text",
    id: "detectedBy",
    label: "Detected by (inspection, customer, operator…)",
    max: 200,
    optional: true,
  },
];

const ncForm = (ctx: CommandContext, values?: Record<string, string>, errors?: Record<string, string>) =>
  creationForm(
    ctx,
    { id: FORM, title: "Report a nonconformity", submit: "Report", fields: FIELDS },
    values,
    errors,
  );

/** Anyone reports a nonconforming output; it is posted for the QMs and due for a disposition. */
async function submitNc(action: Action): Promise<Answer> {
  const { ctx } = action;
  if (action.target.ws !== ctx.workspaceId)
    throw new QopsError("forbidden", "This form belongs to another workspace. Nothing was saved.");
  const values = pick(action.inputs, ["title", "whereFound", "quantity", "productRef", "detectedBy"]);
  let fieldsIn: z.infer<typeof ncInput>;
  try {
    fieldsIn = parseForm(ncInput, values, "nonconformity");
  } catch (error) {
    if (error instanceof QopsError && error.fieldErrors)
      return { kind: "invalid", form: ncForm(ctx, values as Record<string, string>, error.fieldErrors) };
    throw error;
  }
  const workspace = await requireWorkspace(ctx);
  await ensureMember(ctx);
  const due = dueOn(addDays(today(ctx, workspace), DISPOSITION_DAYS), workspace);
  const quality = workspace.qualityChannelId;
  const said = (ref: string): Rich =>
    rich`✅ Reported ${ref}; its disposition is due ${day(due.dueDay)}.${quality ? [" It is posted in ", channel(quality), "."] : ""} See it with ${cmd(`nc ${ref}`)}.`;
  const result = await createReferenced<NonconformingOutput>(
    ctx,
    ncKind,
    (ref) => ({
      ...fieldsIn,
      state: "reported",
      reporter: ctx.actor,
      owner: null,
      ...due,
      disposition: null,
      dispositionNote: "",
      concessionBy: null,
      customerInformed: null,
      verificationNote: "",
      linkedActions: [],
      post: quality ? deliveryId(ctx.workspaceId, `${ref}:1:post`, quality) : null,
      triageMessage: null,
    }),
    {
      effects: (ref, recordKey) => {
        const notices: Notice[] = [
          ...(quality
            ? [
                {
                  to: quality,
                  channel: true,
                  about: "post",
                  dynamic: { type: "card", kind: "nc", recordKey },
                },
              ]
            : []),
          ...formAnswerNotice(ctx, answer(said(ref), "good")),
        ];
        return notifyEffect(ctx, { workspaceId: ctx.workspaceId, record: ref, recordKey, seq: 1 }, notices);
      },
    },
  );
  const card = await ncKind.card(ctx, result.record, viewerFor(ctx, workspace));
  return {
    kind: "done",
    view: withNotice(
      card,
      result.created
        ? said(result.record.ref ?? "")
        : rich`This form was already sent: it is ${result.record.ref}.`,
    ),
  };
}

function raiseActionButton(n: NonconformingOutput, viewer: Viewer): ButtonView[] {
  if (!OPEN_NC_STATES.includes(n.state)) return [];
  if (viewer !== "channel" && !mayPerform("owner_or_qm", n, viewer.userId, viewer.roles)) return [];
  return [
    { id: RAISE_ACTION, label: "Raise corrective action", target: { ws: n.workspaceId, ref: n.ref ?? "" } },
  ];
}

async function ncCard(ctx: CommandContext, n: NonconformingOutput, viewer: Viewer) {
  const ref = n.ref ?? "";
  const overdue = n.state === "reported" && n.dueAt < ctx.now;
  const blocks = [
    heading(rich`${ref} · ${n.title}`),
    fields([
      ["Where found", n.whereFound || "—"],
      ["Quantity", n.quantity || "—"],
      ["Product / order", n.productRef || "—"],
      ["Detected by", n.detectedBy || "—"],
      ["Reporter", [person(n.reporter)]],
      ["Owner", n.owner ? [person(n.owner)] : "not assigned"],
      ["Disposition due", rich`${day(n.dueDay)}${overdue ? " ⚠️ overdue" : ""}`],
      ["Disposition", n.disposition ? DISPOSITION_NAMES[n.disposition] : "not yet"],
      ...(n.concessionBy
        ? ([["Concession authorised by", [person(n.concessionBy)]]] as [string, Rich][])
        : []),
      ["Customer informed", n.customerInformed === null ? "—" : n.customerInformed ? "yes" : "no"],
      ["Actions", n.linkedActions.length ? n.linkedActions.join(", ") : "none"],
    ]),
    ...(n.dispositionNote ? [paragraph(`Disposition: ${n.dispositionNote}`)] : []),
    ...(n.verificationNote ? [paragraph(`Verification: ${n.verificationNote}`)] : []),
    context(stateLine(n)),
    ...buttons([...buttonsFor(ctx, ncKind, NC_TRANSITIONS, n, viewer), ...raiseActionButton(n, viewer)]),
  ];
  if (OPEN_NC_STATES.includes(n.state) && (viewer === "channel" || viewer.roles.includes("qm")))
    blocks.push(
      picker({
        id: "nc.assign",
        label: n.owner ? "Change owner" : "Assign owner",
        target: { ws: n.workspaceId, ref },
        current: n.owner,
        people: await peopleFor(ctx),
      }),
    );
  return {
    ...message(rich`${ref} ${words(n.state)}: ${n.title}`, blocks),
    refresh: { ws: n.workspaceId, ref },
  };
}

const ncLine = (n: NonconformingOutput, ctx: CommandContext): Rich =>
  rich`⛔ ${strong(n.ref)} · ${words(n.state)} · ${n.title} · disposition ${n.disposition ? DISPOSITION_NAMES[n.disposition] : ["due ", day(n.dueDay), n.state === "reported" && n.dueAt < ctx.now ? " ⚠️ overdue" : ""]}${n.owner ? [" · ", person(n.owner)] : ""}`;

const register: RegisterSpec<NonconformingOutput> = {
  filters: ["open", "mine", "all"],
  title: "Nonconforming outputs",
  empty: "No nonconforming outputs match.",
  load: async (ctx, filter) => {
    const query =
      filter === "all"
        ? { workspaceId: ctx.workspaceId }
        : { workspaceId: ctx.workspaceId, state: { $in: OPEN_NC_STATES } };
    let items = (await NonconformingOutputModel.find(query).lean()) as NonconformingOutput[];
    if (filter === "mine")
      items = items.filter((n) => n.reporter.id === ctx.actor.id || n.owner?.id === ctx.actor.id);
    return items.sort((a, b) => a.dueDay.localeCompare(b.dueDay));
  },
  line: ncLine,
};

/** A disposition past its due day: the owner (or, with none yet, the QMs) is told once. */
async function ncReminders(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const late = (
    (await NonconformingOutputModel.find({
      workspaceId: workspace.workspaceId,
      state: "reported",
    }).lean()) as NonconformingOutput[]
  ).filter((n) => n.dueAt <= now);
  return late.flatMap((n) =>
    (n.owner ? [n.owner] : holders(workspace, "qm")).map((p) => {
      const said = rich`The disposition of ${n.ref} (${n.title}) was due ${day(n.dueDay)}. Record it with the button or ${cmd(`nc ${n.ref}`)}.`;
      return {
        workspaceId: workspace.workspaceId,
        occasion: `nc:${n.ref}:disposition-overdue-${n.dueDay}`,
        recipientId: p.id,
        notBefore: n.dueAt,
        content: {
          view: message(said, [
            paragraph(said),
            ...buttons(
              buttonsFor(
                { workspaceId: workspace.workspaceId } as CommandContext,
                ncKind,
                NC_TRANSITIONS,
                n,
                { userId: p.id, roles: [] },
              ),
            ),
          ]),
        },
        recordKey: n._id,
      };
    }),
  );
}

export const ncKind: RecordKindDef = {
  id: "nc",
  evidence: { clauses: ["8.7"], title: "Nonconforming outputs", finished: ["closed"] },
  kind: "nc",
  model: NonconformingOutputModel as never,
  noun: "nonconforming output",
  plural: "nonconforming outputs",
  prefix: "NC",
  refPattern: /^NC-\d{4}-\d{4,}$/i,
  command: { name: "nc" },
  postField: "triageMessage",
  registerRoles: ["qm", "top_management", "auditor"],
  help: [
    { usage: "nc [text]", text: "report a nonconforming output (a form; ISO 9001 8.7)" },
    { usage: "nc list [open|mine|all]", text: "the nonconforming outputs register" },
    {
      usage: "nc NC-2026-0001",
      text: "one nonconforming output: its disposition, concession and verification, with its history",
    },
  ],
  involves: (record: RecordBase, userId: string) => {
    const n = record as NonconformingOutput;
    return n.reporter.id === userId || n.owner?.id === userId;
  },
  typed: (ctx, args) =>
    recordCommand(ncKind, register, ctx, wordsOf(args), async () => {
      const typed = textOf(args);
      return { kind: "form", form: ncForm(ctx, typed ? { title: typed.slice(0, 150) } : {}) };
    }),
  actions: {
    ...Object.fromEntries(
      NC_TRANSITIONS.map((spec): [string, ActionHandler] => [
        buttonId({ id: "nc" }, spec),
        (action) => pressTransition(ncKind, spec, action),
      ]),
    ),
    [RAISE_ACTION]: async (action) => {
      const n = await loadByRef<NonconformingOutput>(action.ctx, ncKind, action.target.ref, action.target.ws);
      return raiseActionForm(action.ctx, n.ref ?? "", `${n.title} (${n.whereFound})`);
    },
    [FORM]: submitNc,
  },
  card: (ctx, record, viewer) => ncCard(ctx, record as NonconformingOutput, viewer),
  reminders: ncReminders,
  async reviewInput(ctx, period) {
    const all = (await NonconformingOutputModel.find({
      workspaceId: ctx.workspaceId,
    }).lean()) as NonconformingOutput[];
    const inPeriod = all.filter((n) => n.createdAt >= period.start && n.createdAt < period.end);
    const concessions = inPeriod.filter((n) => n.disposition === "use_as_is_under_concession").length;
    const open = inPeriod.filter((n) => n.state !== "closed").length;
    const byDisposition = Object.fromEntries(
      Object.keys(DISPOSITION_NAMES).map((d) => [d, inPeriod.filter((n) => n.disposition === d).length]),
    );
    const shown = Object.entries(byDisposition)
      .filter(([, count]) => count > 0)
      .map(([d, count]) => `${DISPOSITION_NAMES[d as keyof typeof DISPOSITION_NAMES]} ${count}`)
      .join(", ");
    return {
      clause: "c4",
      line: rich`Nonconforming outputs (8.7): ${inPeriod.length} reported, ${open} not yet closed, ${concessions} used as is under concession${shown ? `; dispositions: ${shown}` : ""}`,
      figures: { reported: inPeriod.length, open, concessions, ...byDisposition },
    };
  },
  forms: { [FORM]: FIELDS },
};
