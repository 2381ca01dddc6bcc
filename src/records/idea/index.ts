import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import type { RecordBase } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { deliveryId } from "../../outbox/enqueue.js";
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
import { channel, person, type Rich, rich, strong } from "../../views/rich.js";
import type { Answer, ButtonView, FieldView } from "../../views/types.js";
import { raiseActionForm } from "../action/commands.js";
import { creationForm, parseForm, peopleFor, pick } from "../common.js";
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
import { requireWorkspace } from "../workspace/access.js";
import { IDEA_TRANSITIONS } from "./lifecycle.js";
import { type ImprovementIdea, ImprovementIdeaModel, OPEN_IDEA_STATES } from "./model.js";

export const ideaInput = z.object({
  title: z
    .string()
    .trim()
    .min(3, "Give the idea a short title (3 to 150 characters).")
    .max(150, "The title can be at most 150 characters."),
  description: z.string().trim().max(3000, "The description can be at most 3,000 characters.").default(""),
  expectedBenefit: z
    .string()
    .trim()
    .max(1000, "The expected benefit can be at most 1,000 characters.")
    .default(""),
});

const FORM = "idea.new";
const RAISE_ACTION = "idea.raise_action";
const FIELDS: FieldView[] = [
  { type: "text", id: "title", label: "Title", max: 150 },
  { type: "text", id: "description", label: "Description", max: 3000, multiline: true, optional: true },
  {
    type: "text",
    id: "expectedBenefit",
    label: "Expected benefit",
    max: 1000,
    multiline: true,
    optional: true,
  },
];

const ideaForm = (ctx: CommandContext, values?: Record<string, string>, errors?: Record<string, string>) =>
  creationForm(
    ctx,
    { id: FORM, title: "Suggest an improvement", submit: "Submit idea", fields: FIELDS },
    values,
    errors,
  );

async function submitIdea(action: Action): Promise<Answer> {
  const { ctx } = action;
  if (action.target.ws !== ctx.workspaceId)
    throw new QopsError("forbidden", "This form belongs to another workspace. Nothing was saved.");
  const values = pick(action.inputs, ["title", "description", "expectedBenefit"]);
  let fieldsIn: z.infer<typeof ideaInput>;
  try {
    fieldsIn = parseForm(ideaInput, values, "idea");
  } catch (error) {
    if (error instanceof QopsError && error.fieldErrors)
      return { kind: "invalid", form: ideaForm(ctx, values as Record<string, string>, error.fieldErrors) };
    throw error;
  }
  const workspace = await requireWorkspace(ctx);
  await ensureMember(ctx);
  const quality = workspace.qualityChannelId;
  const said = (ref: string): Rich =>
    rich`💡 Thanks — your idea ${ref} is submitted${quality ? [" and posted in ", channel(quality), " for votes"] : ""}. A quality manager will approve or reject it.`;
  const result = await createReferenced<ImprovementIdea>(
    ctx,
    ideaKind,
    (ref) => ({
      ...fieldsIn,
      state: "submitted",
      submitter: ctx.actor,
      owner: null,
      votes: [],
      rejectionReason: null,
      linkedActions: [],
      post: quality ? deliveryId(ctx.workspaceId, `${ref}:1:post`, quality) : null,
      channelMessage: null,
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
                  dynamic: { type: "card", kind: "idea", recordKey },
                },
              ]
            : []),
          ...formAnswerNotice(ctx, answer(said(ref), "good")),
        ];
        return notifyEffect(ctx, { workspaceId: ctx.workspaceId, record: ref, recordKey, seq: 1 }, notices);
      },
    },
  );
  const card = await ideaKind.card(ctx, result.record, viewerFor(ctx, workspace));
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

function raiseActionButton(i: ImprovementIdea, viewer: Viewer): ButtonView[] {
  if (!["approved", "in_progress"].includes(i.state)) return [];
  if (viewer !== "channel" && !mayPerform("owner_or_qm", i, viewer.userId, viewer.roles)) return [];
  return [{ id: RAISE_ACTION, label: "Create action", target: { ws: i.workspaceId, ref: i.ref ?? "" } }];
}

