import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { dayOf } from "../../time/zone.js";
import { buttons, context, fields, heading, list, message, withNotice } from "../../views/build.js";
import { cmd, day, link, person, type Rich, rich, safeUrl, strong } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import { parseForm } from "../common.js";
import { stateLine } from "../complaint/views.js";
import type { Action, ActionHandler, RecordKindDef, Viewer } from "../kind.js";
import {
  type AnySpec,
  buttonId,
  buttonsFor,
  createReferenced,
  loadByRef,
  pressTransition,
  runTransition,
  type TransitionSpec,
} from "../lifecycle.js";
import { ensureMember } from "../member/commands.js";
import { showAnswer, viewerFor } from "../registers.js";
import { head, isPerson, wordsOf } from "../tokens.js";
import { requireRole, requireWorkspace, zoneOf } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { type ControlledDocument, ControlledDocumentModel } from "./model.js";
import {
  approveVersion,
  contentHash,
  draftOf,
  labelOf,
  nextReview,
  parseVersionLabel,
  proposeVersion,
  rejectVersion,
  shownLabel,
  versionLines,
  versionsOf,
} from "./versions.js";

const documentInput = z.object({
  title: z
    .string()
    .trim()
    .min(3, "Give the document a title (3 to 150 characters).")
    .max(150, "At most 150 characters."),
  documentType: z.enum(["manual", "procedure"], { message: "Say whether it is the manual or a procedure." }),
  version: z.string().transform((v, c) => {
    try {
      return parseVersionLabel(v);
    } catch {
      c.addIssue({ code: "custom", message: "A version label such as 3.0, 2.1 or Rev C." });
      return z.NEVER;
    }
  }),
  link: z
    .string()
    .trim()
    .max(500)
    .refine((v) => /^https?:\/\/\S+$/.test(v), "The link must start with http:// or https://."),
  reviewIntervalMonths: z.coerce
    .number({ message: "The review interval is a number of months." })
    .int()
    .min(1, "At least every month.")
    .max(60, "At most every 60 months."),
});

/** The day a document is due for review, in the workspace's zone (older records kept only the instant). */
export const reviewDayOf = (d: ControlledDocument, workspace: Workspace) =>
  d.nextReviewDay ?? (d.nextReviewAt ? dayOf(d.nextReviewAt, zoneOf(workspace)) : null);

type Spec<P = Record<string, never>> = TransitionSpec<ControlledDocument, P>;

/** The owner reviewed it and nothing changes: the next review moves on by the interval. */
const reviewed: Spec = {
  id: "reviewed",
  event: "reviewed_no_change",
  from: ["published"],
  who: "owner_or_qm",
  label: "Reviewed, no change",
  done: "reviewed with no change",
  action: "record this document's review",
  reason: () => "reviewed, no change",
  apply: (d, _p, ctx, workspace) => ({
    lastReviewedAt: ctx.now,
    ...nextReview(ctx, workspace, d.reviewIntervalMonths ?? 12),
  }),
};

const DOCUMENT_TRANSITIONS: readonly AnySpec<ControlledDocument>[] = [
  reviewed,
  proposeVersion,
  approveVersion,
  rejectVersion,
];

function docLine(d: ControlledDocument, ctx: CommandContext, workspace: Workspace): Rich {
  const due = reviewDayOf(d, workspace);
  const url = d.link ? safeUrl(d.link) : null;
  return rich`${strong(d.ref)} · ${d.documentType} · ${d.title} · ${shownLabel(labelOf(d))}${d.state === "draft" ? ` · ${shownLabel(draftOf(d)?.label ?? "")} awaiting approval` : ""} · owner ${person(d.owner)}${d.lastReviewedAt ? [" · reviewed ", { at: d.lastReviewedAt.toISOString() }] : ""} · review ${due ? day(due) : "—"}${d.nextReviewAt && d.nextReviewAt <= ctx.now ? " ⚠️ due" : ""}${url ? [" · ", link(url, "open")] : ""}`;
}

