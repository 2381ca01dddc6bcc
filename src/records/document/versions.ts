import { createHash } from "node:crypto";
import type { CommandContext } from "../../commands/context.js";
import { QopsError } from "../../errors.js";
import { addMonths, startOfDay } from "../../time/zone.js";
import { answer } from "../../views/build.js";
import { at, cmd, link, type Rich, rich, safeUrl } from "../../views/rich.js";
import { reasonField, requireReason, today } from "../common.js";
import type { Viewer } from "../kind.js";
import type { TransitionSpec } from "../lifecycle.js";
import type { Notice } from "../notify.js";
import { zoneOf } from "../workspace/access.js";
import type { Role, Workspace } from "../workspace/model.js";
import type { ControlledDocument, DocumentVersion } from "./model.js";

/**
 * Version labels as quality teams write them: "3", "3.0", "2.1.4", "Rev C", "Rev 4", "B".
 * Typed "Rev C" is two words; the parser joins them before this.
 */
const LABEL = /^(?:v?\d{1,4}(?:\.\d{1,4}){0,3}|rev\.? ?[A-Z0-9]{1,4}|[A-Z]{1,2})$/i;

export function parseVersionLabel(text: string | undefined, field = "version"): string {
  const raw = (text ?? "").trim().replace(/\s+/g, " ");
  if (!LABEL.test(raw))
    throw new QopsError(
      "invalid_input",
      `"${raw.slice(0, 20)}" is not a version label: write it as your team numbers versions, e.g. 3.0, 2.1 or Rev C. Nothing was saved.`,
      { fieldErrors: { [field]: "A version label such as 3.0, 2.1 or Rev C." } },
    );
  const rev = /^rev\.? ?(.+)$/i.exec(raw);
  if (rev) return `Rev ${(rev[1] ?? "").toUpperCase()}`;
  return /^v\d/i.test(raw) ? raw.slice(1) : raw.toUpperCase();
}

/** "v3.0" for a number, "Rev C" as it is. */
export const shownLabel = (label: string) => (/^\d/.test(label) ? `v${label}` : label);

/** A document's current label (records from before labels carry only their number). */
export const labelOf = (d: ControlledDocument) => d.versionLabel ?? String(d.version);

export const contentHash = (d: { title: string; label: string; link: string | null }) =>
  createHash("sha256")
    .update(JSON.stringify([d.title, d.label, d.link]))
    .digest("hex");

/** Every version of a document, oldest first; a record from before versions were kept has one. */
export function versionsOf(d: ControlledDocument): DocumentVersion[] {
  if (d.versions?.length) return d.versions;
  return [
    {
      label: labelOf(d),
      link: d.link,
      summary: d.summary,
      contentHash: d.contentHash,
      state: "current",
      proposedBy: d.owner,
      proposedAt: d.publishedAt ?? d.createdAt,
      approvedBy: d.approvedBy,
      approvedAt: d.publishedAt,
      endedAt: null,
    },
  ];
}

export const draftOf = (d: ControlledDocument) => versionsOf(d).find((v) => v.state === "draft") ?? null;

export function nextReview(ctx: CommandContext, workspace: Workspace, months: number) {
  const reviewDay = addMonths(today(ctx, workspace), months);
  return { nextReviewDay: reviewDay, nextReviewAt: startOfDay(reviewDay, zoneOf(workspace)) };
}

/**
 * Who may open which version (ISO 9001 7.5.3.2 d): the current one, everyone; a draft, its
 * owner, QMs and top management, who approve it; an obsolete or rejected one, the owner, QMs,
 * top management and auditors, who need the record, while everyone else works from the
 * current version only.
 */
export function mayOpen(version: DocumentVersion, d: ControlledDocument, viewer: Viewer): boolean {
  if (version.state === "current") return true;
  if (viewer === "channel") return false;
  if (d.owner.id === viewer.userId) return true;
  const readers: Role[] =
    version.state === "draft" ? ["qm", "top_management"] : ["qm", "top_management", "auditor"];
  return readers.some((r) => viewer.roles.includes(r));
}

const STATE_WORDS: Record<DocumentVersion["state"], string> = {
  draft: "awaiting approval",
  current: "current",
  obsolete: "obsolete, do not use",
  rejected: "not approved",
};

/** One line per version: label, state, what changed, who proposed and approved it, its link if this viewer may open it. */
export function versionLines(d: ControlledDocument, viewer: Viewer): Rich[] {
  return versionsOf(d)
    .slice()
    .reverse()
    .map((v) => {
      const url = v.link ? safeUrl(v.link) : null;
      const opens = url && mayOpen(v, d, viewer);
      return rich`${shownLabel(v.label)} · ${STATE_WORDS[v.state]}${v.summary ? ` · ${v.summary}` : ""} · proposed by ${v.proposedBy.name} ${at(v.proposedAt)}${v.approvedBy && v.approvedAt ? [` · approved by ${v.approvedBy.name} `, at(v.approvedAt)] : ""}${v.rejectedReason ? ` · not approved: ${v.rejectedReason}` : ""}${opens ? [" · ", link(url, "open")] : url ? ` · link for ${v.state === "draft" ? "its owner, quality managers and top management" : "its owner, quality managers, top management and auditors"}` : ""}`;
    });
}

type Spec<P = Record<string, never>> = TransitionSpec<ControlledDocument, P>;

