import { type CommandContext, requestKey, words } from "../commands/context.js";
import { transition } from "../db/history.js";
import type { Effect, HistoryEvent } from "../db/historyModels.js";
import type { RecordBase } from "../db/recordBase.js";
import { QopsError } from "../errors.js";
import { answer, withNotice } from "../views/build.js";
import { at, type Rich, rich } from "../views/rich.js";
import type { Answer, ButtonView, FieldView, FormView, MessageView } from "../views/types.js";
import { applyEffects } from "./effects.js";
import type { Action, RecordKindDef, StatefulRecord, Viewer } from "./kind.js";
import { formAnswerNotice, type Notice, notifyEffect, postUpdateEffect } from "./notify.js";
import { loadByRef } from "./references.js";
import { forbidden, requireWorkspace, rolesOf } from "./workspace/access.js";
import type { Role, Workspace } from "./workspace/model.js";

/** Who may perform a transition: a role, the record's owner or a QM, anyone, or a rule of its own. */
export type Performer =
  | "qm"
  | "owner_or_qm"
  | "anyone"
  | { roles: Role[] }
  | { rule: (record: StatefulRecord, userId: string, roles: Role[]) => boolean; who: string };

/** One named transition (or change that keeps the state), declared once per kind. */
export interface TransitionSpec<R extends StatefulRecord, P = Record<string, never>> {
  /** The button id's last part: `accept` → `complaint.accept`. */
  id: string;
  /** The history event's type. */
  event: string | ((record: R, ctx: CommandContext) => string);
  from: readonly string[];
  /** The new state; absent for a change that keeps it (a vote, an owner). */
  to?: string;
  who: Performer;
  /** The button's label; a function when it depends on the record or viewer (a vote count). */
  label: string | ((record: R, viewer: Viewer) => string);
  style?: "primary" | "danger";
  /** Past tense for messages: "accepted", "moved to investigating". */
  done: string;
  /** What a refusal says the person could not do: "accept complaints". */
  action: string;
  /** Fields the press needs first (a reason, a date); asked before anything changes. */
  input?: (record: R, ctx: CommandContext) => FieldView[];
  /** The inputs, checked; throws a QopsError with field errors. */
  parse?: (inputs: Action["inputs"], record: R, ctx: CommandContext, workspace: Workspace) => P | Promise<P>;
  /** What changes besides the state. */
  apply?: (record: R, parsed: P, ctx: CommandContext, workspace: Workspace) => Record<string, unknown>;
  /** A rule checked inside the write (throws a QopsError). */
  check?: (record: R, parsed: P, ctx: CommandContext, workspace: Workspace) => void;
  reason?: (parsed: P) => string | null;
  /** Who is told, decided with the change (`after` is the record as the change leaves it). */
  notices?: (after: R, before: R, ctx: CommandContext, parsed: P, workspace: Workspace) => Notice[];
  /** Other follow-ups (a linked record to create), decided with the change. */
  effects?: (after: R, before: R, ctx: CommandContext, parsed: P, seq: number) => Effect[];
  /** Whether the button shows at all for this record and viewer (beyond state and performer). */
  shows?: (record: R, viewer: Viewer) => boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a kind's table holds specs of different input shapes.
export type AnySpec<R extends StatefulRecord> = TransitionSpec<R, any>;

export const buttonId = (def: Pick<RecordKindDef, "id">, spec: { id: string }) => `${def.id}.${spec.id}`;

// ---------------------------------------------------------------- who may

export function mayPerform(who: Performer, record: StatefulRecord, userId: string, roles: Role[]): boolean {
  if (who === "anyone") return true;
  if (who === "qm") return roles.includes("qm");
  if (who === "owner_or_qm") return roles.includes("qm") || record.owner?.id === userId;
  if ("roles" in who) return who.roles.some((r) => roles.includes(r));
  return who.rule(record, userId, roles);
}

function performerRefusal(
  spec: { who: Performer; action: string },
  record: StatefulRecord,
  workspace: Workspace,
): QopsError {
  const who = spec.who;
  if (who === "qm") return forbidden(workspace, ["qm"], spec.action);
  if (typeof who === "object" && "roles" in who) return forbidden(workspace, who.roles, spec.action);
  const text =
    who === "owner_or_qm"
      ? `the owner of ${record.ref}${record.owner ? ` (${record.owner.name})` : ""} or a quality manager`
      : typeof who === "object" && "who" in who
        ? who.who
        : "someone else";
  return new QopsError("forbidden", `Only ${text} can ${spec.action}. Nothing was changed.`);
}

/** Why a transition cannot happen from the record's state, naming who moved it there and when. */
export function stateRefusal(
  record: StatefulRecord,
  spec: { done: string; to?: string; from: readonly string[]; action: string },
) {
  const since = rich`by ${record.stateChangedBy.name}, ${at(record.stateChangedAt)}`;
  if (spec.to && record.state === spec.to)
    return new RefusalError(
      rich`${record.ref ?? ""} was already ${spec.done} ${since}. Nothing was changed.`,
    );
  return new RefusalError(
    rich`${record.ref ?? ""} is ${words(record.state)} (${since}); it can be ${spec.done} only while ${spec.from.map(words).join(" or ")}. Nothing was changed.`,
  );
}

/** A refusal whose message names an instant (who acted, when), shown in the reader's zone. */
export class RefusalError extends QopsError {
  constructor(text: Rich) {
    super("invalid_transition", text);
  }
}

// ---------------------------------------------------------------- buttons

/** The buttons a viewer sees on a record, from its kind's transition table. */
export function buttonsFor<R extends StatefulRecord>(
  ctx: CommandContext,
  def: RecordKindDef,
  specs: readonly AnySpec<R>[],
  record: R,
  viewer: Viewer,
): ButtonView[] {
  const out: ButtonView[] = [];
  for (const spec of specs) {
    if (!spec.from.includes(record.state)) continue;
    if (viewer !== "channel" && !mayPerform(spec.who, record, viewer.userId, viewer.roles)) continue;
    if (spec.shows && !spec.shows(record, viewer)) continue;
    const label = typeof spec.label === "function" ? spec.label(record, viewer) : spec.label;
    const target = { ws: record.workspaceId, ref: record.ref ?? "" };
    out.push({
      id: buttonId(def, spec),
      label,
      target,
      ...(spec.style ? { style: spec.style } : {}),
      ...(spec.input ? { form: formFor(def, spec, record, ctx, label) } : {}),
    });
  }
  return out;
}

function formFor<R extends StatefulRecord>(
  def: RecordKindDef,
  spec: AnySpec<R>,
  record: R,
  ctx: CommandContext,
  label: string,
  errors?: Record<string, string>,
  values?: Action["inputs"],
): FormView {
  return {
    id: buttonId(def, spec),
    title: `${label} ${record.ref ?? ""}`.trim().slice(0, 60),
    submit: label,
    fields: spec.input?.(record, ctx) ?? [],
    target: { ws: record.workspaceId, ref: record.ref ?? "" },
    ...(errors ? { errors } : {}),
    ...(values ? { values: clean(values) } : {}),
  };
}

const clean = (values: Action["inputs"]) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | string[]
  >;

export function viewerOf(action: Action, workspace: Workspace): Viewer {
  return action.source === "channel"
    ? "channel"
    : { userId: action.ctx.actor.id, roles: rolesOf(workspace, action.ctx.actor.id) };
}

// ---------------------------------------------------------------- running a transition

export interface TransitionDone<R> {
  record: R;
  before: R;
  event: HistoryEvent;
  replayed: boolean;
  /** Whether its follow-ups (messages, links) are done; if not, the repair job finishes them. */
  followedUp: boolean;
}

/**
 * Runs a named transition for a press or a form: the record in this workspace, then the
 * refusals a person should hear before filling anything in (state, who may), then the form if
 * the press needs input, then the write, whose `decide` checks state, performer and every rule
 * again against the record as the commit finds it. What the change causes is stored with it and
 * carried out after it (and after a crash, by the repair).
 */
export async function runTransition<R extends StatefulRecord, P>(
  def: RecordKindDef,
  spec: TransitionSpec<R, P>,
  action: Action,
  options: {
    ref?: string;
    /**
     * The line that tells the person what happened. Given, and the change came from a form that
     * closes on submit (a Slack modal), it is recorded with the change as a message to them.
     */
    answer?: (after: R, before: R, parsed: P, ctx: CommandContext) => Rich;
  } = {},
): Promise<
  | { kind: "form"; form: FormView }
  | { kind: "invalid"; form: FormView }
  | ({ kind: "done" } & TransitionDone<R>)
> {
  const { ctx } = action;
  const workspace = await requireWorkspace(ctx);
  const current = await loadByRef<R>(ctx, def, options.ref ?? action.target.ref, action.target.ws);
  const roles = rolesOf(workspace, ctx.actor.id);
  if (!spec.from.includes(current.state)) throw stateRefusal(current, spec);
  if (!mayPerform(spec.who, current, ctx.actor.id, roles)) throw performerRefusal(spec, current, workspace);
  const label = typeof spec.label === "function" ? spec.label(current, "channel") : spec.label;
  const fieldsNeeded = spec.input?.(current, ctx) ?? [];
  const filled = fieldsNeeded.every((f) => f.optional || hasValue(action.inputs[f.id]));
  if (fieldsNeeded.length && !filled && !action.submitted)
    return { kind: "form", form: formFor(def, spec, current, ctx, label) };
  let parsed: P;
  try {
    parsed = spec.parse ? await spec.parse(action.inputs, current, ctx, workspace) : ({} as P);
  } catch (error) {
    if (error instanceof QopsError && error.fieldErrors && fieldsNeeded.length)
      return {
        kind: "invalid",
        form: formFor(def, spec, current, ctx, label, error.fieldErrors, action.inputs),
      };
    throw error;
  }
  let before = current;
  const result = await transition<R>({
    kind: def.kind,
    recordKey: current._id,
    type:
      typeof spec.event === "function"
        ? (record: R) => (spec.event as (r: R, c: CommandContext) => string)(record, ctx)
        : spec.event,
    actor: ctx.actor,
    scope: ctx.scope,
    at: ctx.now,
    reason: spec.reason?.(parsed) ?? null,
    idempotencyKey: requestKey(ctx, `${current._id}:${spec.id}`),
    decide: (record, last) => {
      before = record;
      if (!spec.from.includes(record.state)) throw stateRefusal(record, spec);
      if (!mayPerform(spec.who, record, ctx.actor.id, roles)) throw performerRefusal(spec, record, workspace);
      spec.check?.(record, parsed, ctx, workspace);
      const fields: Record<string, unknown> = {
        ...(spec.apply?.(record, parsed, ctx, workspace) ?? {}),
        ...(spec.to ? { state: spec.to, stateChangedBy: ctx.actor, stateChangedAt: ctx.now } : {}),
      };
      const after = { ...record, ...fields } as R;
      const seq = last.seq + 1;
      const source = {
        workspaceId: ctx.workspaceId,
        record: record.ref ?? record._id,
        recordKey: record._id,
        seq,
      };
      return {
        fields,
        effects: [
          ...notifyEffect(ctx, source, spec.notices?.(after, record, ctx, parsed, workspace) ?? []),
          ...(spec.effects?.(after, record, ctx, parsed, seq) ?? []),
          ...postUpdateEffect(ctx, after as unknown as RecordBase & { post?: string | null }, seq),
          ...(action.submitted && !action.typed && options.answer
            ? notifyEffect(
                ctx,
                source,
                formAnswerNotice(ctx, answer(options.answer(after, record, parsed, ctx), "good")),
              )
            : []),
        ],
      };
    },
  });
  const followedUp = result.replayed ? true : await applyEffects(result.event, result.pendingId);
  return {
    kind: "done",
    record: result.record,
    before,
    event: result.event,
    replayed: result.replayed,
    followedUp,
  };
}

const hasValue = (v: string | string[] | undefined) => (Array.isArray(v) ? v.length > 0 : Boolean(v?.trim()));

/**
 * The usual answer to a press: the record's card redrawn where the press came from, and a
 * line for the presser saying what happened, by whom and when.
 */
export async function pressed<R extends StatefulRecord>(
  def: RecordKindDef,
  action: Action,
  done: TransitionDone<R>,
  text: Rich,
): Promise<Answer> {
  const workspace = await requireWorkspace(action.ctx);
  const card = await def.card(action.ctx, done.record, viewerOf(action, workspace));
  const line = done.replayed ? rich`${done.record.ref ?? ""}: this press was already handled.` : text;
  if (action.submitted && action.ctx.surface.formAnswers === "message")
    return { kind: "done", view: withNotice(card, line) };
  return { kind: "update", view: card, note: answer(line, "good") };
}

/**
 * The answer to a typed command that ran a press's transition: a reply (there is no message to
 * redraw), with the line that says what happened on top of the card.
 */
export function typedReply(a: Answer): Answer {
  if (a.kind === "update") return { kind: "reply", view: a.note ? withNotice(a.view, a.note.text) : a.view };
  return a.kind === "done" ? { kind: "reply", view: a.view } : a;
}

/** A transition run from a press or form, answered the usual way. */
export async function pressTransition<R extends StatefulRecord, P>(
  def: RecordKindDef,
  spec: TransitionSpec<R, P>,
  action: Action,
  text: (record: R, ctx: CommandContext) => Rich = (record, ctx) =>
    rich`✅ ${record.ref ?? ""} ${spec.done} by ${ctx.actor.name}.`,
): Promise<Answer> {
  const result = await runTransition(def, spec, action, {
    answer: (after, _before, _parsed, ctx) => text(after, ctx),
  });
  if (result.kind !== "done") return result;
  return pressed(def, action, result, text(result.record, action.ctx));
}

/** A refusal shown as the record's current card with the reason on top (Teams), or as a line. */
export async function cardWithNotice(
  def: RecordKindDef,
  ctx: CommandContext,
  record: RecordBase,
  viewer: Viewer,
  text: Rich | string,
): Promise<MessageView> {
  return withNotice(await def.card(ctx, record, viewer), text, "attention");
}

export { createReferenced, loadByRef, recordKeyOf, referenceStream } from "./references.js";
