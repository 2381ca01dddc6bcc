import type { CommandContext } from "../../commands/context.js";
import { systemContext, words } from "../../commands/context.js";
import { createRecord, loadRecord, transition } from "../../db/history.js";
import type { PersonRef, RecordBase } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { addDays, addMonths, dayOf, formatDay, parseDay, startOfDay } from "../../time/zone.js";
import {
  buttons,
  context,
  fields,
  heading,
  list,
  message,
  paragraph,
  withNotice,
} from "../../views/build.js";
import { cmd, day, join, person, type Rich, rich, strong } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import type { RaiseActionEffect } from "../action/commands.js";
import { today } from "../common.js";
import { stateLine } from "../complaint/views.js";
import { registerEffect } from "../effects.js";
import type { Action, RecordKindDef, Viewer } from "../kind.js";
import {
  buttonId,
  buttonsFor,
  createReferenced,
  pressed,
  pressTransition,
  referenceStream,
  runTransition,
  type TransitionSpec,
} from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { notifyEffect } from "../notify.js";
import { showAnswer, viewerFor } from "../registers.js";
import { head, isPerson, peopleOf, wordsOf } from "../tokens.js";
import {
  holders,
  readWorkspace,
  requireRole,
  requireWorkspace,
  rolesOf,
  zoneOf,
} from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { type ManagementReview, ManagementReviewModel } from "./model.js";
import { MANUAL_INPUTS, packLines, reviewPack } from "./pack.js";

/** Days after the meeting by which the minutes are due; days before it the QMs prepare the pack. */
export const MINUTES_DUE_DAYS = 7;
export const REVIEW_PREP_DAYS = 14;

type R = ManagementReview & { owner: PersonRef | null };
type Spec<P> = TransitionSpec<R, P>;

const reviewDay = (r: ManagementReview, workspace: Workspace) =>
  r.day ?? dayOf(r.scheduledFor, zoneOf(workspace));

