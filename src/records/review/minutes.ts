import { createHash } from "node:crypto";
import type { CommandContext } from "../../commands/context.js";
import { loadRecord, recordHistory } from "../../db/history.js";
import { QopsError } from "../../errors.js";
import { dayOf, formatDay } from "../../time/zone.js";
import { heading, message, paragraph } from "../../views/build.js";
import { rich } from "../../views/rich.js";
import type { Answer } from "../../views/types.js";
import type { CorrectiveAction } from "../action/model.js";
import type { RecordKindDef } from "../kind.js";
import { loadByRef } from "../lifecycle.js";
import { requireSight } from "../registers.js";
import { requireWorkspace, zoneOf } from "../workspace/access.js";
import { reviewDay } from "./lifecycle.js";
import type { ManagementReview } from "./model.js";

/**
 * `review MR-… export`: the approved minutes as a document an auditor can file — the meeting,
 * the inputs as presented (frozen at approval), the minutes, each decision with its action, who
 * approved them, and the hashes that tie the text to the record's history (`npm run verify`).
 * Only approved minutes are a record; a draft is refused.
 */
export async function exportMinutes(def: RecordKindDef, ctx: CommandContext, ref: string): Promise<Answer> {
  const workspace = await requireWorkspace(ctx);
  const r = await loadByRef<ManagementReview>(ctx, def, ref);
  requireSight(def, ctx, r, workspace);
  if (r.state !== "minutes_approved")
    throw new QopsError(
      "invalid_transition",
      `The minutes of ${r.ref} are not approved yet (it is ${r.state.replaceAll("_", " ")}); they can be exported once top management approves them with review ${r.ref} approve.`,
    );
  const zone = zoneOf(workspace);
  const history = await recordHistory(r._id);
  const approval = [...history].reverse().find((e) => e.type === "minutes_approved");
  const approvedAt = r.minutesApprovedAt ?? approval?.at ?? null;
  const decisions: string[] = [];
  for (const [i, d] of r.decisions.entries()) {
    const action = d.actionRef
      ? await loadRecord<CorrectiveAction>("action", `${ctx.workspaceId}/${d.actionRef}`)
      : null;
    const due = action ? (action.dueDay ?? dayOf(action.dueAt, zone)) : null;
    decisions.push(
      `${i + 1}. ${d.text}${action ? ` — action ${action.ref}, owner ${action.owner.name}, due ${formatDay(due ?? "")}, ${action.state.replaceAll("_", " ")}` : ""}`,
    );
  }
  const body = [
    `# Management review ${r.ref}: approved minutes`,
    "",
    `Meeting: ${formatDay(reviewDay(r, workspace))} (${zone})`,
    `Attendees: ${r.attendees.map((a) => a.name).join(", ")}`,
    `Minutes approved by: ${r.minutesApprovedBy?.name ?? "—"}${approvedAt ? ` on ${approvedAt.toISOString()}` : ""}`,
    "",
    "## Inputs (ISO 9001 9.3.2), as presented",
    ...(r.packAtApproval?.length
      ? r.packAtApproval.map((l) => `- ${l}`)
      : ["- (approved before QOps kept the pack with the minutes: see the review pack)"]),
    "",
    "## Minutes",
    r.minutes || "—",
    "",
    "## Decisions and actions (ISO 9001 9.3.3)",
    ...(decisions.length ? decisions : ["None."]),
    "",
    "## Record",
    `History: ${history.length} events; the approval is event ${approval?.seq ?? "—"} with hash ${approval?.hash ?? "—"}.`,
  ].join("\n");
  const digest = createHash("sha256").update(body).digest("hex");
  const text = `${body}\nSHA-256 of the text above: ${digest}\n`;
  const title = rich`Approved minutes of ${r.ref} (export)`;
  return {
    kind: "reply",
    view: message(title, [heading(`Approved minutes ${r.ref}`), paragraph([text])]),
  };
}
