import { createHash } from "node:crypto";
import { z } from "zod";
import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import type { PersonRef } from "../../db/recordBase.js";
import { QopsError } from "../../errors.js";
import type { NewDelivery } from "../../outbox/enqueue.js";
import { addMonths, dayOf, startOfDay } from "../../time/zone.js";
import { buttons, context, fields, heading, list, message, withNotice } from "../../views/build.js";
import { cmd, day, link, person, type Rich, rich, safeUrl, strong } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import { parseForm, today } from "../common.js";
import { stateLine } from "../complaint/views.js";
import type { Action, ActionHandler, RecordKindDef, Viewer } from "../kind.js";
import {
  type AnySpec,
  buttonId,
  buttonsFor,
  createReferenced,
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

const documentInput = z.object({
  title: z
    .string()
    .trim()
    .min(3, "Give the document a title (3 to 150 characters).")
    .max(150, "At most 150 characters."),
  documentType: z.enum(["manual", "procedure"], { message: "Say whether it is the manual or a procedure." }),
  version: z.coerce
    .number({ message: "The version is a number, e.g. 3." })
    .int("The version is a whole number.")
    .min(1, "The version starts at 1."),
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

const hash = (d: { title: string; version: number; link: string | null }) =>
  createHash("sha256")
    .update(JSON.stringify([d.title, d.version, d.link]))
    .digest("hex");

function nextReview(ctx: CommandContext, workspace: Workspace, months: number) {
  const reviewDay = addMonths(today(ctx, workspace), months);
  return { nextReviewDay: reviewDay, nextReviewAt: startOfDay(reviewDay, zoneOf(workspace)) };
}

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

/** The owner proposes a new version (its link); a QM approves it. */
const version: Spec<{ link: string }> = {
  id: "version",
  event: "new_version_proposed",
  from: ["published"],
  to: "draft",
  who: "owner_or_qm",
  label: "New version",
  done: "given a new version",
  action: "propose a new version",
  shows: () => false,
  parse: (inputs) => {
    const url = String(inputs.link ?? "").trim();
    if (!/^https?:\/\/\S+$/.test(url))
      throw new QopsError(
        "invalid_input",
        "Give the new version's link (http:// or https://). Nothing was changed.",
      );
    return { link: url };
  },
  apply: (d, p) => ({
    version: d.version + 1,
    link: p.link,
    contentHash: hash({ title: d.title, version: d.version + 1, link: p.link }),
    approvedBy: null,
  }),
};

const approve: Spec = {
  id: "approve",
  event: "version_approved",
  from: ["draft"],
  to: "published",
  who: "qm",
  label: "Approve version",
  style: "primary",
  done: "approved",
  action: "approve document versions",
  apply: (d, _p, ctx, workspace) => ({
    approvedBy: ctx.actor,
    publishedAt: ctx.now,
    ...nextReview(ctx, workspace, d.reviewIntervalMonths ?? 12),
  }),
};

const DOCUMENT_TRANSITIONS: readonly AnySpec<ControlledDocument>[] = [reviewed, version, approve];

function docLine(d: ControlledDocument, ctx: CommandContext, workspace: Workspace): Rich {
  const due = reviewDayOf(d, workspace);
  const url = d.link ? safeUrl(d.link) : null;
  return rich`${strong(d.ref)} · ${d.documentType} · ${d.title} · v${d.version} · ${words(d.state)} · owner ${person(d.owner)}${d.lastReviewedAt ? [" · reviewed ", { at: d.lastReviewedAt.toISOString() }] : ""} · review ${due ? day(due) : "—"}${d.nextReviewAt && d.nextReviewAt <= ctx.now ? " ⚠️ due" : ""}${url ? [" · ", link(url, "open")] : ""}`;
}

async function docCard(ctx: CommandContext, d: ControlledDocument, viewer: Viewer) {
  const workspace = await requireWorkspace(ctx);
  const due = reviewDayOf(d, workspace);
  const url = d.link ? safeUrl(d.link) : null;
  return {
    ...message(rich`${d.ref} v${d.version} is ${words(d.state)}`, [
      heading(rich`${d.ref} · ${d.title}`),
      fields([
        ["Type", d.documentType],
        ["Version", String(d.version)],
        ["Owner", [person(d.owner)]],
        ["Next review", due ? [day(due)] : "—"],
        ["Link", url ? [link(url, url)] : "—"],
      ]),
      context(stateLine(d)),
      ...buttons(buttonsFor(ctx, documentKind, DOCUMENT_TRANSITIONS, d, viewer)),
    ]),
    refresh: { ws: d.workspaceId, ref: d.ref ?? "" },
  };
}

const docsUsage = (): Rich[] => [
  rich`${cmd("qms docs")} — the register of controlled documents (ISO 9001 7.5)`,
  rich`${cmd("qms docs add manual|procedure VERSION REVIEW_MONTHS @owner LINK TITLE")} — register one (QM)`,
  rich`${cmd("qms docs DOC-2026-0001")} — one document with its history`,
  rich`${cmd("qms docs DOC-2026-0001 reviewed")} — reviewed, no change (owner)`,
  rich`${cmd("qms docs DOC-2026-0001 version LINK")} — a new version (owner); ${cmd("qms docs DOC-2026-0001 approve")} (QM)`,
];

async function addDocument(
  ctx: CommandContext,
  rest: ReturnType<typeof head>[1],
  type: string,
): Promise<Answer> {
  const workspace = await requireRole(ctx, "qm", "register controlled documents");
  const ws = wordsOf(rest);
  const owner: PersonRef | undefined = rest.filter(isPerson)[0]?.person;
  const [versionText, months, link_, ...title] = ws;
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
  const { record, created } = await createReferenced<ControlledDocument>(ctx, documentKind, {
    ...fieldsIn,
    state: "published",
    text: "",
    summary: "",
    contentHash: hash(fieldsIn),
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
        ? rich`✅ ${record.ref} "${record.title}" v${record.version} registered and approved by ${ctx.actor.name}; ${record.owner.name} reviews it by ${due ? day(due) : "—"}.`
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
      const text = rich`${d.ref} "${d.title}" (version ${d.version}) is due for its review. Record "reviewed, no change", or a new version with ${cmd(`qms docs ${d.ref} version LINK`)}.`;
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

/** What a person is told after a review, a new version or an approval: by whom, and what comes next. */
function doneText(verb: string, d: ControlledDocument, ctx: CommandContext, workspace: Workspace): Rich {
  const ref = d.ref ?? "";
  if (verb === "reviewed") {
    const due = reviewDayOf(d, workspace);
    return rich`✅ ${ref} reviewed with no change by ${ctx.actor.name}; next review ${due ? day(due) : "—"}.`;
  }
  if (verb === "version")
    return rich`📝 ${ref} v${d.version} proposed by ${ctx.actor.name}; a quality manager approves it with ${cmd(`qms docs ${ref} approve`)}.`;
  return rich`✅ ${ref} v${d.version} approved by ${ctx.actor.name}.`;
}

export const documentKind: RecordKindDef = {
  id: "document",
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
      usage: "qms docs DOC-2026-0001 [reviewed|version LINK|approve]",
      text: "one document; its owner records a review or a new version; a QM approves it",
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
    const spec = { reviewed, version, approve }[verb as "reviewed" | "version" | "approve"];
    if (!spec)
      throw new QopsError(
        "invalid_input",
        `Unknown docs sub-command "${verb.slice(0, 20)}". ${"qms docs help"} lists them.`,
      );
    const result = await runTransition(
      documentKind,
      spec as AnySpec<ControlledDocument>,
      asAction(ctx, ref, { link: ws[1] }),
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
