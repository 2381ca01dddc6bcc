import { addDays } from "date-fns";
import { z } from "zod";
import { type Complaint, SEVERITIES } from "../../models/complaint.js";
import type { Workspace } from "../../models/workspace.js";
import type { CommandContext } from "../context.js";
import { createReferenced } from "../createReferenced.js";
import { ensureMember, requireWorkspace } from "../members.js";
import { parseForm } from "../validation.js";

export const COMPLAINT_CATEGORIES = [
  "product",
  "delivery",
  "service",
  "documentation",
  "billing",
  "other",
] as const;

const text = (max: number, label: string) =>
  z
    .string({ message: `${label} must be text.` })
    .trim()
    .max(max, `${label} can be at most ${max.toLocaleString("en")} characters.`);

export const complaintInput = z.object({
  title: text(150, "The title").min(3, "Give the complaint a short title (3 to 150 characters)."),
  description: text(3000, "The description").default(""),
  customer: text(200, "The customer name").default(""),
  productRef: text(100, "The product or order reference").default(""),
  severity: z.enum(SEVERITIES, { message: "Choose a severity: low, medium, high or critical." }),
  category: z.enum(COMPLAINT_CATEGORIES, { message: "Choose a category." }).default("other"),
});
export type ComplaintInput = z.input<typeof complaintInput>;

export interface ComplaintSource {
  permalink: string | null;
  authorId: string | null;
  postedAt: Date | null;
  channelId: string | null;
}

export interface CreatedComplaint {
  complaint: Complaint;
  workspace: Workspace;
  /** False when this request had already created it (a retry or double submit). */
  created: boolean;
}

/** Any employee logs a complaint; it is due after its severity's SLA. */
export async function createComplaint(
  ctx: CommandContext,
  /** Form values; checked here, so anything may come in. */
  input: ComplaintInput | Record<string, unknown>,
  source: ComplaintSource | null = null,
): Promise<CreatedComplaint> {
  const fields = parseForm(complaintInput, input, "complaint");
  const workspace = await requireWorkspace(ctx);
  await ensureMember(ctx);
  const { record, created } = await createReferenced<Complaint>(ctx, "complaint", {
    ...fields,
    state: "new",
    reporter: ctx.actor,
    owner: null,
    dueAt: addDays(ctx.now, workspace.slaDays[fields.severity]),
    source,
    linkedActions: [],
    customerNotified: null,
    rejectionReason: null,
  });
  return { complaint: record, workspace, created };
}
