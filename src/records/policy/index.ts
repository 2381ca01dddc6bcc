import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import { answer, context, message, paragraph } from "../../views/build.js";
import { at, cmd, join, person, rich } from "../../views/rich.js";
import type { Answer, MessageView } from "../../views/types.js";
import { type ControlledDocument, ControlledDocumentModel } from "../document/model.js";
import type { Action, RecordKindDef } from "../kind.js";
import { showAnswer, viewerFor } from "../registers.js";
import { wordsOf } from "../tokens.js";
import { requireRole, requireWorkspace } from "../workspace/access.js";
import {
  approvePolicy,
  currentPolicy,
  DRAFT_FIELDS,
  draftFormAnswer,
  publishPolicy,
  submitDraft,
} from "./commands.js";
import { type Acknowledgement, AcknowledgementModel, ackKey } from "./model.js";
import { acknowledge } from "./requests.js";
import { policyStatus, policyStatusCsv, statusOf } from "./status.js";
import { POLICY_BUTTONS, policyView } from "./views.js";

const pct = (rate: number) => `${Math.round(rate * 100)}%`;

async function myAck(ctx: CommandContext, ref: string): Promise<Date | null> {
  const mine = (await AcknowledgementModel.findById(
    ackKey(ctx.workspaceId, ref, ctx.actor.id),
  ).lean()) as Acknowledgement | null;
  return mine?.acknowledgedAt ?? null;
}

/** `policy`: the current version, whether I acknowledged it, and the rate. */
async function showCurrent(ctx: CommandContext): Promise<Answer> {
  const workspace = await requireWorkspace(ctx);
  const policy = await currentPolicy(workspace);
  if (!policy)
    throw new QopsError(
      "not_found",
      "No quality policy has been published yet. A quality manager drafts one with policy draft.",
    );
  const status = await statusOf(workspace, policy);
  const rate = rich`Acknowledged by ${status.acknowledged} of ${status.members} members (${pct(status.rate)}).`;
  return {
    kind: "reply",
    view: policyView(ctx, policy, viewerFor(ctx, workspace), {
      acknowledgedAt: await myAck(ctx, policy.ref ?? ""),
      rate,
    }),
  };
}

async function status(ctx: CommandContext, words: string[]): Promise<Answer> {
  await requireRole(ctx, ["qm", "top_management", "auditor"], "see who has acknowledged the policy");
  const ref = words.find((w) => /^POL-v\d+$/i.test(w));
  const exporting = words.some((w) => w.toLowerCase() === "export");
  const other = words.find((w) => w !== ref && w.toLowerCase() !== "export");
  if (other)
    throw new QopsError(
      "invalid_input",
      `"${other.slice(0, 30)}" is not a policy reference (they look like POL-v2). Use policy status [POL-v2] [export].`,
    );
  const s = await policyStatus(policyKind, ctx, ref);
  if (exporting) {
    const csv = policyStatusCsv(s);
    return {
      kind: "reply",
      view: message(`Acknowledgements of ${s.policy.ref} (CSV)`, [{ type: "paragraph", text: [csv] }]),
    };
  }
  const head = rich`${s.policy.ref}: acknowledged by ${s.acknowledged} of ${s.members} members (${pct(s.rate)}).`;
  return {
    kind: "reply",
    view: message(head, [
      paragraph(head),
      ...(s.missing.length
        ? [
            paragraph(
              rich`Not yet: ${join(s.missing.slice(0, 200).map((m) => person({ id: m.userId, name: m.name })))}`,
            ),
          ]
        : []),
      context(rich`${cmd("policy status export")} gives the list as CSV.`),
    ]),
  };
}

const reply = (view: MessageView): Answer => ({ kind: "reply", view });