async function docCard(ctx: CommandContext, d: ControlledDocument, viewer: Viewer) {
  const workspace = await requireWorkspace(ctx);
  const due = reviewDayOf(d, workspace);
  const url = d.link ? safeUrl(d.link) : null;
  const draft = draftOf(d);
  const current = shownLabel(labelOf(d));
  return {
    ...message(
      draft
        ? rich`${d.ref} ${current} is current; ${shownLabel(draft.label)} awaits approval`
        : rich`${d.ref} ${current} is current`,
      [
        heading(rich`${d.ref} · ${d.title}`),
        fields([
          ["Type", d.documentType],
          ["Current version", current],
          ["Owner", [person(d.owner)]],
          ["Next review", due ? [day(due)] : "—"],
          ["Link", url ? [link(url, url)] : "—"],
        ]),
        heading("Versions"),
        list(versionLines(d, viewer)),
        context(stateLine(d)),
        ...buttons(buttonsFor(ctx, documentKind, DOCUMENT_TRANSITIONS, d, viewer)),
      ],
    ),
    refresh: { ws: d.workspaceId, ref: d.ref ?? "" },
  };
}

const docsUsage = (): Rich[] => [
  rich`${cmd("qms docs")} — the register of controlled documents (ISO 9001 7.5)`,
  rich`${cmd("qms docs add manual|procedure VERSION REVIEW_MONTHS @owner LINK TITLE")} — register one (QM)`,
  rich`${cmd("qms docs DOC-2026-0001")} — one document with its history`,
  rich`${cmd("qms docs DOC-2026-0001 reviewed")} — reviewed, no change (owner)`,
  rich`${cmd("qms docs DOC-2026-0001 version LABEL LINK WHAT_CHANGED")} — propose a new version, e.g. ${cmd("version 3.1 https://… Supplier checks added")} or ${cmd("version Rev C …")} (owner)`,
  rich`${cmd("qms docs DOC-2026-0001 approve")}, ${cmd("qms docs DOC-2026-0001 reject REASON")} — approve it before it is issued (the previous version becomes obsolete), or send it back (QM)`,
  rich`${cmd("qms docs DOC-2026-0001 versions")} — every version, what changed, who approved it; obsolete and draft versions open only for their owner, QMs, top management and (obsolete) auditors`,
];

async function addDocument(
  ctx: CommandContext,
  rest: ReturnType<typeof head>[1],
  type: string,
): Promise<Answer> {
  const workspace = await requireRole(ctx, "qm", "register controlled documents");
  const ws = wordsOf(rest);
  const owner: PersonRef | undefined = rest.filter(isPerson)[0]?.person;
  const [versionText, months, link_, ...title] = joinRev(ws);
  const fieldsIn = parseForm(
    documentInput,
    {
      documentType: type,
      version: versionText,
      reviewIntervalMonths: months,
      link: link_,
      title: title.join(" "),
    },
    "document",
  );
  if (!owner)
    throw new QopsError("invalid_input", "Name the document's owner (mention them). Nothing was saved.");
  await ensureMember(ctx);
  const hash = contentHash({ title: fieldsIn.title, label: fieldsIn.version, link: fieldsIn.link });
  const { record, created } = await createReferenced<ControlledDocument>(ctx, documentKind, {
    ...fieldsIn,
    version: 1,
    versionLabel: fieldsIn.version,
    versions: [
      {
        label: fieldsIn.version,
        link: fieldsIn.link,
        summary: "registered in QOps",
        contentHash: hash,
        state: "current",
        proposedBy: ctx.actor,
        proposedAt: ctx.now,
        approvedBy: ctx.actor,
        approvedAt: ctx.now,
        endedAt: null,
      },
    ],
    state: "published",
    text: "",
    summary: "",
    contentHash: hash,
    owner,
    ...nextReview(ctx, workspace, fieldsIn.reviewIntervalMonths),
    approvedBy: ctx.actor,
    publishedAt: ctx.now,
  });
  const due = reviewDayOf(record, workspace);
  return {
    kind: "reply",
    view: withNotice(
      await docCard(ctx, record, viewerFor(ctx, workspace)),
      created
        ? rich`✅ ${record.ref} "${record.title}" ${shownLabel(labelOf(record))} registered and approved by ${ctx.actor.name}; ${record.owner.name} reviews it by ${due ? day(due) : "—"}.`
        : rich`Already registered as ${record.ref}.`,
    ),
  };
}

