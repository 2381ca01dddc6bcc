import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { createRecord, loadRecord } from "../../db/history.js";
import type { Effect } from "../../db/historyModels.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { cancelDeliveries } from "../../outbox/enqueue.js";
import { dayOf } from "../../time/zone.js";
import { answer, withNotice } from "../../views/build.js";
import { cmd, day, person, rich } from "../../views/rich.js";
import type { Answer, FieldView, FormView } from "../../views/types.js";
import { dueOn, fieldChecks, parseForm, peopleFor, personById, pick, requireDay, today } from "../common.js";
import { applyEffects, registerEffect, runEffect } from "../effects.js";
import type { Action, RecordKindDef, StatefulRecord } from "../kind.js";
import { createReferenced, loadByRef, mayPerform, referenceStream } from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { formAnswerNotice, type Notice, notifyEffect } from "../notify.js";
import { defForRef } from "../refs.js";
import { viewerFor } from "../registers.js";
import { readWorkspace, requireWorkspace, rolesOf, zoneOf } from "../workspace/access.js";
import { dueReminderIds, effectivenessIds } from "./lifecycle.js";
import type { ActionSource, CorrectiveAction } from "./model.js";

const text = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} can be at most ${max.toLocaleString("en")} characters.`);

export const actionInput = z.object({
  problem: text(3000, "The problem statement").min(3, "Describe the problem (3 to 3,000 characters)."),
  containment: text(3000, "The containment").default(""),
  rootCause: text(3000, "The root cause").default(""),
  plan: text(3000, "The plan").default(""),
  actionType: z
    .enum(["corrective", "preventive"], { message: "Choose corrective or preventive." })
    .default("corrective"),
  ownerId: z.string({ message: "Choose an owner." }).trim().min(1, "Choose an owner."),
  dueDate: z.string({ message: "Choose a due date." }).trim().min(1, "Choose a due date."),
});

const FIELDS = ["problem", "containment", "rootCause", "plan", "actionType", "ownerId", "dueDate"];
export const NEW_ACTION_FORM = "action.new";

export function actionFormFields(people: PersonRef[]): FieldView[] {
  return [
    { type: "text", id: "problem", label: "Problem statement", max: 3000, multiline: true },
    {
      type: "text",
      id: "containment",
      label: "Containment (what was done right away)",
      max: 3000,
      multiline: true,
      optional: true,
    },
    {
      type: "text",
      id: "rootCause",
      label: "Root cause (five whys: why? why? why? why? why?)",
      max: 3000,
      multiline: true,
      optional: true,
    },
    { type: "text", id: "plan", label: "Plan", max: 3000, multiline: true, optional: true },
    { type: "person", id: "ownerId", label: "Owner", people },
    { type: "date", id: "dueDate", label: "Due date" },
    {
      type: "choice",
      id: "actionType",
      label: "Type",
      options: [
        { value: "corrective", label: "corrective" },
        { value: "preventive", label: "preventive" },
      ],
    },
  ];
}

/** The form to open an action, for a source record (a complaint, an idea, a nonconformity) or none. */
export async function actionForm(
  ctx: CommandContext,
  sourceRef: string | null,
  values: Record<string, string> = {},
  errors?: Record<string, string>,
): Promise<FormView> {
  return {
    id: NEW_ACTION_FORM,
    title: sourceRef ? `Action for ${sourceRef}` : "New corrective action",
    submit: "Open action",
    fields: actionFormFields(await peopleFor(ctx)),
    target: { ws: ctx.workspaceId, ...(sourceRef ? { source: sourceRef } : {}) },
    values: { actionType: "corrective", ...values },
    ...(errors ? { errors } : {}),
  };
}

const SOURCE_OF: Record<string, ActionSource> = { complaint: "complaint", idea: "idea", nc: "nonconformity" };
const CLOSED = ["rejected", "closed", "implemented"];

/**
 * Whether this person may raise an action from this record (its owner or a QM), checked before
 * the form is shown and again when it is submitted.
 */
async function sourceFor(
  ctx: CommandContext,
  sourceRef: string,
): Promise<{ def: RecordKindDef; record: StatefulRecord }> {
  const def = defForRef(sourceRef);
  if (!def || !SOURCE_OF[def.id])
    throw new QopsError(
      "invalid_input",
      `Actions are raised from a complaint, an idea or a nonconformity, not from "${sourceRef.slice(0, 30)}".`,
    );
  const record = await loadByRef<StatefulRecord>(ctx, def, sourceRef);
  const workspace = await requireWorkspace(ctx);
  if (!mayPerform("owner_or_qm", record, ctx.actor.id, rolesOf(workspace, ctx.actor.id)))
    throw new QopsError(
      "forbidden",
      `Only the owner of ${record.ref}${record.owner ? ` (${record.owner.name})` : ""} or a quality manager can raise an action from it. Nothing was changed.`,
    );
  if (CLOSED.includes(record.state))
    throw new QopsError(
      "invalid_transition",
      `${record.ref} is ${record.state}; actions cannot be raised from it. Nothing was changed.`,
    );
  return { def, record };
}

/** The "Raise corrective action" button: the permission first, then the form, prefilled. */
export async function raiseActionForm(
  ctx: CommandContext,
  sourceRef: string,
  problem: string,
): Promise<Answer> {
  await sourceFor(ctx, sourceRef);
  return { kind: "form", form: await actionForm(ctx, sourceRef, { problem: problem.slice(0, 3000) }) };
}

/** `qms action new`: a QM opens an action directly (checked before the form is shown). */
export async function newActionForm(ctx: CommandContext): Promise<Answer> {
  const workspace = await requireWorkspace(ctx);
  if (!rolesOf(workspace, ctx.actor.id).includes("qm"))
    throw new QopsError(
      "forbidden",
      "Only a quality manager can open an action directly. Nothing was changed.",
    );
  return { kind: "form", form: await actionForm(ctx, null) };
}

/**
 * Opens a corrective or preventive action from the form, manually (a QM) or from a complaint,
 * idea or nonconformity (its owner or a QM). The link on the source and the owner's message are
 * effects of the creation.
 */
export async function submitAction(def: RecordKindDef, action: Action): Promise<Answer> {
  const { ctx } = action;
  if (action.target.ws !== ctx.workspaceId)
    throw new QopsError("forbidden", "This form belongs to another workspace. Nothing was saved.");
  const values = pick(action.inputs, FIELDS);
  const sourceRef = action.target.source ?? null;
  const workspace = await requireWorkspace(ctx);
  const invalid = async (errors: Record<string, string>): Promise<Answer> => ({
    kind: "invalid",
    form: await actionForm(ctx, sourceRef, clean(values), errors),
  });
  const form = fieldChecks();
  const parsed = await form.check(() => parseForm(actionInput, values, "corrective action"));
  const dueDay = await form.check(() =>
    requireDay(values.dueDate, "dueDate", "the due date", today(ctx, workspace)),
  );
  const owner = await form.check(() => personById(ctx, values.ownerId, "ownerId", "an owner"));
  if (!parsed || !dueDay || !owner || Object.keys(form.errors).length) return invalid(form.errors);
  const fields: z.infer<typeof actionInput> = parsed;
  const source = sourceRef ? await sourceFor(ctx, sourceRef) : null;
  if (!source && !rolesOf(workspace, ctx.actor.id).includes("qm"))
    throw new QopsError(
      "forbidden",
      "Only a quality manager can open an action directly. Nothing was changed.",
    );
  await ensureMember(ctx);
  await ensureMember(ctx, owner);
  const result = await createReferenced<CorrectiveAction>(
    ctx,
    def,
    {
      state: "open",
      actionType: fields.actionType,
      source: source ? (SOURCE_OF[source.def.id] ?? "manual") : "manual",
      sourceRef: source?.record.ref ?? null,
      problem: fields.problem,
      containment: fields.containment,
      rootCause: fields.rootCause,
      plan: fields.plan,
      owner,
      ...dueOn(dueDay, workspace),
      doneAt: null,
      effectivenessCheckDay: null,
      effectivenessCheckAt: null,
      reopenReason: null,
      snoozedUntil: null,
      createdBy: ctx.actor,
    },
    {
      effects: (ref, recordKey) => [
        ...(source
          ? [
              {
                type: "link",
                kind: source.def.kind,
                recordKey: source.record._id,
                field: "linkedActions",
                value: ref,
              },
            ]
          : []),
        ...notifyEffect(ctx, { workspaceId: ctx.workspaceId, record: ref, recordKey, seq: 1 }, [
          ...ownerNotice(ctx, ref, recordKey, owner, dueDay),
          ...formAnswerNotice(
            ctx,
            answer(
              rich`✅ Opened ${ref}${source ? ` for ${source.record.ref}` : ""}, owner ${person(owner)}, due ${day(dueDay)}.`,
              "good",
            ),
          ),
        ]),
      ],
    },
  );
  const a = result.record;
  const card = await def.card(ctx, a, viewerFor(ctx, workspace));
  if (!result.created)
    return { kind: "done", view: withNotice(card, rich`This form was already sent: it is ${a.ref}.`) };
  return {
    kind: "done",
    view: withNotice(
      card,
      rich`✅ Opened ${a.ref}${source ? ` for ${source.record.ref}` : ""}, owner ${person(a.owner)}, due ${day(dueDay)}.${result.followedUp ? "" : " Telling the owner failed for now and is retried automatically."}`,
    ),
  };
}

/** The owner gets the action's card, drawn when it goes out, with the buttons they may press. */
function ownerNotice(
  ctx: CommandContext,
  ref: string,
  recordKey: string,
  owner: PersonRef,
  dueDay: string,
): Notice[] {
  if (owner.id === ctx.actor.id) return [];
  return [
    {
      to: owner.id,
      about: `owner:${owner.id}`,
      dynamic: {
        type: "card",
        kind: "action",
        recordKey,
        line: rich`🛠️ ${ctx.actor.name} opened ${ref} for you, due ${day(dueDay)}. See it with ${cmd(`qms action ${ref}`)}.`,
      },
    },
  ];
}

/**
 * An action raised by another record's change (an audit finding, a review decision): created
 * once under the change's key, then linked back, each step safe to run again after a crash.
 */
export interface RaiseActionEffect extends Effect {
  type: "raiseAction";
  key: string;
  source: ActionSource;
  sourceRef: string;
  problem: string;
  owner: PersonRef;
  dueDay: string;
  actionType: "corrective" | "preventive";
  /** The effect that links the new action back, with `{action}` standing for its reference. */
  link: Effect;
}

registerEffect("raiseAction", async (effect, event) => {
  const e = effect as RaiseActionEffect;
  const workspace = await readWorkspace(event.workspaceId);
  if (!workspace) throw new Error(`no workspace ${event.workspaceId}`);
  const year = Number(dayOf(event.at, zoneOf(workspace)).slice(0, 4));
  const { stream, keyFor } = referenceStream(event.workspaceId, "CA", year);
  const {
    record,
    created,
    event: first,
    pendingId,
  } = await createRecord<CorrectiveAction>({
    kind: "action",
    workspaceId: event.workspaceId,
    stream,
    keyFor,
    actor: event.actor,
    at: event.at,
    idempotencyKey: e.key,
    keyIsIdentity: true,
    fields: {
      state: "open",
      actionType: e.actionType,
      source: e.source,
      sourceRef: e.sourceRef,
      problem: e.problem.slice(0, 3000),
      containment: "",
      rootCause: "",
      plan: "",
      owner: e.owner,
      ...dueOn(e.dueDay, workspace),
      doneAt: null,
      effectivenessCheckDay: null,
      effectivenessCheckAt: null,
      reopenReason: null,
      snoozedUntil: null,
      createdBy: event.actor,
      stateChangedBy: event.actor,
      stateChangedAt: event.at,
    },
    effects: (n) => {
      const ref = keyFor(n).ref;
      const ctx = { workspaceId: event.workspaceId, actor: event.actor, now: event.at } as CommandContext;
      return notifyEffect(
        ctx,
        { workspaceId: event.workspaceId, record: ref, recordKey: keyFor(n).recordKey, seq: 1 },
        [
          ...(e.owner.id === event.actor.id
            ? []
            : [
                {
                  to: e.owner.id,
                  about: `owner:${e.owner.id}`,
                  view: answer(
                    rich`🛠️ ${event.actor.name} raised ${ref} for you from ${e.sourceRef}, due ${day(e.dueDay)}: ${e.problem.slice(0, 200)}. See it with ${cmd(`qms action ${ref}`)}.`,
                  ),
                },
              ]),
        ],
      );
    },
  });
  // The new action's own follow-ups (telling its owner); if they fail, they stay pending.
  if (created && !(await applyEffects(first, pendingId)))
    throw new Error(`follow-ups of ${record.ref} failed`);
  const link = JSON.parse(JSON.stringify(e.link).replaceAll("{action}", record.ref ?? "")) as Effect;
  await runEffect(link, event);
});

registerEffect("cancelActionReminders", async (effect, event) => {
  const a = await loadRecord<CorrectiveAction>("action", String(effect.recordKey));
  const workspace = await readWorkspace(event.workspaceId);
  if (!a || !workspace) return;
  const ctx = { now: event.at } as CommandContext;
  const ids = [
    ...dueReminderIds(a, workspace, ctx),
    ...effectivenessIds(
      a,
      workspace,
      (effect.effectivenessDay as string | null | undefined) ?? a.effectivenessCheckDay,
    ),
  ];
  await cancelDeliveries(ids, String(effect.reason ?? "no longer needed"), event.at);
});

const clean = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string>;
