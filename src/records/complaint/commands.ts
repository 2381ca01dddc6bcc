import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import { deliveryId } from "../../outbox/enqueue.js";
import { addDays } from "../../time/zone.js";
import { answer, withNotice } from "../../views/build.js";
import { at, channel, cmd, day, type Rich, rich, safeUrl } from "../../views/rich.js";
import type { Answer, FieldView, FormView } from "../../views/types.js";
import { dueOn, parseForm, pick, today } from "../common.js";
import type { Action, RecordKindDef } from "../kind.js";
import { createReferenced } from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { formAnswerNotice, type Notice, notifyEffect } from "../notify.js";
import { viewerFor } from "../registers.js";
import { requireWorkspace } from "../workspace/access.js";
import { COMPLAINT_CATEGORIES, type Complaint, SEVERITIES, type SourceMessage } from "./model.js";

const text = (max: number, label: string) =>
  z
    .string({ message: `${label} must be text.` })
    .trim()
    .max(max, `${label} can be at most ${max.toLocaleString("en")} characters.`);

export const complaintInput = z.object({
  title: text(150, "The title").min(3, "Give the complaint a short title (3 to 150 characters)."),
  description: text(3000, "The description").default(""),
  customer: text(200, "The customer name").default(""),
  productRef: text(100, "The product or order reference").default(""),
  severity: z.enum(SEVERITIES, { message: "Choose a severity: low, medium, high or critical." }),
  category: z.enum(COMPLAINT_CATEGORIES, { message: "Choose a category." }).default("other"),
});

const FIELDS = ["title", "description", "customer", "productRef", "severity", "category"];

export const COMPLAINT_FORM_FIELDS: FieldView[] = [
  { type: "text", id: "title", label: "Title", max: 150, placeholder: "What went wrong, in a line" },
  { type: "text", id: "description", label: "Description", max: 3000, multiline: true, optional: true },
  { type: "text", id: "customer", label: "Customer", max: 200, optional: true },
  { type: "text", id: "productRef", label: "Product or order reference", max: 100, optional: true },
  {
    type: "choice",
    id: "severity",
    label: "Severity",
    options: SEVERITIES.map((s) => ({ value: s, label: s })),
  },
  {
    type: "choice",
    id: "category",
    label: "Category",
    options: COMPLAINT_CATEGORIES.map((c) => ({ value: c, label: c })),
  },
];

export const NEW_COMPLAINT_FORM = "complaint.new";

/** The form to log a complaint, prefilled (from the command's text, or the message it is logged from). */
export function complaintForm(
  ctx: CommandContext,
  values: Record<string, string> = {},
  source: SourceMessage | null = null,
  errors?: Record<string, string>,
): FormView {
  return {
    id: NEW_COMPLAINT_FORM,
    title: "Log a complaint",
    submit: "Log complaint",
    fields: COMPLAINT_FORM_FIELDS,
    target: { ws: ctx.workspaceId, ...(source ? { source: JSON.stringify(source) } : {}) },
    values: { severity: "medium", category: "product", ...values },
    ...(errors ? { errors } : {}),
  };
}

/** The form, prefilled from what was typed after the command. */
export function prefilledForm(ctx: CommandContext, typed: string): Answer {
  const values: Record<string, string> = !typed
    ? {}
    : typed.length > 150
      ? { title: typed.slice(0, 150), description: typed }
      : { title: typed };
  return { kind: "form", form: complaintForm(ctx, values) };
}

/** The message a complaint was logged from, as the adapter passed it on; only web links are kept. */
function sourceOf(raw: string | undefined): SourceMessage | null {
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Record<keyof SourceMessage, unknown>>;
    const str = (v: unknown) => (typeof v === "string" && v.length < 500 ? v : null);
    const postedAt = str(s.postedAt);
    return {
      permalink: s.permalink && safeUrl(String(s.permalink)) ? String(s.permalink) : null,
      authorId: str(s.authorId),
      postedAt: postedAt && !Number.isNaN(Date.parse(postedAt)) ? new Date(postedAt) : null,
      channelId: str(s.channelId),
    };
  } catch {
    // Not something QOps wrote: the complaint is logged without a source.
    return null;
  }
}

/**
 * Any employee logs a complaint; it is due after its severity's SLA (a day in the workspace's
 * zone). It is posted for triage in the quality channel, and the reporter is answered, as
 * effects of the creation: both happen once, after a crash too.
 */
export async function submitComplaint(def: RecordKindDef, action: Action): Promise<Answer> {
  const { ctx } = action;
  if (action.target.ws !== ctx.workspaceId)
    throw new QopsError("forbidden", "This form belongs to another workspace. Nothing was saved.");
  const values = pick(action.inputs, FIELDS);
  const source = sourceOf(action.target.source);
  let fields: z.infer<typeof complaintInput>;
  try {
    fields = parseForm(complaintInput, values, "complaint");
  } catch (error) {
    if (error instanceof QopsError && error.fieldErrors)
      return {
        kind: "invalid",
        form: complaintForm(ctx, clean(values), source, error.fieldErrors),
      };
    throw error;
  }
  const workspace = await requireWorkspace(ctx);
  await ensureMember(ctx);
  const due = dueOn(addDays(today(ctx, workspace), workspace.slaDays[fields.severity]), workspace);
  const quality = workspace.qualityChannelId;
  const result = await createReferenced<Complaint>(
    ctx,
    def,
    (ref) => ({
      ...fields,
      state: "new",
      reporter: ctx.actor,
      owner: null,
      ...due,
      source,
      linkedActions: [],
      customerNotified: null,
      rejectionReason: null,
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
                  dynamic: { type: "card", kind: def.kind, recordKey },
                },
              ]
            : []),
          ...formAnswerNotice(ctx, answer(loggedText(ref, fields.severity, due.dueDay, quality), "good")),
        ];
        return notifyEffect(ctx, { workspaceId: ctx.workspaceId, record: ref, recordKey, seq: 1 }, notices);
      },
    },
  );
  const c = result.record;
  const card = await def.card(ctx, c, viewerFor(ctx, workspace));
  if (!result.created)
    return {
      kind: "done",
      view: withNotice(card, rich`This form was already sent: it is ${c.ref}, logged ${at(c.createdAt)}.`),
    };
  const line = result.followedUp
    ? loggedText(c.ref ?? "", c.severity, due.dueDay, quality)
    : rich`✅ Logged ${c.ref} — ${c.severity}, due ${day(due.dueDay)}; posting it to the quality channel failed for now and is retried automatically.`;
  return { kind: "done", view: withNotice(card, line) };
}

function loggedText(ref: string, severity: string, dueDay: string, quality: string | null): Rich {
  const where = quality
    ? rich`It is posted for triage in ${channel(quality)}.`
    : rich`No quality channel is set yet, so the quality managers see it in ${cmd("qms mine")}.`;
  return rich`✅ Logged ${ref} — ${severity}, due ${day(dueDay)}. ${where} You will hear when it is accepted; see it any time with ${cmd(`complaint ${ref}`)}.`;
}

const clean = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string>;
