import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import { loadRecord } from "../../db/history.js";
import type { PersonRef, RecordBase } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { addMonths, dayOf, parseDay, startOfDay } from "../../time/zone.js";
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
import { today } from "../common.js";
import { stateLine } from "../complaint/views.js";
import type { Action, RecordKindDef, Viewer } from "../kind.js";
import {
  buttonId,
  buttonsFor,
  createReferenced,
  pressed,
  pressTransition,
  runTransition,
  typedReply,
} from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { notifyEffect } from "../notify.js";
import { requireSight, showAnswer, viewerFor } from "../registers.js";
import { head, isPerson, peopleOf, wordsOf } from "../tokens.js";
import { holders, requireRole, requireWorkspace, rolesOf, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { approve, decide, hold, input, type R, REVIEW_TRANSITIONS, reviewDay } from "./lifecycle.js";
import { exportMinutes } from "./minutes.js";
import { type ManagementReview, ManagementReviewModel } from "./model.js";
import { MANUAL_INPUTS, packLines, reviewPack } from "./pack.js";
import { reviewReminders } from "./reminders.js";

/** Days after the meeting by which the minutes are due; days before it the QMs prepare the pack. */
export const MINUTES_DUE_DAYS = 7;
export const REVIEW_PREP_DAYS = 14;

export function reviewFields(
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

export async function schedule(ctx: CommandContext, args: Parameters<typeof head>[0]): Promise<Answer> {
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
  rich`${cmd("review MR-2026-0001 approve")} — top management approves the minutes (the pack's figures are kept with them); the next review is scheduled`,
  rich`${cmd("review MR-2026-0001 export")} — the approved minutes as a document: inputs as presented, minutes, decisions with their actions, who approved them, and the hashes that tie it to the record`,
];

const asAction = (ctx: CommandContext, ref: string, inputs: Action["inputs"] = {}): Action => ({
  ctx,
  target: { ws: ctx.workspaceId, ref },
  inputs,
  source: "private",
  submitted: true,
  typed: true,
});

async function onRecord(ctx: CommandContext, ref: string, rest: Parameters<typeof head>[0]): Promise<Answer> {
  const [verb, args] = head(rest);
  const text = wordsOf(args).join(" ");
  if (!verb) return showAnswer(reviewKind, ctx, ref);
  if (verb === "pack") {
    const workspace = await requireWorkspace(ctx);
    const review = await loadRecord<ManagementReview>("review", `${ctx.workspaceId}/${ref}`);
    if (!review)
      throw new QopsError("not_found", `There is no management review "${ref}" in this workspace.`);
    requireSight(reviewKind, ctx, review, workspace);
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
    return typedReply(
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
    return typedReply(
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
  if (verb === "approve") return typedReply(await approveMinutes(asAction(ctx, ref)));
  if (verb === "export") return exportMinutes(reviewKind, ctx, ref);
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

export const reviewKind: RecordKindDef = {
  id: "review",
  evidence: { clauses: ["9.3"], title: "Management reviews", finished: ["minutes_approved"] },
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
