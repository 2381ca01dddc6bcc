import type { CommandContext } from "../../commands/context.js";
import { words } from "../../commands/context.js";
import { buttons, context, fields, heading, message, paragraph, picker } from "../../views/build.js";
import { at, day, link, person, type Rich, rich, safeUrl, strong } from "../../views/rich.js";
import type { Block, ButtonView, MessageView } from "../../views/types.js";
import { dueDayOf, peopleFor } from "../common.js";
import type { RecordKindDef, Viewer } from "../kind.js";
import { buttonsFor } from "../lifecycle.js";
import { requireWorkspace } from "../workspace/access.js";
import type { Workspace } from "../workspace/model.js";
import { COMPLAINT_TRANSITIONS } from "./lifecycle.js";
import { type Complaint, OPEN_COMPLAINT_STATES } from "./model.js";

export const SEVERITY_MARK: Record<string, string> = { critical: "🔴", high: "🟠", medium: "🟡", low: "⚪" };

export function stateLine(record: {
  state: string;
  stateChangedBy: { name: string };
  stateChangedAt: Date;
}): Rich {
  return rich`${strong(words(record.state))} — by ${record.stateChangedBy.name}, ${at(record.stateChangedAt)}`;
}

const isOverdue = (c: Complaint, now: Date) => c.dueAt < now && OPEN_COMPLAINT_STATES.includes(c.state);

/** The complaint as a card: the triage post in the quality channel, a reply, a DM. */
export async function complaintCard(
  def: RecordKindDef,
  ctx: CommandContext,
  c: Complaint,
  viewer: Viewer,
  raiseAction: (c: Complaint, viewer: Viewer) => ButtonView[],
): Promise<MessageView> {
  const workspace = await requireWorkspace(ctx);
  const ref = c.ref ?? "";
  const blocks: Block[] = [
    heading(rich`${ref} · ${c.title}`),
    fields([
      ["Severity", `${SEVERITY_MARK[c.severity] ?? ""} ${c.severity}`],
      ["Due", rich`${day(dueDayOf(c, workspace))}${isOverdue(c, ctx.now) ? " ⚠️ overdue" : ""}`],
      ["Customer", c.customer || "—"],
      ["Product / order", c.productRef || "—"],
      ["Category", c.category],
      ["Reporter", [person(c.reporter)]],
      ["Owner", c.owner ? [person(c.owner)] : "not assigned"],
      ["Actions", c.linkedActions.length ? c.linkedActions.join(", ") : "none"],
    ]),
  ];
  if (c.description) blocks.push(paragraph(c.description));
  const url = c.source?.permalink ? safeUrl(c.source.permalink) : null;
  if (url)
    blocks.push(
      context(
        rich`From ${link(url, "a message")}${c.source?.authorId ? [" by ", person({ id: c.source.authorId, name: c.source.authorId })] : ""}`,
      ),
    );
  blocks.push(context(stateLine(c)));
  if (c.state === "rejected" && c.rejectionReason) blocks.push(paragraph(`Reason: ${c.rejectionReason}`));
  if (c.state === "closed") blocks.push(context(`Customer notified: ${c.customerNotified ? "yes" : "no"}`));
  blocks.push(
    ...buttons([...buttonsFor(ctx, def, COMPLAINT_TRANSITIONS, c, viewer), ...raiseAction(c, viewer)]),
  );
  const canAssign = viewer === "channel" || viewer.roles.includes("qm");
  if (OPEN_COMPLAINT_STATES.includes(c.state) && canAssign)
    blocks.push(
      picker({
        id: `${def.id}.assign`,
        label: c.owner ? "Change owner" : "Assign owner",
        target: { ws: c.workspaceId, ref },
        current: c.owner,
        people: await peopleFor(ctx),
      }),
    );
  return {
    ...message(rich`${ref} (${c.severity}) ${words(c.state)}: ${c.title}`, blocks),
    refresh: { ws: c.workspaceId, ref },
  };
}

/** One complaint in the register. */
export function complaintLine(c: Complaint, ctx: CommandContext, workspace: Workspace): Rich {
  return rich`${SEVERITY_MARK[c.severity] ?? ""} ${strong(c.ref)} · ${words(c.state)} · due ${day(dueDayOf(c, workspace))}${isOverdue(c, ctx.now) ? [" ⚠️ ", strong("overdue")] : ""} · ${c.title}${c.owner ? [" · ", person(c.owner)] : ""}`;
}