/** The owner proposes a new version: its label, link and what changed; a QM approves it before it is issued. */
export const proposeVersion: Spec<{ label: string; link: string; summary: string }> = {
  id: "version",
  event: "new_version_proposed",
  from: ["published"],
  to: "draft",
  who: "owner_or_qm",
  label: "New version",
  done: "given a new version",
  action: "propose a new version",
  shows: () => false,
  parse: (inputs, d) => {
    const label = parseVersionLabel(String(inputs.version ?? ""));
    const url = String(inputs.link ?? "").trim();
    if (!/^https?:\/\/\S+$/.test(url) || url.length > 500)
      throw new QopsError(
        "invalid_input",
        "Give the new version's link (http:// or https://). Nothing was changed.",
        { fieldErrors: { link: "A link starting with http:// or https://." } },
      );
    const summary = String(inputs.summary ?? "").trim();
    if (summary.length < 3 || summary.length > 500)
      throw new QopsError(
        "invalid_input",
        "Say what changed in this version (3 to 500 characters; ISO 9001 7.5.3.2 asks for changes to be identified). Nothing was changed.",
        { fieldErrors: { summary: "What changed, 3 to 500 characters." } },
      );
    // A label not approved may be proposed again; one that was issued names that issue for good.
    const used = versionsOf(d).find(
      (v) => v.state !== "rejected" && v.label.toLowerCase() === label.toLowerCase(),
    );
    if (used)
      throw new QopsError(
        "invalid_input",
        `${d.ref} already had version ${shownLabel(used.label)} (${STATE_WORDS[used.state]}); give the new version a label of its own. Nothing was changed.`,
        { fieldErrors: { version: "This label was used before." } },
      );
    return { label, link: url, summary };
  },
  apply: (d, p, ctx) => ({
    versions: [
      ...versionsOf(d),
      {
        label: p.label,
        link: p.link,
        summary: p.summary,
        contentHash: contentHash({ title: d.title, label: p.label, link: p.link }),
        state: "draft",
        proposedBy: ctx.actor,
        proposedAt: ctx.now,
        approvedBy: null,
        approvedAt: null,
        endedAt: null,
      },
    ],
  }),
  reason: (p) => `version ${p.label}: ${p.summary}`,
};

/** A QM approves the draft: it becomes current, the version before it obsolete, and the next review moves on. */
export const approveVersion: Spec = {
  id: "approve",
  event: "version_approved",
  from: ["draft"],
  to: "published",
  who: "qm",
  label: "Approve version",
  style: "primary",
  done: "approved",
  action: "approve document versions",
  apply: (d, _p, ctx, workspace) => {
    const draft = draftOf(d);
    if (!draft) return {};
    return {
      versions: versionsOf(d).map((v): DocumentVersion => {
        if (v === draft) return { ...v, state: "current", approvedBy: ctx.actor, approvedAt: ctx.now };
        if (v.state === "current") return { ...v, state: "obsolete", endedAt: ctx.now };
        return v;
      }),
      version: d.version + 1,
      versionLabel: draft.label,
      link: draft.link,
      summary: draft.summary,
      contentHash: draft.contentHash,
      approvedBy: ctx.actor,
      publishedAt: ctx.now,
      ...nextReview(ctx, workspace, d.reviewIntervalMonths ?? 12),
    };
  },
  notices: (after, before, ctx) => versionNotices(after, before, ctx, "approved"),
};

/** A QM sends the draft back with a reason; the current version stays in force. */
export const rejectVersion: Spec<{ reason: string }> = {
  id: "reject",
  event: "version_rejected",
  from: ["draft"],
  to: "published",
  who: "qm",
  label: "Reject version",
  style: "danger",
  done: "sent back",
  action: "reject document versions",
  input: () => [reasonField("Why is this version not approved?")],
  parse: (inputs) => ({
    reason: requireReason(String(inputs.reason ?? ""), "for not approving this version"),
  }),
  reason: (p) => p.reason,
  apply: (d, p, ctx) => ({
    versions: versionsOf(d).map(
      (v): DocumentVersion =>
        v.state === "draft" ? { ...v, state: "rejected", endedAt: ctx.now, rejectedReason: p.reason } : v,
    ),
  }),
  notices: (after, before, ctx) => versionNotices(after, before, ctx, "rejected"),
};

/** The person who proposed a version hears what became of it, unless they decided it themselves. */
function versionNotices(
  after: ControlledDocument,
  before: ControlledDocument,
  ctx: CommandContext,
  what: "approved" | "rejected",
): Notice[] {
  const draft = draftOf(before);
  if (!draft || draft.proposedBy.id === ctx.actor.id) return [];
  const decided = versionsOf(after).find((v) => v.label === draft.label);
  const text =
    what === "approved"
      ? rich`${ctx.actor.name} approved ${after.ref} ${shownLabel(draft.label)} ("${after.title}"); it is now the current version and the one before it is obsolete.`
      : rich`${ctx.actor.name} did not approve ${after.ref} ${shownLabel(draft.label)}: ${decided?.rejectedReason ?? ""}. Propose another with ${cmd(`qms docs ${after.ref} version LABEL LINK WHAT_CHANGED`)}.`;
  return [{ to: draft.proposedBy.id, about: `version-${what}:${draft.label}`, view: answer(text) }];
}