const asAction = (ctx: CommandContext, ref: string, inputs: Action["inputs"] = {}): Action => ({
  ctx,
  target: { ws: ctx.workspaceId, ref },
  inputs,
  source: "private",
  submitted: true,
  typed: true,
});

async function documentReminders(workspace: Workspace, now: Date): Promise<NewDelivery[]> {
  const docs = (await ControlledDocumentModel.find({
    workspaceId: workspace.workspaceId,
    documentType: { $in: ["manual", "procedure"] },
    state: "published",
  }).lean()) as ControlledDocument[];
  return docs
    .filter((d) => d.nextReviewAt && d.nextReviewAt <= now)
    .map((d) => {
      const due = reviewDayOf(d, workspace) ?? "";
      const text = rich`${d.ref} "${d.title}" (version ${labelOf(d)}) is due for its review. Record "reviewed, no change", or propose a new version with ${cmd(`qms docs ${d.ref} version LABEL LINK WHAT_CHANGED`)}.`;
      return {
        workspaceId: workspace.workspaceId,
        occasion: `document:${d.ref}:review-${due}`,
        recipientId: d.owner.id,
        notBefore: d.nextReviewAt as Date,
        content: {
          view: message(text, [
            heading(`Review due: ${d.ref} ${d.title}`),
            { type: "paragraph", text },
            ...buttons([
              {
                id: buttonId(documentKind, reviewed),
                label: "Reviewed, no change",
                target: { ws: d.workspaceId, ref: d.ref ?? "" },
              },
            ]),
          ]),
        },
        recordKey: d._id,
      };
    });
}

const SPECS: Record<string, AnySpec<ControlledDocument>> = {
  reviewed,
  version: proposeVersion,
  approve: approveVersion,
  reject: rejectVersion,
};

/** "Rev C" is typed as two words; a label is one. */
const joinRev = (ws: string[]) =>
  ws[0]?.toLowerCase().replace(/\.$/, "") === "rev" && ws[1] ? [`Rev ${ws[1]}`, ...ws.slice(2)] : ws;

/** The words after a typed verb as the transition's inputs. */
function typedInputs(verb: string, after: string[]): Action["inputs"] {
  if (verb === "version") {
    const [version, link_, ...summary] = joinRev(after);
    return { version, link: link_, summary: summary.join(" ") };
  }
  if (verb === "reject") return { reason: after.join(" ") };
  return {};
}

/** `qms docs DOC-… versions`: every version with what changed; links only where this reader may open them. */
async function versionsAnswer(ctx: CommandContext, ref: string): Promise<Answer> {
  const d = await loadByRef<ControlledDocument>(ctx, documentKind, ref);
  const workspace = await requireWorkspace(ctx);
  const lines = versionLines(d, viewerFor(ctx, workspace));
  const title = `${d.ref} ${d.title}: ${lines.length} version${lines.length === 1 ? "" : "s"}`;
  return { kind: "reply", view: message(title, [heading(title), list(lines)]) };
}

/** What a person is told after a review, a new version or an approval: by whom, and what comes next. */
function doneText(verb: string, d: ControlledDocument, ctx: CommandContext, workspace: Workspace): Rich {
  const ref = d.ref ?? "";
  if (verb === "reviewed") {
    const due = reviewDayOf(d, workspace);
    return rich`✅ ${ref} reviewed with no change by ${ctx.actor.name}; next review ${due ? day(due) : "—"}.`;
  }
  if (verb === "version") {
    const draft = draftOf(d);
    return rich`📝 ${ref} ${shownLabel(draft?.label ?? "")} proposed by ${ctx.actor.name} (${draft?.summary ?? ""}); ${shownLabel(labelOf(d))} stays current until a quality manager approves it with ${cmd(`qms docs ${ref} approve`)}.`;
  }
  if (verb === "reject")
    return rich`↩️ ${ref}: the proposed version was not approved by ${ctx.actor.name}; ${shownLabel(labelOf(d))} stays current.`;
  const obsolete = versionsOf(d)
    .filter((v) => v.state === "obsolete")
    .at(-1);
  return rich`✅ ${ref} ${shownLabel(labelOf(d))} approved by ${ctx.actor.name} and issued${obsolete ? `; ${shownLabel(obsolete.label)} is now obsolete` : ""}.`;
}

