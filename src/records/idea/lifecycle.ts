import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { answer } from "../../views/build.js";
import { cmd, rich } from "../../views/rich.js";
import { inputText, personById, reasonField, requireReason } from "../common.js";
import type { AnySpec, TransitionSpec } from "../lifecycle.js";
import { type ImprovementIdea, OPEN_IDEA_STATES } from "./model.js";

type Spec<P = Record<string, never>> = TransitionSpec<ImprovementIdea, P>;

const tellSubmitter =
  (about: string, say: (i: ImprovementIdea, actor: string) => ReturnType<typeof rich>) =>
  (after: ImprovementIdea, _b: ImprovementIdea, ctx: { actor: { id: string; name: string } }) =>
    after.submitter.id === ctx.actor.id
      ? []
      : [{ to: after.submitter.id, about, view: answer(say(after, ctx.actor.name)) }];

/** One vote per person; voting again takes the vote back. */
export const vote: Spec = {
  id: "vote",
  event: (i, ctx) => (i.votes.includes(ctx.actor.id) ? "vote_withdrawn" : "vote_added"),
  from: OPEN_IDEA_STATES,
  who: "anyone",
  label: (i, viewer) => {
    const voted = viewer !== "channel" && i.votes.includes(viewer.userId);
    return `${voted ? "Unvote" : "Vote"} 👍 ${i.votes.length}`;
  },
  done: "voted on",
  action: "vote on it",
  apply: (i, _p, ctx) => ({
    votes: i.votes.includes(ctx.actor.id)
      ? i.votes.filter((v) => v !== ctx.actor.id)
      : [...i.votes, ctx.actor.id],
  }),
};

export const approve: Spec = {
  id: "approve",
  event: "approved",
  from: ["submitted"],
  to: "approved",
  who: "qm",
  label: "Approve",
  style: "primary",
  done: "approved",
  action: "approve ideas",
  notices: tellSubmitter("approved", (i, actor) => rich`💡 Your idea ${i.ref} was approved by ${actor}.`),
};

export const reject: Spec<{ reason: string }> = {
  id: "reject",
  event: "rejected",
  from: ["submitted"],
  to: "rejected",
  who: "qm",
  label: "Reject",
  style: "danger",
  done: "rejected",
  action: "reject ideas",
  input: () => [reasonField("Why is it not taken up? The submitter will see this.")],
  parse: (inputs) => ({ reason: requireReason(inputText(inputs, "reason"), "for rejecting the idea") }),
  apply: (_i, p) => ({ rejectionReason: p.reason }),
  reason: (p) => p.reason,
  notices: tellSubmitter(
    "rejected",
    (i, actor) => rich`Your idea ${i.ref} was not taken up; ${actor} said: ${i.rejectionReason ?? ""}`,
  ),
};

export const start: Spec = {
  id: "start",
  event: "started",
  from: ["approved"],
  to: "in_progress",
  who: "owner_or_qm",
  label: "Start",
  done: "started",
  action: "start this idea",
};

export const implement: Spec = {
  id: "implement",
  event: "implemented",
  from: ["in_progress"],
  to: "implemented",
  who: "owner_or_qm",
  label: "Mark implemented",
  done: "marked implemented",
  action: "mark this idea implemented",
};

export const assign: Spec<{ owner: PersonRef }> = {
  id: "assign",
  event: "owner_assigned",
  from: OPEN_IDEA_STATES,
  who: "qm",
  label: "Assign owner",
  done: "assigned",
  action: "assign idea owners",
  shows: () => false,
  parse: async (inputs, _i, ctx) => ({
    owner: await personById(ctx, inputText(inputs, "ownerId"), "ownerId", "a person to own it"),
  }),
  check: (i, p) => {
    if (i.owner?.id === p.owner.id)
      throw new QopsError(
        "invalid_transition",
        `${p.owner.name} already owns ${i.ref}. Nothing was changed.`,
      );
  },
  apply: (_i, p) => ({ owner: p.owner }),
  notices: (after, _b, ctx, p) =>
    p.owner.id === ctx.actor.id
      ? []
      : [
          {
            to: p.owner.id,
            about: `owner:${p.owner.id}`,
            view: answer(
              rich`📌 ${ctx.actor.name} made you the owner of idea ${after.ref}. See it with ${cmd(`idea ${after.ref}`)}.`,
            ),
          },
        ],
};

export const IDEA_TRANSITIONS: readonly AnySpec<ImprovementIdea>[] = [
  vote,
  approve,
  reject,
  start,
  implement,
  assign,
];
