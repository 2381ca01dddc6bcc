import { z } from "zod";
import type { ImprovementIdea } from "../../models/improvementIdea.js";
import type { PersonRef } from "../../models/recordBase.js";
import type { CommandContext } from "../context.js";
import { createReferenced } from "../createReferenced.js";
import {
  requireReason,
  runTransition,
  runUpdate,
  type TransitionOutcome,
  type TransitionSpec,
} from "../lifecycle.js";
import { ensureMember, requireWorkspace } from "../members.js";
import { parseForm } from "../validation.js";

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
export type IdeaInput = z.input<typeof ideaInput>;

const VOTABLE = ["submitted", "approved", "in_progress"] as const;

export const IDEA_TRANSITIONS = {
  approve: {
    name: "approved",
    from: ["submitted"],
    to: "approved",
    done: "approved",
    who: "qm",
    action: "approve ideas",
  },
  reject: {
    name: "rejected",
    from: ["submitted"],
    to: "rejected",
    done: "rejected",
    who: "qm",
    action: "reject ideas",
  },
  start: {
    name: "started",
    from: ["approved"],
    to: "in_progress",
    done: "started",
    who: "owner_or_qm",
    action: "start this idea",
  },
  implement: {
    name: "implemented",
    from: ["in_progress"],
    to: "implemented",
    done: "implemented",
    who: "owner_or_qm",
    action: "mark this idea implemented",
  },
} as const satisfies Record<string, TransitionSpec>;

type Outcome = Promise<TransitionOutcome<ImprovementIdea>>;

export async function submitIdea(
  ctx: CommandContext,
  input: IdeaInput | Record<string, unknown>,
): Promise<{ idea: ImprovementIdea; created: boolean }> {
  const fields = parseForm(ideaInput, input, "idea");
  await requireWorkspace(ctx);
  await ensureMember(ctx);
  const { record, created } = await createReferenced<ImprovementIdea>(ctx, "idea", {
    ...fields,
    state: "submitted",
    submitter: ctx.actor,
    owner: null,
    votes: [],
    rejectionReason: null,
    linkedActions: [],
  });
  return { idea: record, created };
}

/** One vote per person; voting again takes the vote back. */
export function toggleVote(ctx: CommandContext, ref: string): Outcome {
  const voted = (idea: ImprovementIdea) => idea.votes.includes(ctx.actor.id);
  return runUpdate<ImprovementIdea>(ctx, "idea", ref, {
    type: (idea) => (voted(idea) ? "vote_withdrawn" : "vote_added"),
    allowedIn: VOTABLE,
    who: "anyone",
    action: "vote on it",
    fields: (idea) => ({
      votes: voted(idea) ? idea.votes.filter((v) => v !== ctx.actor.id) : [...idea.votes, ctx.actor.id],
    }),
  });
}

export const approveIdea = (ctx: CommandContext, ref: string, owner: PersonRef | null = null): Outcome =>
  runTransition<ImprovementIdea>(ctx, "idea", ref, IDEA_TRANSITIONS.approve, (idea) => ({
    owner: owner ?? idea.owner,
  }));

export function rejectIdea(ctx: CommandContext, ref: string, reason: string | undefined): Outcome {
  const why = requireReason(reason, "for rejecting the idea");
  return runTransition<ImprovementIdea>(
    ctx,
    "idea",
    ref,
    IDEA_TRANSITIONS.reject,
    () => ({ rejectionReason: why }),
    why,
  );
}

export const startIdea = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<ImprovementIdea>(ctx, "idea", ref, IDEA_TRANSITIONS.start);

export const implementIdea = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<ImprovementIdea>(ctx, "idea", ref, IDEA_TRANSITIONS.implement);

export function assignIdeaOwner(ctx: CommandContext, ref: string, owner: PersonRef): Outcome {
  return runUpdate<ImprovementIdea>(ctx, "idea", ref, {
    type: "owner_assigned",
    allowedIn: ["submitted", "approved", "in_progress"],
    who: "qm",
    action: "assign idea owners",
    fields: () => ({ owner }),
  });
}
