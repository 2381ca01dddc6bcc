import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import { answer } from "../../views/build.js";
import { cmd, day, rich } from "../../views/rich.js";
import { inputText, personById } from "../common.js";
import type { AnySpec, TransitionSpec } from "../lifecycle.js";
import { rolesOf } from "../workspace/access.js";
import { DISPOSITIONS, type Disposition, type NonconformingOutput, OPEN_NC_STATES } from "./model.js";

type Spec<P = Record<string, never>> = TransitionSpec<NonconformingOutput, P>;

export const DISPOSITION_NAMES: Record<Disposition, string> = {
  correction: "correction",
  segregation: "segregation (containment)",
  return_to_supplier: "return to supplier",
  rework: "rework",
  scrap: "scrap",
  use_as_is_under_concession: "use as is under concession",
};

interface Dispositioned {
  disposition: Disposition;
  note: string;
  concessionBy: PersonRef | null;
  customerInformed: boolean;
}

/**
 * What is done with the nonconforming output (ISO 9001 8.7.1). Using it as is needs a concession
 * authorised by a quality manager or top management, named in the record (8.7.2 d).
 */
export const disposition: Spec<Dispositioned> = {
  id: "disposition",
  event: "dispositioned",
  from: ["reported"],
  to: "dispositioned",
  who: "owner_or_qm",
  label: "Record disposition",
  style: "primary",
  done: "dispositioned",
  action: "record the disposition",
  input: () => [
    {
      type: "choice",
      id: "disposition",
      label: "Disposition",
      options: DISPOSITIONS.map((d) => ({ value: d, label: DISPOSITION_NAMES[d] })),
    },
    { type: "text", id: "note", label: "What was done, and where it is now", max: 2000, multiline: true },
    {
      type: "person",
      id: "concessionBy",
      label: "Concession authorised by (for use as is)",
      optional: true,
      people: [],
    },
    {
      type: "choice",
      id: "customerInformed",
      label: "Has the customer been informed?",
      radio: true,
      options: [
        { value: "yes", label: "Yes" },
        { value: "no", label: "No" },
      ],
    },
  ],
  parse: async (inputs, _n, ctx, workspace) => {
    const chosen = inputText(inputs, "disposition") as Disposition | undefined;
    const errors: Record<string, string> = {};
    if (!chosen || !DISPOSITIONS.includes(chosen)) errors.disposition = "Choose a disposition.";
    const note = (inputText(inputs, "note") ?? "").trim();
    if (note.length < 3 || note.length > 2000) errors.note = "Say what was done (3 to 2,000 characters).";
    const informed = inputText(inputs, "customerInformed");
    if (informed !== "yes" && informed !== "no")
      errors.customerInformed = "Say whether the customer was informed.";
    let concessionBy: PersonRef | null = null;
    if (chosen === "use_as_is_under_concession") {
      const id = inputText(inputs, "concessionBy");
      if (!id) errors.concessionBy = "Name who authorised the concession.";
      else {
        concessionBy = await personById(ctx, id, "concessionBy", "who authorised the concession");
        const roles = rolesOf(workspace, concessionBy.id);
        if (!roles.includes("qm") && !roles.includes("top_management"))
          errors.concessionBy = `${concessionBy.name} cannot authorise a concession: a quality manager or top management does.`;
      }
    }
    if (Object.keys(errors).length)
      throw new QopsError(
        "invalid_input",
        `The disposition was not saved: ${Object.values(errors).join(" ")}`,
        { fieldErrors: errors },
      );
    return { disposition: chosen as Disposition, note, concessionBy, customerInformed: informed === "yes" };
  },
  apply: (_n, p) => ({
    disposition: p.disposition,
    dispositionNote: p.note,
    concessionBy: p.concessionBy,
    customerInformed: p.customerInformed,
  }),
  reason: (p) => p.note,
};

export const verify: Spec<{ note: string }> = {
  id: "verify",
  event: "verified",
  from: ["dispositioned"],
  to: "verified",
  who: "qm",
  label: "Verify",
  style: "primary",
  done: "verified",
  action: "verify dispositions",
  input: () => [
    {
      type: "text",
      id: "note",
      label: "How conformity was verified after the disposition",
      max: 2000,
      multiline: true,
    },
  ],
  parse: (inputs) => {
    const note = (inputText(inputs, "note") ?? "").trim();
    if (note.length < 3)
      throw new QopsError(
        "invalid_input",
        "Say how it was verified (at least 3 characters). Nothing was changed.",
        {
          fieldErrors: { note: "Say how it was verified." },
        },
      );
    return { note };
  },
  apply: (_n, p) => ({ verificationNote: p.note }),
  reason: (p) => p.note,
};

export const close: Spec = {
  id: "close",
  event: "closed",
  from: ["verified"],
  to: "closed",
  who: "qm",
  label: "Close",
  done: "closed",
  action: "close nonconforming outputs",
};

export const assign: Spec<{ owner: PersonRef }> = {
  id: "assign",
  event: "owner_assigned",
  from: OPEN_NC_STATES,
  who: "qm",
  label: "Assign owner",
  done: "assigned",
  action: "assign owners",
  shows: () => false,
  parse: async (inputs, _n, ctx) => ({
    owner: await personById(ctx, inputText(inputs, "ownerId"), "ownerId", "a person to own it"),
  }),
  check: (n, p) => {
    if (n.owner?.id === p.owner.id)
      throw new QopsError(
        "invalid_transition",
        `${p.owner.name} already owns ${n.ref}. Nothing was changed.`,
      );
  },
  apply: (_n, p) => ({ owner: p.owner }),
  notices: (after, _b, ctx, p) =>
    p.owner.id === ctx.actor.id
      ? []
      : [
          {
            to: p.owner.id,
            about: `owner:${p.owner.id}`,
            view: answer(
              rich`📌 ${ctx.actor.name} made you the owner of nonconforming output ${after.ref}; its disposition is due ${day(after.dueDay)}. See it with ${cmd(`nc ${after.ref}`)}.`,
            ),
          },
        ],
};

export const NC_TRANSITIONS: readonly AnySpec<NonconformingOutput>[] = [disposition, verify, close, assign];
