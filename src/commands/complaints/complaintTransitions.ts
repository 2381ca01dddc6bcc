import type { Complaint } from "../../models/complaint.js";
import type { PersonRef } from "../../models/recordBase.js";
import type { CommandContext } from "../context.js";
import {
  requireReason,
  runTransition,
  runUpdate,
  type TransitionOutcome,
  type TransitionSpec,
} from "../lifecycle.js";

const OPEN = ["new", "accepted", "investigating", "resolved"] as const;

export const COMPLAINT_TRANSITIONS = {
  accept: {
    name: "accepted",
    from: ["new"],
    to: "accepted",
    done: "accepted",
    who: "qm",
    action: "accept complaints",
  },
  reject: {
    name: "rejected",
    from: ["new"],
    to: "rejected",
    done: "rejected",
    who: "qm",
    action: "reject complaints",
  },
  investigate: {
    name: "investigation_started",
    from: ["accepted"],
    to: "investigating",
    done: "moved to investigating",
    who: "owner_or_qm",
    action: "start the investigation",
  },
  resolve: {
    name: "resolved",
    from: ["investigating"],
    to: "resolved",
    done: "resolved",
    who: "owner_or_qm",
    action: "resolve it",
  },
  close: {
    name: "closed",
    from: ["resolved"],
    to: "closed",
    done: "closed",
    who: "qm",
    action: "close complaints",
  },
} as const satisfies Record<string, TransitionSpec>;

type Outcome = Promise<TransitionOutcome<Complaint>>;

export const acceptComplaint = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<Complaint>(ctx, "complaint", ref, COMPLAINT_TRANSITIONS.accept);

export function rejectComplaint(ctx: CommandContext, ref: string, reason: string | undefined): Outcome {
  const why = requireReason(reason, "for rejecting the complaint");
  return runTransition<Complaint>(
    ctx,
    "complaint",
    ref,
    COMPLAINT_TRANSITIONS.reject,
    () => ({ rejectionReason: why }),
    why,
  );
}

export const startInvestigation = (ctx: CommandContext, ref: string): Outcome =>
  runTransition<Complaint>(ctx, "complaint", ref, COMPLAINT_TRANSITIONS.investigate);

export const resolveComplaint = (ctx: CommandContext, ref: string, resolution?: string): Outcome =>
  runTransition<Complaint>(
    ctx,
    "complaint",
    ref,
    COMPLAINT_TRANSITIONS.resolve,
    () => ({}),
    resolution?.trim() || null,
  );

export const closeComplaint = (ctx: CommandContext, ref: string, customerNotified: boolean): Outcome =>
  runTransition<Complaint>(ctx, "complaint", ref, COMPLAINT_TRANSITIONS.close, () => ({ customerNotified }));

/** A QM makes someone responsible for an open complaint. */
export function assignComplaintOwner(ctx: CommandContext, ref: string, owner: PersonRef): Outcome {
  return runUpdate<Complaint>(ctx, "complaint", ref, {
    type: "owner_assigned",
    allowedIn: OPEN,
    who: "qm",
    action: "assign complaint owners",
    fields: () => ({ owner }),
  });
}