async function ideaCard(ctx: CommandContext, i: ImprovementIdea, viewer: Viewer) {
  const ref = i.ref ?? "";
  const blocks = [
    heading(rich`${ref} · ${i.title}`),
    fields([
      ["Submitted by", [person(i.submitter)]],
      ["Votes", String(i.votes.length)],
      ["Owner", i.owner ? [person(i.owner)] : "not assigned"],
      ["Actions", i.linkedActions.length ? i.linkedActions.join(", ") : "none"],
    ]),
    ...(i.description ? [paragraph(i.description)] : []),
    ...(i.expectedBenefit ? [paragraph(`Expected benefit: ${i.expectedBenefit}`)] : []),
    context(stateLine(i)),
    ...(i.state === "rejected" && i.rejectionReason ? [paragraph(`Reason: ${i.rejectionReason}`)] : []),
    ...buttons([...buttonsFor(ctx, ideaKind, IDEA_TRANSITIONS, i, viewer), ...raiseActionButton(i, viewer)]),
  ];
  if (OPEN_IDEA_STATES.includes(i.state) && (viewer === "channel" || viewer.roles.includes("qm")))
    blocks.push(
      picker({
        id: "idea.assign",
        label: i.owner ? "Change owner" : "Assign owner",
        target: { ws: i.workspaceId, ref },
        current: i.owner,
        people: await peopleFor(ctx),
      }),
    );
  return {
    ...message(rich`${ref}: ${i.title} (${i.votes.length} votes)`, blocks),
    refresh: { ws: i.workspaceId, ref },
  };
}

const ideaLine = (i: ImprovementIdea): Rich =>
  rich`💡 ${strong(i.ref)} · ${words(i.state)} · 👍 ${i.votes.length} · ${i.title}`;

const register: RegisterSpec<ImprovementIdea> = {
  filters: ["open", "top", "mine", "all"],
  title: "Ideas",
  empty: "No ideas match.",
  load: async (ctx, filter) => {
    const query =
      filter === "all"
        ? { workspaceId: ctx.workspaceId }
        : { workspaceId: ctx.workspaceId, state: { $in: OPEN_IDEA_STATES } };
    let items = (await ImprovementIdeaModel.find(query).lean()) as ImprovementIdea[];
    if (filter === "mine")
      items = items.filter((i) => i.submitter.id === ctx.actor.id || i.owner?.id === ctx.actor.id);
    return items.sort((a, b) =>
      filter === "top" ? b.votes.length - a.votes.length : b.createdAt.getTime() - a.createdAt.getTime(),
    );
  },
  line: ideaLine,
};

export const ideaKind: RecordKindDef = {
  id: "idea",
  evidence: { clauses: ["10.3"], title: "Improvement ideas", finished: ["rejected", "implemented"] },
  kind: "idea",
  model: ImprovementIdeaModel as never,
  noun: "improvement idea",
  plural: "ideas",
  prefix: "IDEA",
  refPattern: /^IDEA-\d{4}-\d{4,}$/i,
  command: { name: "idea" },
  postField: "channelMessage",
  help: [
    { usage: "idea [text]", text: "suggest an improvement (a form; the text prefills it)" },
    { usage: "idea list [open|top|mine|all]", text: "ideas, or the most voted" },
    { usage: "idea IDEA-2026-0003", text: "one idea with its history (vote with the button)" },
  ],
  involves: (record: RecordBase, userId: string) => {
    const i = record as ImprovementIdea;
    return i.submitter.id === userId || i.owner?.id === userId;
  },
  typed: (ctx, args) =>
    recordCommand(ideaKind, register, ctx, wordsOf(args), async () => {
      const typed = textOf(args);
      return { kind: "form", form: ideaForm(ctx, typed ? { title: typed.slice(0, 150) } : {}) };
    }),
  actions: {
    ...Object.fromEntries(
      IDEA_TRANSITIONS.map((spec): [string, ActionHandler] => [
        buttonId({ id: "idea" }, spec),
        (action) =>
          pressTransition(ideaKind, spec, action, (i, ctx) =>
            spec.id === "vote"
              ? rich`✅ ${i.ref} ${i.votes.includes(ctx.actor.id) ? "got your vote" : "lost your vote"} (now ${i.votes.length}).`
              : spec.id === "assign"
                ? rich`✅ ${i.ref} assigned to ${i.owner?.name ?? ""} by ${ctx.actor.name}.`
                : rich`✅ ${i.ref} ${spec.done} by ${ctx.actor.name}.`,
          ),
      ]),
    ),
    [RAISE_ACTION]: async (action) => {
      const i = await loadByRef<ImprovementIdea>(action.ctx, ideaKind, action.target.ref, action.target.ws);
      return raiseActionForm(action.ctx, i.ref ?? "", i.title);
    },
    [FORM]: submitIdea,
  },
  card: (ctx, record, viewer) => ideaCard(ctx, record as ImprovementIdea, viewer),
  forms: { [FORM]: FIELDS },
};