const hold: Spec<{ minutes: string }> = {
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

const input: Spec<{ key: string; text: string }> = {
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
const decide: Spec<{ text: string; owner: PersonRef; dueDay: string }> = {
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

const approve: Spec<Record<string, never>> = {
  id: "approve_minutes",
  event: "minutes_approved",
  from: ["held"],
  to: "minutes_approved",
  who: { roles: ["top_management"] },
  label: "Approve minutes",
  style: "primary",
  done: "approved",
  action: "approve management review minutes",
  apply: (_r, _p, ctx) => ({ minutesApprovedBy: ctx.actor }),
  effects: (after) => [{ type: "nextReview", review: after._id }],
};

const REVIEW_TRANSITIONS = [hold, input, decide, approve] as const;

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

function reviewFields(
  owner: PersonRef,
  when: string,
  attendees: PersonRef[],
  periodStart: Date,
  workspace: Workspace,
  actor: PersonRef,
  at: Date,
) {
  return {
    state: "scheduled",
    owner,
    heldAt: null,
    day: when,
    scheduledFor: startOfDay(when, zoneOf(workspace)),
    attendees,
    periodStart,
    manualInputs: {},
    minutes: "",
    decisions: [],
    minutesApprovedBy: null,
    stateChangedBy: actor,
    stateChangedAt: at,
  };
}

async function schedule(ctx: CommandContext, args: Parameters<typeof head>[0]): Promise<Answer> {
  const workspace = await requireRole(ctx, "qm", "schedule management reviews");
  const typedDay = wordsOf(args).find((w) => /^\d{4}-\d{2}-\d{2}$/.test(w));
  const reviews = (
    (await ManagementReviewModel.find({ workspaceId: ctx.workspaceId }).lean()) as ManagementReview[]
  ).sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
  const last = reviews.at(-1);
  let when = typedDay ? parseDay(typedDay) : last ? addMonths(reviewDay(last, workspace), 12) : null;
  if (!when)
    throw new QopsError("invalid_input", "Give the date of the first review: review schedule YYYY-MM-DD.");
  if (when < today(ctx, workspace))
    throw new QopsError(
      "invalid_input",
      "Give the review date as YYYY-MM-DD, today or later. Nothing was scheduled.",
    );
  const strays = wordsOf(args).filter((w) => !/^\d{4}-\d{2}-\d{2}$/.test(w));
  if (strays.length)
    throw new QopsError(
      "invalid_input",
      `"${strays[0]?.slice(0, 30)}" is not a person; mention attendees with @.`,
    );
  const top = holders(workspace, "top_management");
  const chosen = peopleOf(args).length ? peopleOf(args) : top;
  if (!top.length)
    throw new QopsError(
      "invalid_input",
      "A management review needs top management: nobody holds that role yet. Grant it with qms roles grant @person top_management. Nothing was scheduled.",
    );
  if (!chosen.some((p) => rolesOf(workspace, p.id).includes("top_management")))
    throw new QopsError(
      "invalid_input",
      `A management review is held by top management (ISO 9001 9.3.1): name at least one of ${top.map((t) => t.name).join(", ")}. Nothing was scheduled.`,
    );
  when = when as string;
  await ensureMember(ctx);
  const previous = reviews.filter((r) => reviewDay(r, workspace) < (when as string)).at(-1);
  const fixedDay = when;
  const result = await createReferenced<ManagementReview>(
    ctx,
    reviewKind,
    reviewFields(
      ctx.actor,
      fixedDay,
      chosen,
      previous?.scheduledFor ?? startOfDay(addMonths(fixedDay, -12), zoneOf(workspace)),
      workspace,
      ctx.actor,
      ctx.now,
    ),
    {
      effects: (ref, recordKey) =>
        notifyEffect(
          ctx,
          { workspaceId: ctx.workspaceId, record: ref, recordKey, seq: 1 },
          chosen
            .filter((p) => p.id !== ctx.actor.id)
            .map((p) => ({
              to: p.id,
              about: `scheduled:${p.id}`,
              view: {
                text: rich`${ctx.actor.name} scheduled management review ${ref} on ${day(fixedDay)}.`,
                blocks: [],
              },
            })),
        ),
    },
  );
  const r = result.record;
  const text = result.created
    ? rich`✅ Management review ${r.ref} scheduled by ${ctx.actor.name} for ${day(fixedDay)}.`
    : rich`That review was already scheduled: ${r.ref}.`;
  return { kind: "reply", view: withNotice(await reviewCard(ctx, r, viewerFor(ctx, workspace)), text) };
}

async function reviewCard(ctx: CommandContext, r: ManagementReview, viewer: Viewer) {
  const workspace = await requireWorkspace(ctx);
  return {
    ...message(rich`${r.ref} is ${words(r.state)}`, [
      heading(rich`${r.ref} · management review`),
      fields([
        ["Date", [day(reviewDay(r, workspace))]],
        ["Attendees", join(r.attendees.map(person))],
        ...(r.minutesApprovedBy
          ? ([["Minutes approved by", [person(r.minutesApprovedBy)]]] as [string, Rich][])
          : []),
      ]),
      ...(r.minutes ? [paragraph(`Minutes: ${r.minutes}`)] : []),
      ...(r.decisions.length
        ? [
            list(
              r.decisions.map(
                (d, i) => `Decision ${i + 1}: ${d.text}${d.actionRef ? ` → ${d.actionRef}` : ""}`,
              ),
            ),
          ]
        : []),
      context(stateLine(r as R)),
      ...buttons(buttonsFor(ctx, reviewKind, REVIEW_TRANSITIONS, r as R, viewer)),
    ]),
    refresh: { ws: r.workspaceId, ref: r.ref ?? "" },
  };
}

const helpLines = (): Rich[] => [
  rich`${cmd("review schedule [YYYY-MM-DD] [@attendee …]")} — schedule a management review (QM; default: 12 months after the last one, with top management; attendees must include top management)`,
  rich`${cmd("review list [all]")} — upcoming (or all) reviews`,
  rich`${cmd("review MR-2026-0001")} — one review with its history; ${cmd("review MR-2026-0001 pack")} — the review pack`,
  rich`${cmd(`review MR-2026-0001 input ${Object.keys(MANUAL_INPUTS).join("|")} TEXT`)} — fill in what QOps cannot know (QM)`,
  rich`${cmd("review MR-2026-0001 minutes TEXT")} — from the meeting's day on (QM)`,
  rich`${cmd("review MR-2026-0001 decide @owner YYYY-MM-DD DECISION")} — a decision becomes an action (QM)`,
  rich`${cmd("review MR-2026-0001 approve")} — top management approves the minutes; the next review is scheduled`,
];

const asAction = (ctx: CommandContext, ref: string, inputs: Action["inputs"] = {}): Action => ({
  ctx,
  target: { ws: ctx.workspaceId, ref },
  inputs,
  source: "private",
  submitted: true,
  typed: true,
});

const asReply = (a: Answer): Answer =>
  a.kind === "update" || a.kind === "done" ? { kind: "reply", view: a.view } : a;

async function onRecord(ctx: CommandContext, ref: string, rest: Parameters<typeof head>[0]): Promise<Answer> {
  const [verb, args] = head(rest);
  const text = wordsOf(args).join(" ");
  if (!verb) return showAnswer(reviewKind, ctx, ref);
  if (verb === "pack") {
    const workspace = await requireWorkspace(ctx);
    const review = await loadRecord<ManagementReview>("review", `${ctx.workspaceId}/${ref}`);
    if (!review)
      throw new QopsError("not_found", `There is no management review "${ref}" in this workspace.`);
    const pack = await reviewPack(ctx, review);
    const lines = packLines(pack, {
      start: dayOf(pack.periodStart, zoneOf(workspace)),
      end: reviewDay(review, workspace),
    });
    const title = rich`Review pack for ${ref} (${day(reviewDay(review, workspace))})`;
    return {
      kind: "reply",
      view: message(title, [heading(`Review pack ${ref}`), paragraph(title), list(lines)]),
    };
  }
  if (verb === "input") {
    const [key = "", ...rest_] = wordsOf(args);
    return asReply(
      await pressTransition(
        reviewKind,
        input,
        asAction(ctx, ref, { key, text: rest_.join(" ") }),
        (r, c) =>
          rich`✅ ${MANUAL_INPUTS[key.toLowerCase()] ?? key} filled in for ${r.ref} by ${c.actor.name}.`,
      ),
    );
  }
  if (verb === "minutes")
    return asReply(
      await pressTransition(
        reviewKind,
        hold,
        asAction(ctx, ref, { minutes: text }),
        (r, c) =>
          rich`✅ Minutes of ${r.ref} recorded by ${c.actor.name}; it is held. Add decisions with ${cmd(`review ${r.ref} decide …`)}, then top management approves.`,
      ),
    );
  if (verb === "decide") {
    const owner = args.filter(isPerson)[0]?.person;
    const [due = "", ...decision] = wordsOf(args);
    const dueDay = parseDay(due);
    const workspace = await requireWorkspace(ctx);
    if (!owner || !dueDay)
      throw new QopsError("invalid_input", `Use review ${ref} decide @owner YYYY-MM-DD DECISION.`);
    if (dueDay < today(ctx, workspace))
      throw new QopsError("invalid_input", "The decision's due date is in the past. Nothing was recorded.");
    const textOfDecision = decision.join(" ").trim();
    if (textOfDecision.length < 3)
      throw new QopsError(
        "invalid_input",
        "Write the decision (at least 3 characters). Nothing was recorded.",
      );
    const result = await runTransition(
      reviewKind,
      { ...decide, parse: () => ({ text: textOfDecision, owner, dueDay }) },
      asAction(ctx, ref),
    );
    if (result.kind !== "done") return result;
    const fresh = (await loadRecord<ManagementReview>("review", result.record._id)) ?? result.record;
    const actionRef = fresh.decisions[fresh.decisions.length - 1]?.actionRef;
    const line = rich`✅ Decision recorded in ${ref} by ${ctx.actor.name}; ${actionRef ? `action ${actionRef}` : "an action"} for ${owner.name}, due ${day(dueDay)}.`;
    return { kind: "reply", view: withNotice(await reviewCard(ctx, fresh, viewerFor(ctx, workspace)), line) };
  }
  if (verb === "approve") return asReply(await approveMinutes(asAction(ctx, ref)));
  throw new QopsError(
    "invalid_input",
    `Unknown review sub-command "${verb.slice(0, 20)}". review help lists them.`,
  );
}

async function approveMinutes(action: Action): Promise<Answer> {
  const result = await runTransition(reviewKind, approve, action);
  if (result.kind !== "done") return result;
  const workspace = await requireWorkspace(action.ctx);
  const nextDay = addMonths(reviewDay(result.record, workspace), 12);
  return pressed(
    reviewKind,
    action,
    result,
    rich`✅ Minutes of ${result.record.ref} approved by ${action.ctx.actor.name}. The next review is scheduled for ${day(nextDay)}.`,
  );
}

/** QMs 14 days before (prepare the pack), attendees the day before (the pack, drawn then), QMs when minutes are late. */
async function reviewReminders(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const zone = zoneOf(workspace);
  const todayDay = dayOf(now, zone);
  const qms = holders(workspace, "qm");
  const reviews = (await ManagementReviewModel.find({
    workspaceId: workspace.workspaceId,
    state: "scheduled",
  }).lean()) as ManagementReview[];
  const items: NewDelivery[] = [];
  for (const r of reviews) {
    const when = reviewDay(r, workspace);
    const prep = addDays(when, -REVIEW_PREP_DAYS);
    const base = { workspaceId: workspace.workspaceId, recordKey: r._id };
    if (todayDay >= prep && todayDay < when)
      for (const qm of qms) {
        const text = rich`${r.ref} is on ${day(when)}. Check the pack (${cmd(`review ${r.ref} pack`)}) and fill in what QOps cannot know (${cmd(`review ${r.ref} input KEY text`)}).`;
        items.push({
          ...base,
          occasion: `review:${r.ref}:${when}:prepare`,
          recipientId: qm.id,
          notBefore: startOfDay(prep, zone),
          content: { view: message(text, [heading(`Prepare management review ${r.ref}`), paragraph(text)]) },
        });
      }
    const eve = addDays(when, -1);
    if (todayDay >= eve && todayDay <= when)
      for (const a of r.attendees)
        items.push({
          ...base,
          occasion: `review:${r.ref}:${when}:eve`,
          recipientId: a.id,
          notBefore: startOfDay(eve, zone),
          content: { dynamic: { type: "reviewEve", recordKey: r._id } },
        });
    const minutesDue = addDays(when, MINUTES_DUE_DAYS);
    if (todayDay >= minutesDue)
      for (const qm of qms) {
        const text = rich`The minutes of ${r.ref} (held ${day(when)}) were due ${day(minutesDue)}: ${cmd(`review ${r.ref} minutes …`)}.`;
        items.push({
          ...base,
          occasion: `review:${r.ref}:minutes-overdue-${minutesDue}`,
          recipientId: qm.id,
          notBefore: startOfDay(minutesDue, zone),
          content: { view: message(text, [heading(`Minutes of ${r.ref} overdue`), paragraph(text)]) },
        });
      }
  }
  return items;
}

/** The eve reminder, drawn when it is sent: the pack as it is then. */
export async function reviewEveView(recordKey: string, now: Date) {
  const review = await loadRecord<ManagementReview>("review", recordKey);
  if (review?.state !== "scheduled") return null;
  const workspace = await readWorkspace(review.workspaceId);
  if (!workspace) return null;
  const ctx = systemContext(review.workspaceId, now);
  const pack = await reviewPack(ctx, review);
  const when = reviewDay(review, workspace);
  const text = rich`${review.ref} is on ${day(when)}. The pack, in short:`;
  return message(text, [
    heading(`Management review ${review.ref} tomorrow`),
    paragraph(text),
    list(packLines(pack, { start: dayOf(pack.periodStart, zoneOf(workspace)), end: when }).slice(1, 8)),
  ]);
}

export const reviewKind: RecordKindDef = {
  id: "review",
  kind: "review",
  model: ManagementReviewModel as never,
  noun: "management review",
  plural: "management reviews",
  prefix: "MR",
  refPattern: /^MR-\d{4}-\d{4,}$/i,
  command: { name: "review" },
  ownHelp: true,
  registerRoles: ["qm", "top_management", "auditor"],
  help: [
    {
      usage: "review schedule [YYYY-MM-DD] [@attendee …]",
      text: "a management review with top management (QM); review list; review MR-2026-0001 pack",
    },
    {
      usage: "review MR-2026-0001 minutes|decide|approve …",
      text: "minutes, decisions that become actions, top management's approval (review help)",
    },
  ],
  involves: (record: RecordBase, userId: string) => {
    const r = record as ManagementReview;
    return r.attendees.some((a) => a.id === userId) || r.owner?.id === userId;
  },
  async typed(ctx, args) {
    const [first, rest] = head(args);
    if (!first || first === "help")
      return {
        kind: "reply",
        view: message("Management reviews", [heading("Management reviews"), list(helpLines())]),
      };
    if (first === "list") {
      const workspace = await requireWorkspace(ctx);
      const all = wordsOf(rest)[0]?.toLowerCase() === "all";
      const reviews = (
        (await ManagementReviewModel.find({ workspaceId: ctx.workspaceId }).lean()) as ManagementReview[]
      )
        .filter((r) => all || r.state !== "minutes_approved")
        .sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
      return {
        kind: "reply",
        view: message(`${reviews.length} management reviews`, [
          heading("Management reviews"),
          list(
            reviews.length
              ? reviews.map(
                  (r) =>
                    rich`${strong(r.ref)} · ${day(reviewDay(r, workspace))} · ${words(r.state)} · ${join(r.attendees.map(person))}`,
                )
              : ["None scheduled."],
          ),
        ]),
      };
    }
    if (first === "schedule") return schedule(ctx, rest);
    if (!reviewKind.refPattern.test(first))
      throw new QopsError(
        "invalid_input",
        `"${first.slice(0, 30)}" is not a review reference or sub-command. review help lists them.`,
      );
    return onRecord(ctx, first.toUpperCase(), rest);
  },
  actions: { [buttonId({ id: "review" }, approve)]: approveMinutes },
  card: (ctx, record, viewer) => reviewCard(ctx, record as ManagementReview, viewer),
  reminders: reviewReminders,
};