export const documentKind: RecordKindDef = {
  id: "document",
  evidence: { clauses: ["7.5"], title: "Controlled documents", finished: ["superseded"] },
  kind: "document",
  model: ControlledDocumentModel as never,
  noun: "controlled document",
  plural: "controlled documents",
  prefix: "DOC",
  refPattern: /^DOC-\d{4}-\d{4,}$/i,
  accepts: (record) => (record as ControlledDocument).documentType !== "policy",
  command: { name: "docs", under: "qms" },
  help: [
    {
      usage: "qms docs [help]",
      text: "the register of the quality manual and procedures, with their reviews",
    },
    {
      usage: "qms docs add manual|procedure VERSION REVIEW_MONTHS @owner LINK TITLE",
      text: "register a document (QM)",
    },
    {
      usage:
        "qms docs DOC-2026-0001 [reviewed|version LABEL LINK WHAT_CHANGED|approve|reject REASON|versions]",
      text: "one document; its owner records a review or proposes a new version; a QM approves it before it is issued",
    },
  ],
  involves: () => true,
  async typed(ctx, args) {
    const [first, rest] = head(args);
    const ws = wordsOf(rest);
    if (!first) {
      const workspace = await requireWorkspace(ctx);
      const docs = (
        (await ControlledDocumentModel.find({
          workspaceId: ctx.workspaceId,
          documentType: { $in: ["manual", "procedure"] },
        }).lean()) as ControlledDocument[]
      ).sort((a, b) => (a.ref ?? "").localeCompare(b.ref ?? ""));
      const title = `${docs.length} controlled documents`;
      return {
        kind: "reply",
        view: message(title, [
          heading("Controlled documents"),
          docs.length
            ? list(docs.map((d) => docLine(d, ctx, workspace)))
            : list(["None registered yet.", ...docsUsage()]),
        ]),
      };
    }
    if (first === "help")
      return {
        kind: "reply",
        view: message("Controlled documents", [heading("Controlled documents"), list(docsUsage())]),
      };
    if (first === "add") {
      const [type, ...after] = rest;
      return addDocument(ctx, after, type && "word" in type ? type.word.toLowerCase() : "");
    }
    const ref = first.toUpperCase();
    if (!documentKind.refPattern.test(ref))
      throw new QopsError(
        "invalid_input",
        `"${first.slice(0, 30)}" is not a document reference. qms docs help lists the commands.`,
      );
    const verb = (ws[0] ?? "").toLowerCase();
    if (!verb) return showAnswer(documentKind, ctx, ref);
    if (verb === "versions") return versionsAnswer(ctx, ref);
    const spec = SPECS[verb];
    if (!spec)
      throw new QopsError(
        "invalid_input",
        `Unknown docs sub-command "${verb.slice(0, 20)}". ${"qms docs help"} lists them.`,
      );
    const result = await runTransition(
      documentKind,
      spec,
      asAction(ctx, ref, typedInputs(verb, ws.slice(1))),
    );
    if (result.kind !== "done") return result;
    const d = result.record;
    const workspace = await requireWorkspace(ctx);
    return {
      kind: "reply",
      view: withNotice(await docCard(ctx, d, viewerFor(ctx, workspace)), doneText(verb, d, ctx, workspace)),
    };
  },
  actions: Object.fromEntries(
    DOCUMENT_TRANSITIONS.map((spec): [string, ActionHandler] => [
      buttonId({ id: "document" }, spec),
      async (action) => {
        const workspace = await requireWorkspace(action.ctx);
        return pressTransition(documentKind, spec, action, (d, ctx) => doneText(spec.id, d, ctx, workspace));
      },
    ]),
  ),
  card: (ctx, record, viewer) => docCard(ctx, record as ControlledDocument, viewer),
  reminders: documentReminders,
};
