import { createRecord, loadRecord, transition } from "../../db/history.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { addMonths, dayOf, formatDay } from "../../time/zone.js";
import { plain } from "../../views/plain.js";
import type { RaiseActionEffect } from "../action/commands.js";
import { today } from "../common.js";
import { registerEffect } from "../effects.js";
import { referenceStream, type TransitionSpec } from "../lifecycle.js";
import { readWorkspace, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { reviewFields } from "./index.js";
import type { ManagementReview } from "./model.js";
import { MANUAL_INPUTS, packLines, reviewPack } from "./pack.js";

export type R = ManagementReview & { owner: PersonRef | null };
export type Spec<P> = TransitionSpec<R, P>;

export const reviewDay = (r: ManagementReview, workspace: Workspace) =>
  r.day ?? dayOf(r.scheduledFor, zoneOf(workspace));

export const hold: Spec<{ minutes: string }> = {
  id: "minutes",
  event: "held",
  from: ["scheduled"],
  to: "held",
  who: "qm",
  label: "Record minutes",
  done: "held",
  action: "record the minutes",
  shows: () => false,
  parse: (inputs) => {
    const text = String(inputs.minutes ?? "").trim();
    if (text.length < 3 || text.length > 3000)
      throw new QopsError(
        "invalid_input",
        "Write the minutes (3 to 3,000 characters). Nothing was recorded.",
      );
    return { minutes: text };
  },
  // The review is held on its day, not before: minutes come from that day on.
  check: (r, _p, ctx, workspace) => {
    const when = reviewDay(r, workspace);
    if (today(ctx, workspace) < when)
      throw new QopsError(
        "invalid_transition",
        `${r.ref} is on ${formatDay(when)}; its minutes can be recorded from that day on (or reschedule it: review schedule). Nothing was recorded.`,
      );
  },
  apply: (_r, p, ctx) => ({ minutes: p.minutes, heldAt: ctx.now }),
};

export const input: Spec<{ key: string; text: string }> = {
  id: "input",
  event: "input_filled",
  from: ["scheduled"],
  who: "qm",
  label: "Fill in input",
  done: "given an input",
  action: "fill in review inputs",
  shows: () => false,
  parse: (inputs) => {
    const key = String(inputs.key ?? "").toLowerCase();
    if (!MANUAL_INPUTS[key])
      throw new QopsError(
        "invalid_input",
        `Unknown review input "${key.slice(0, 30)}". Use one of: ${Object.keys(MANUAL_INPUTS).join(", ")}.`,
      );
    const text = String(inputs.text ?? "").trim();
    if (text.length < 2 || text.length > 3000)
      throw new QopsError("invalid_input", "Write the input (2 to 3,000 characters). Nothing was changed.");
    return { key, text };
  },
  apply: (r, p) => ({ manualInputs: { ...(r.manualInputs ?? {}), [p.key]: p.text } }),
};

/** A decision of the review becomes an action with owner and due day (raised and linked as effects). */
export const decide: Spec<{ text: string; owner: PersonRef; dueDay: string }> = {
  id: "decide",
  event: "decision_recorded",
  from: ["held"],
  who: "qm",
  label: "Record decision",
  done: "given a decision",
  action: "record review decisions",
  shows: () => false,
  apply: (r, p) => ({ decisions: [...r.decisions, { text: p.text, actionRef: null }] }),
  effects: (after, _b, _ctx, p) => {
    const n = after.decisions.length;
    const raise: RaiseActionEffect = {
      type: "raiseAction",
      key: `decision:${after.ref}#${n}`,
      source: "management_review",
      sourceRef: after.ref ?? "",
      problem: `Management review ${after.ref} decision: ${p.text}`,
      owner: p.owner,
      dueDay: p.dueDay,
      actionType: "preventive",
      link: { type: "linkDecision", review: after._id, index: n - 1, action: "{action}" },
    };
    return [raise];
  },
};

/**
 * Top management approves the minutes. The pack's figures as they stand now are kept with the
 * approval, so the exported minutes show the inputs the review decided on, not later figures.
 */
export const approve: Spec<{ inputs: string[] }> = {
  id: "approve_minutes",
  event: "minutes_approved",
  from: ["held"],
  to: "minutes_approved",
  who: { roles: ["top_management"] },
  label: "Approve minutes",
  style: "primary",
  done: "approved",
  action: "approve management review minutes",
  parse: async (_inputs, r, ctx, workspace) => {
    const pack = await reviewPack(ctx, r);
    const zone = zoneOf(workspace);
    const period = { start: dayOf(pack.periodStart, zone), end: reviewDay(r, workspace) };
    return { inputs: packLines(pack, period).map((line) => plain(line, { zone, slash: false })) };
  },
  apply: (_r, p, ctx) => ({
    minutesApprovedBy: ctx.actor,
    minutesApprovedAt: ctx.now,
    packAtApproval: p.inputs,
  }),
  effects: (after) => [{ type: "nextReview", review: after._id }],
};

export const REVIEW_TRANSITIONS = [hold, input, decide, approve] as const;

registerEffect("linkDecision", async (effect, event) => {
  try {
    await transition<ManagementReview>({
      kind: "review",
      recordKey: String(effect.review),
      type: "action_linked",
      actor: event.actor,
      at: event.at,
      idempotencyKey: `link:decision:${String(effect.action)}`,
      decide: (r) => {
        const index = Number(effect.index);
        if (r.decisions[index]?.actionRef) throw new QopsError("invalid_transition", "already linked");
        return {
          fields: {
            decisions: r.decisions.map((d, i) =>
              i === index ? { ...d, actionRef: String(effect.action) } : d,
            ),
          },
        };
      },
    });
  } catch (error) {
    if (!(error instanceof QopsError && error.code === "invalid_transition")) throw error;
  }
});

/** After approved minutes, the next review is scheduled 12 months on with the same attendees (once). */
registerEffect("nextReview", async (effect, event) => {
  const review = await loadRecord<ManagementReview>("review", String(effect.review));
  const workspace = await readWorkspace(event.workspaceId);
  if (!review || !workspace) return;
  const nextDay = addMonths(reviewDay(review, workspace), 12);
  const { stream, keyFor } = referenceStream(
    event.workspaceId,
    "MR",
    Number(dayOf(event.at, zoneOf(workspace)).slice(0, 4)),
  );
  await createRecord<ManagementReview>({
    kind: "review",
    workspaceId: event.workspaceId,
    stream,
    keyFor,
    actor: event.actor,
    at: event.at,
    idempotencyKey: `next-review:${review.ref}`,
    keyIsIdentity: true,
    fields: reviewFields(
      review.owner ?? event.actor,
      nextDay,
      review.attendees,
      review.scheduledFor,
      workspace,
      event.actor,
      event.at,
    ),
  });
});
