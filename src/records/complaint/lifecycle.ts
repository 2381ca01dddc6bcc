import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { answer } from "../../views/build.js";
import { cmd, day, rich } from "../../views/rich.js";
import { dueDayOf, inputText, personById, reasonField, requireReason } from "../common.js";
import type { AnySpec, TransitionSpec } from "../lifecycle.js";
import { type Complaint, OPEN_COMPLAINT_STATES } from "./model.js";

type Spec<P = Record<string, never>> = TransitionSpec<Complaint, P>;

/** The reporter hears of what happens to their complaint (unless they did it themselves). */
const tellReporter =
  (about: string, say: (c: Complaint, actor: string) => ReturnType<typeof rich>) =>
  (after: Complaint, _before: Complaint, ctx: { actor: { id: string; name: string } }) =>
    after.reporter.id === ctx.actor.id
      ? []
      : [{ to: after.reporter.id, about, view: answer(say(after, ctx.actor.name)) }];

export const accept: Spec = {
  id: "accept",
  event: "accepted",
  from: ["new"],
  to: "accepted",
  who: "qm",
  label: "Accept",
  style: "primary",
  done: "accepted",
  action: "accept complaints",
  notices: (after, before, ctx, _p, workspace) =>
    tellReporter(
      "accepted",
      (c, actor) =>
        rich`Your complaint ${c.ref} was accepted by ${actor}; it is due ${day(dueDayOf(c, workspace))}.`,
    )(after, before, ctx),
};

export const reject: Spec<{ reason: string }> = {
  id: "reject",
  event: "rejected",
  from: ["new"],
  to: "rejected",
  who: "qm",
  label: "Reject",
  style: "danger",
  done: "rejected",
  action: "reject complaints",
  input: () => [reasonField("Why is it rejected? The reporter will see this.")],
  parse: (inputs) => ({ reason: requireReason(inputText(inputs, "reason"), "for rejecting the complaint") }),
  apply: (_c, p) => ({ rejectionReason: p.reason }),
  reason: (p) => p.reason,
  notices: tellReporter(
    "rejected",
    (c, actor) => rich`Your complaint ${c.ref} was rejected by ${actor}: ${c.rejectionReason ?? ""}`,
  ),
};

export const investigate: Spec = {
  id: "investigate",
  event: "investigation_started",
  from: ["accepted"],
  to: "investigating",
  who: "owner_or_qm",
  label: "Start investigation",
  done: "moved to investigating",
  action: "start the investigation",
};

export const resolve: Spec = {
  id: "resolve",
  event: "resolved",
  from: ["investigating"],
  to: "resolved",
  who: "owner_or_qm",
  label: "Mark resolved",
  done: "resolved",
  action: "resolve it",
};

export const close: Spec<{ customerNotified: boolean }> = {
  id: "close",
  event: "closed",
  from: ["resolved"],
  to: "closed",
  who: "qm",
  label: "Close",
  style: "primary",
  done: "closed",
  action: "close complaints",
  input: () => [
    {
      type: "choice",
      id: "customerNotified",
      label: "Has the customer been told the outcome?",
      radio: true,
      options: [
        { value: "yes", label: "Yes" },
        { value: "no", label: "No" },
      ],
    },
  ],
  parse: (inputs) => {
    const told = inputText(inputs, "customerNotified");
    if (told !== "yes" && told !== "no")
      throw new QopsError(
        "invalid_input",
        "Say whether the customer was told (yes or no). Nothing was changed.",
        {
          fieldErrors: { customerNotified: "Say whether the customer was told." },
        },
      );
    return { customerNotified: told === "yes" };
  },
  apply: (_c, p) => ({ customerNotified: p.customerNotified }),
  notices: tellReporter(
    "closed",
    (c, actor) => rich`Your complaint ${c.ref} (${c.severity}) was closed by ${actor}. ${c.title}`,
  ),
};

/** A QM makes someone responsible for an open complaint (the owner picker). */
export const assign: Spec<{ owner: PersonRef }> = {
  id: "assign",
  event: "owner_assigned",
  from: OPEN_COMPLAINT_STATES,
  who: "qm",
  label: "Assign owner",
  done: "assigned",
  action: "assign complaint owners",
  shows: () => false, // a picker, not a button (see the card)
  parse: async (inputs, _c, ctx) => ({ owner: await ownerInput(ctx, inputs) }),
  check: (c, p) => {
    if (c.owner?.id === p.owner.id)
      throw new QopsError(
        "invalid_transition",
        `${p.owner.name} already owns ${c.ref}. Nothing was changed.`,
      );
  },
  apply: (_c, p) => ({ owner: p.owner }),
  notices: (after, _b, ctx, p, workspace) =>
    p.owner.id === ctx.actor.id
      ? []
      : [
          {
            to: p.owner.id,
            about: `owner:${p.owner.id}`,
            view: answer(
              rich`📌 ${ctx.actor.name} made you the owner of complaint ${after.ref}, due ${day(dueDayOf(after, workspace))}. See it with ${cmd(`complaint ${after.ref}`)}.`,
            ),
          },
        ],
};

/** Parses the owner picker's choice. */
export async function ownerInput(ctx: Parameters<typeof personById>[0], inputs: Record<string, unknown>) {
  const id = typeof inputs.ownerId === "string" ? inputs.ownerId : undefined;
  return personById(ctx, id, "ownerId", "a person to own it");
}

export const COMPLAINT_TRANSITIONS: readonly AnySpec<Complaint>[] = [
  accept,
  reject,
  investigate,
  resolve,
  close,
  assign,
];