async function pressAcknowledge(action: Action): Promise<Answer> {
  const { ctx } = action;
  const { acknowledgement, created, policy } = await acknowledge(
    policyKind,
    ctx,
    action.target.ref,
    action.target.ws,
  );
  const line = created
    ? rich`✅ Thank you — your acknowledgement of ${policy.ref} is recorded (${at(acknowledgement.acknowledgedAt)}).`
    : rich`You already acknowledged ${policy.ref} on ${at(acknowledgement.acknowledgedAt)}; nothing more to do.`;
  const view = policyView(
    ctx,
    policy,
    { userId: ctx.actor.id, roles: [] },
    { acknowledgedAt: acknowledgement.acknowledgedAt },
  );
  return { kind: "update", view, note: answer(line, "good") };
}

async function pressed(
  action: Action,
  run: (ref: string, ws: string) => Promise<MessageView>,
): Promise<Answer> {
  const view = await run(action.target.ref ?? "", action.target.ws);
  // The first block is the notice saying what happened.
  const [said, ...card] = view.blocks;
  return {
    kind: "update",
    view: { ...view, blocks: card },
    note: { text: view.text, blocks: said ? [said] : [] },
  };
}

export const policyKind: RecordKindDef = {
  id: "policy",
  evidence: {
    clauses: ["5.2"],
    title: "Quality policy and acknowledgements",
    finished: ["superseded"],
    related: [{ kind: "acknowledgement", model: AcknowledgementModel as never, title: "Acknowledgements" }],
  },
  kind: "document",
  model: ControlledDocumentModel as never,
  noun: "policy version",
  plural: "policy versions",
  prefix: "POL",
  refPattern: /^POL-v\d+$/i,
  normalizeRef: (typed) => `POL-v${typed.trim().slice(5)}`,
  accepts: (record) => (record as ControlledDocument).documentType === "policy",
  command: { name: "policy" },
  help: [
    { usage: "policy", text: "read the current quality policy and acknowledge it" },
    {
      usage: "policy draft",
      text: "draft a new version (QM; a form); top management is asked to approve it",
    },
    {
      usage: "policy approve POL-v2",
      text: "approve a draft (top management; also with the button QOps sends)",
    },
    {
      usage: "policy publish POL-v2",
      text: "publish an approved version (QM): it supersedes the previous one and asks every member",
    },
    {
      usage: "policy status [POL-v2] [export]",
      text: "who has and has not acknowledged, per version; export gives CSV (QM, top management, auditors)",
    },
    { usage: "policy POL-v2", text: "one version with its history" },
  ],
  involves: () => true,
  async typed(ctx, args) {
    const words = wordsOf(args);
    const [sub = "", arg] = words;
    switch (sub.toLowerCase()) {
      case "":
        return showCurrent(ctx);
      case "draft":
        return draftFormAnswer(ctx);
      case "approve":
        return reply(await approvePolicy(policyKind, ctx, arg ?? ""));
      case "publish":
        return reply(await publishPolicy(policyKind, ctx, arg ?? ""));
      case "status":
        return status(ctx, words.slice(1));
      default: {
        if (policyKind.refPattern.test(sub)) return showAnswer(policyKind, ctx, sub);
        throw new QopsError(
          "invalid_input",
          "Use policy, policy draft, policy approve POL-v2, policy publish POL-v2 or policy status [POL-v2] [export].",
        );
      }
    }
  },
  actions: {
    [POLICY_BUTTONS.approve]: (action) =>
      pressed(action, (ref, ws) => approvePolicy(policyKind, action.ctx, ref, ws)),
    [POLICY_BUTTONS.publish]: (action) =>
      pressed(action, (ref, ws) => publishPolicy(policyKind, action.ctx, ref, ws)),
    [POLICY_BUTTONS.acknowledge]: pressAcknowledge,
    "policy.draft": (action) => submitDraft(policyKind, action),
  },
  async card(ctx, record, viewer) {
    const policy = record as ControlledDocument;
    const acknowledgedAt =
      policy.state === "published" && viewer !== "channel" ? await myAck(ctx, policy.ref ?? "") : undefined;
    return policyView(ctx, policy, viewer, { acknowledgedAt });
  },
  forms: { "policy.draft": DRAFT_FIELDS },
};
